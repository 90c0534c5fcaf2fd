/** Mirror outbox operations of the SQL store (migration 0003), and `mirrorRecord`, which replays read. */
import type { MirrorRecord } from '../../domain/memory/memory-entry.js'
import type { MemoryStore, OutboxItem } from '../memory-store.js'
import {
  MIRROR_ENTRY,
  MIRROR_TOMBSTONE,
  OUTBOX_ADD,
  OUTBOX_CLAIM,
  OUTBOX_REMOVE,
  OUTBOX_RETRY,
  OUTBOX_STATS,
} from './queries-outbox.js'
import { entryOf, isStoredId, type MemoryRow, toTombstone, type TombstoneRow } from './rows.js'
import type { StoreContext } from './store-context.js'

type OutboxOperations = Pick<
  MemoryStore,
  'mirrorRecord' | 'outboxAdd' | 'outboxClaim' | 'outboxRetry' | 'outboxRemove' | 'outboxStats'
>

/** A `mirror_outbox` row as the drivers return it. */
interface OutboxRow {
  /** bigint: a string on pg, a number on PGlite. */
  seq: string | number
  target: string
  tool: string
  id: string
  key: string | null
  attempts: number
  created_at: Date
  next_attempt_at: Date
  last_error: string | null
}

/** The longest `lastError` kept, in UTF-16 code units (as the contract's "characters"). */
const MAX_ERROR_CHARS = 500

/**
 * `error` cut to MAX_ERROR_CHARS without splitting a surrogate pair, NUL replaced by U+FFFD
 * (Postgres text cannot hold NUL, and the parameter would fail to encode).
 */
function storedError(error: string): string {
  let cut = error.length > MAX_ERROR_CHARS ? error.slice(0, MAX_ERROR_CHARS) : error
  if (/[\uD800-\uDBFF]$/.test(cut) && cut.length < error.length) cut = cut.slice(0, -1)
  return cut.replaceAll('\u0000', '\uFFFD')
}

function toItem(row: OutboxRow): OutboxItem {
  return {
    seq: Number(row.seq),
    target: row.target,
    tool: row.tool,
    id: row.id,
    key: row.key,
    attempts: Number(row.attempts),
    createdAt: row.created_at.getTime(),
    nextAttemptAt: row.next_attempt_at.getTime(),
    lastError: row.last_error,
  }
}

export function outboxOperations(ctx: StoreContext): OutboxOperations {
  const { db } = ctx
  /** The store clock plus `ms`, as a Date parameter. */
  const after = (ms: number) => new Date(ctx.now().getTime() + ms)

  return {
    /** Two reads, no transaction: each answer is a state the row really had, and replays are idempotent. */
    async mirrorRecord(tool, id): Promise<MirrorRecord | null> {
      if (!isStoredId(id)) return null
      const entries = await db.query<MemoryRow>(MIRROR_ENTRY, [tool, id])
      if (entries.rows[0] !== undefined) return { kind: 'entry', entry: await entryOf(entries.rows[0]) }
      const tombstones = await db.query<TombstoneRow>(MIRROR_TOMBSTONE, [tool, id])
      return tombstones.rows[0] === undefined ? null : { kind: 'tombstone', tombstone: toTombstone(tombstones.rows[0]) }
    },

    async outboxAdd(item, dueInMs) {
      const { rows } = await db.query<{ seq: string | number }>(OUTBOX_ADD, [
        item.target, item.tool, item.id, item.key, ctx.now(), after(dueInMs),
      ])
      return Number(rows[0]!.seq)
    },

    async outboxClaim(target, limit, leaseMs) {
      const size = Math.max(0, Math.floor(limit))
      if (size === 0) return []
      const now = ctx.now()
      const { rows } = await db.query<OutboxRow>(OUTBOX_CLAIM, [
        target, now, size, new Date(now.getTime() + leaseMs),
      ])
      return rows.map(toItem).sort((a, b) => a.seq - b.seq)
    },

    async outboxRetry(seq, delayMs, error) {
      // Not a seq the table can hold: unknown, like any other (a bigint cast would throw).
      if (!Number.isSafeInteger(seq)) return
      await db.query(OUTBOX_RETRY, [seq, after(delayMs), storedError(error)])
    },

    async outboxRemove(seqs) {
      const known = seqs.filter((seq) => Number.isSafeInteger(seq))
      if (known.length === 0) return
      await db.query(OUTBOX_REMOVE, [known])
    },

    async outboxStats() {
      const { rows } = await db.query<{ pending: number; oldest: Date | null }>(OUTBOX_STATS)
      const row = rows[0]
      return { pending: Number(row?.pending ?? 0), oldestCreatedAt: row?.oldest?.getTime() ?? null }
    },
  }
}
