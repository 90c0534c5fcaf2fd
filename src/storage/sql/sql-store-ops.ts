/** Mirror, maintenance and Idempotency-Key operations of the SQL store. */
import { AppError } from '../../errors/app-error.js'
import type { IdempotencyClaim, MemoryStore, MirrorResult } from '../memory-store.js'
import {
  APPLY_MIRROR_ENTRY,
  APPLY_MIRROR_TOMBSTONE,
  CLAIM_IDEMPOTENCY_KEY,
  COMPLETE_IDEMPOTENCY_KEY,
  LOCK_MIRROR_ID,
  PURGE_EXPIRED,
  RECORD_ACCESS,
  RELEASE_IDEMPOTENCY_KEY,
} from './queries-ops.js'
import { entryValues } from './columns.js'
import { type IdempotencyRow, isStoredId, toClaim } from './rows.js'
import { prepareWrite, type StoreContext, written } from './store-context.js'

type MirrorAndUpkeepOperations = Pick<
  MemoryStore,
  'applyMirror' | 'purgeExpired' | 'recordAccess' | 'claimIdempotencyKey' | 'completeIdempotencyKey' | 'releaseIdempotencyKey'
>

/** A claim can lose a race with a lapse and find no row; a retry settles it. */
const CLAIM_ATTEMPTS = 5

export function mirrorAndUpkeepOperations(ctx: StoreContext): MirrorAndUpkeepOperations {
  const { db } = ctx

  return {
    async recordAccess(records) {
      const valid = records.filter((r) => isStoredId(r.id))
      if (valid.length === 0) return
      await db.query(RECORD_ACCESS, [
        valid.map((r) => r.tool), valid.map((r) => r.id), valid.map((r) => r.count),
        valid.map((r) => r.lastAccessedAt), ctx.now(),
      ])
    },

    /**
     * Three statements in one transaction (lock, write, commit): the per-(tool, id) advisory lock
     * makes "compare with the stored row and the tombstone, then write" atomic against a concurrent
     * mirror write of the same id, which a single statement's snapshot could not see.
     */
    async applyMirror(record): Promise<MirrorResult> {
      const { tool, id } = record.kind === 'entry' ? record.entry : record.tombstone
      if (!isStoredId(id)) {
        throw new AppError('validation_failed', 'A mirrored id must be a lowercase canonical UUID.')
      }
      // An entry's content is compressed before the transaction, so the advisory lock is not held meanwhile.
      const write = record.kind === 'entry' ? await prepareWrite(ctx, record.entry) : null
      const [statement, params] =
        record.kind === 'entry'
          ? [APPLY_MIRROR_ENTRY, [...entryValues(write!), record.entry.version]]
          : [APPLY_MIRROR_TOMBSTONE, [tool, id, record.tombstone.version, record.tombstone.deletedAt]]
      const applied = await db.transaction(async (tx) => {
        await tx.query(LOCK_MIRROR_ID, [tool, id])
        const { rows } = await tx.query<{ applied: number }>(statement, params)
        return Number(rows[0]?.applied ?? 0)
      })
      if (applied === 0) return 'stale'
      if (write !== null) written(ctx, write)
      return 'applied'
    },

    async purgeExpired(now, limit) {
      const size = Math.max(0, Math.floor(limit))
      const clock = ctx.now()
      // Tombstones deleted at or before this are forgotten; an infinite retention keeps them all.
      const cutoff = new Date(clock.getTime() - ctx.tombstoneRetentionMs)
      const { rows } = await db.query<{ purged: number }>(PURGE_EXPIRED, [
        new Date(now), size, clock, Number.isNaN(cutoff.getTime()) ? null : cutoff,
      ])
      return Number(rows[0]?.purged ?? 0)
    },

    async claimIdempotencyKey(tool, key, requestHash, ttlMs): Promise<IdempotencyClaim> {
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        const now = ctx.now()
        const { rows } = await db.query<IdempotencyRow>(CLAIM_IDEMPOTENCY_KEY, [
          tool, key, requestHash, new Date(now.getTime() + ttlMs), now,
        ])
        if (rows[0]) return toClaim(rows[0])
      }
      throw new AppError('backend_unavailable', 'The Idempotency-Key claim did not settle; retry the request.')
    },

    async completeIdempotencyKey(tool, key, requestHash, response, ttlMs) {
      const { rows } = await db.query(COMPLETE_IDEMPOTENCY_KEY, [
        tool, key, requestHash, JSON.stringify(response), new Date(ctx.now().getTime() + ttlMs),
      ])
      return rows.length > 0
    },

    async releaseIdempotencyKey(tool, key) {
      await db.query(RELEASE_IDEMPOTENCY_KEY, [tool, key])
    },
  }
}
