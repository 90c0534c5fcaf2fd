/** Idempotency-Key records for the in-memory store: a pending claim or a remembered response, each with a lapse time. */
import type { IdempotencyClaim, StoredResponse } from '../memory-store.js'
import { pair } from './composite-key.js'

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

  /**
   * Store the response of a claim still pending with `requestHash`; returns false and writes nothing
   * when there is none (the claim lapsed and was taken over, or was released or pruned).
   */
  complete(tool: string, key: string, requestHash: string, response: StoredResponse, ttlMs: number): boolean {
    const record = this.#records.get(pair(tool, key))
    if (record?.response !== null || record.requestHash !== requestHash) return false
    const stored = structuredClone(response)
    this.#records.set(pair(tool, key), { requestHash, expiresAt: this.#now() + ttlMs, response: stored })
    return true
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
