/**
 * The mirror outbox of the in-memory store (the `mirror_outbox` table of the SQL store). Calls run
 * synchronously, so a claim is atomic: a leased row is invisible to the next claim until its lease
 * ends, as SKIP LOCKED plus the moved `next_attempt_at` make it in SQL.
 */
import type { MemoryStore, OutboxItem, OutboxStats } from '../memory-store.js'

/** The longest `lastError` kept, in UTF-16 code units (as the contract's "characters"). */
const MAX_ERROR_CHARS = 500

/** `error` cut to MAX_ERROR_CHARS without splitting a surrogate pair, NUL replaced as the SQL store must. */
function storedError(error: string): string {
  let cut = error.length > MAX_ERROR_CHARS ? error.slice(0, MAX_ERROR_CHARS) : error
  if (/[\uD800-\uDBFF]$/.test(cut) && cut.length < error.length) cut = cut.slice(0, -1)
  return cut.replaceAll('\u0000', '\uFFFD')
}

export class OutboxTable {
  /** By seq; a Map iterates in insertion order, which is seq order. */
  readonly #rows = new Map<number, OutboxItem>()
  readonly #now: () => number
  #nextSeq = 1

  constructor(now: () => number) {
    this.#now = now
  }

  add(item: { target: string; tool: string; id: string; key: string | null }, dueInMs: number): number {
    const seq = this.#nextSeq++
    const at = this.#now()
    const { target, tool, id, key } = item
    this.#rows.set(seq, { seq, target, tool, id, key, attempts: 0, createdAt: at, nextAttemptAt: at + dueInMs, lastError: null })
    return seq
  }

  claim(target: string, limit: number, leaseMs: number): OutboxItem[] {
    const size = Math.max(0, Math.floor(limit))
    const at = this.#now()
    const claimed: OutboxItem[] = []
    for (const row of this.#rows.values()) {
      if (claimed.length >= size) break
      if (row.target !== target || row.nextAttemptAt > at) continue
      row.nextAttemptAt = at + leaseMs
      claimed.push({ ...row })
    }
    return claimed
  }

  retry(seq: number, delayMs: number, error: string): void {
    const row = this.#rows.get(seq)
    if (!row) return
    row.attempts += 1
    row.nextAttemptAt = this.#now() + delayMs
    row.lastError = storedError(error)
  }

  remove(seqs: number[]): void {
    for (const seq of seqs) this.#rows.delete(seq)
  }

  stats(): OutboxStats {
    let oldest: number | null = null
    for (const row of this.#rows.values()) if (oldest === null || row.createdAt < oldest) oldest = row.createdAt
    return { pending: this.#rows.size, oldestCreatedAt: oldest }
  }

  clear(): void {
    this.#rows.clear()
  }
}

type OutboxOperations = Pick<MemoryStore, 'outboxAdd' | 'outboxClaim' | 'outboxRetry' | 'outboxRemove' | 'outboxStats'>

/** The store's outbox members over `table`, each first calling `assertOpen` (it throws once the store is closed). */
export function outboxOperations(table: OutboxTable, assertOpen: () => void): OutboxOperations {
  return {
    async outboxAdd(item, dueInMs) {
      assertOpen()
      return table.add(item, dueInMs)
    },
    async outboxClaim(target, limit, leaseMs) {
      assertOpen()
      return table.claim(target, limit, leaseMs)
    },
    async outboxRetry(seq, delayMs, error) {
      assertOpen()
      table.retry(seq, delayMs, error)
    },
    async outboxRemove(seqs) {
      assertOpen()
      table.remove(seqs)
    },
    async outboxStats() {
      assertOpen()
      return table.stats()
    },
  }
}
