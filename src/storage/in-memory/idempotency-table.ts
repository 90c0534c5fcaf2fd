/** Idempotency-Key records for the in-memory store: a pending claim or a remembered response, each with a lapse time. */
import type { IdempotencyClaim, StoredResponse } from '../memory-store.js'

interface IdempotencyRecord {
  requestHash: string
  /** ms since epoch; the record lapses when `expiresAt <= now`. */
  expiresAt: number
  response: StoredResponse | null
}

export class IdempotencyTable {
  readonly #records = new Map<string, IdempotencyRecord>()
  readonly #now: () => number

  constructor(now: () => number) {
    this.#now = now
  }

  claim(tool: string, key: string, requestHash: string, ttlMs: number): IdempotencyClaim {
    const at = this.#now()
    const record = this.#records.get(pair(tool, key))
    if (record && record.expiresAt > at) {
      return record.response === null
        ? { state: 'pending' }
        : { state: 'done', requestHash: record.requestHash, response: structuredClone(record.response) }
    }
    this.#records.set(pair(tool, key), { requestHash, expiresAt: at + ttlMs, response: null })
    return { state: 'claimed' }
  }

  /** Store the response under the claim's request hash; a key that was never claimed is left alone. */
  complete(tool: string, key: string, response: StoredResponse, ttlMs: number): void {
    const record = this.#records.get(pair(tool, key))
    if (!record) return
    this.#records.set(pair(tool, key), {
      requestHash: record.requestHash,
      expiresAt: this.#now() + ttlMs,
      response: structuredClone(response),
    })
  }

  release(tool: string, key: string): void {
    this.#records.delete(pair(tool, key))
  }

  /** Drop lapsed records. */
  prune(at: number): void {
    for (const [k, record] of this.#records) if (record.expiresAt <= at) this.#records.delete(k)
  }

  clear(): void {
    this.#records.clear()
  }
}

function pair(tool: string, key: string): string {
  return `${tool}\u0000${key}`
}
