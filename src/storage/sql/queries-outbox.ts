/**
 * SQL for the mirror outbox (migration 0003) and for `mirrorRecord`. Same conventions as
 * `queries-entries.ts`: a header per statement, `$n` parameters only, `$now` and every other
 * instant from the store clock (never the database's now()). All statements are constant and named.
 * `seq` is bigint: a string on pg, a number on PGlite; the store converts it with Number().
 */
import { MEMORY_COLUMNS } from './columns.js'
import { namedStatement as named } from './sql-driver.js'

/** The columns of an `OutboxRow` (sql-store-outbox.ts), for RETURNING. */
const OUTBOX_COLUMNS = 'seq, target, tool, id, key, attempts, created_at, next_attempt_at, last_error'

/**
 * Purpose: add an outbox row. Params: $1 target, $2 tool, $3 id (text), $4 key or null,
 * $5 now (created_at), $6 due instant. Returns: one row { seq bigint }.
 */
export const OUTBOX_ADD = named('outbox_add', `INSERT INTO mirror_outbox (target, tool, id, key, created_at, next_attempt_at)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::timestamptz, $6::timestamptz) RETURNING seq`)

/**
 * Purpose: lease up to $3 due rows of a target, lowest seq first: their next_attempt_at moves to
 * the lease end. Rows locked by a concurrent claimer are skipped (SKIP LOCKED), so two replicas
 * never claim one row. Params: $1 target, $2 now, $3 limit, $4 lease end.
 * Returns: the leased OutboxRow[] (unordered: UPDATE … RETURNING keeps no order).
 */
export const OUTBOX_CLAIM = named('outbox_claim', `UPDATE mirror_outbox SET next_attempt_at = $4::timestamptz
WHERE seq IN (
  SELECT seq FROM mirror_outbox WHERE target = $1 AND next_attempt_at <= $2::timestamptz
  ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING ${OUTBOX_COLUMNS}`)

/**
 * Purpose: record a failed replay. Params: $1 seq, $2 due instant, $3 error (already truncated).
 * Returns: nothing (an unknown seq changes nothing).
 */
export const OUTBOX_RETRY = named('outbox_retry', `UPDATE mirror_outbox
SET attempts = attempts + 1, next_attempt_at = $2::timestamptz, last_error = $3::text WHERE seq = $1::bigint`)

/** Purpose: remove rows whose mirror landed. Params: $1 bigint[] seqs. Returns: nothing. */
export const OUTBOX_REMOVE = named('outbox_remove', `DELETE FROM mirror_outbox WHERE seq = ANY($1::bigint[])`)

/**
 * Purpose: outbox depth and oldest row. Params: none.
 * Returns: one row { pending int, oldest timestamptz or null }.
 */
export const OUTBOX_STATS = named('outbox_stats',
  `SELECT count(*)::int AS pending, min(created_at) AS oldest FROM mirror_outbox`)

/**
 * Purpose: the stored row of (tool, id), expired or not (a mirror carries it as it is).
 * Params: $1 tool, $2 id. Returns: 0..1 MemoryRow.
 */
export const MIRROR_ENTRY = named('mirror_entry',
  `SELECT ${MEMORY_COLUMNS} FROM memories WHERE tool = $1 AND id = $2::uuid`)

/** Purpose: the remembered tombstone of (tool, id). Params: $1 tool, $2 id. Returns: 0..1 TombstoneRow. */
export const MIRROR_TOMBSTONE = named('mirror_tombstone',
  `SELECT tool, id, version, deleted_at FROM memory_tombstones WHERE tool = $1 AND id = $2::uuid`)
