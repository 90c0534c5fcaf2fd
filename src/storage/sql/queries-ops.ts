/**
 * SQL for mirroring, statistics, scans, maintenance and Idempotency-Keys. Same conventions as
 * `queries-entries.ts`: a header per statement, `$n` parameters only, `$now` from the store clock.
 * The statements are constant and named (prepared once per connection on Postgres) except two
 * rare, execution-bound ones whose good plan depends on a parameter (STATS_OF_TOOLS,
 * PURGE_EXPIRED): a generic plan, which a named statement may settle on after five executions,
 * cannot see the array size or the LIMIT and plans a sequential scan of the table for them.
 * Listing and search statements are built per request in `queries-read.ts`.
 */
import {
  assignments,
  ENTRY_PARAMS,
  excluded,
  insertValues,
  MEMORY_COLUMNS,
  type MemoryColumn,
  MIRRORED_COLUMNS,
  WRITTEN_COLUMNS,
} from './columns.js'
import { live } from './queries-entries.js'
import { namedStatement as named } from './sql-driver.js'

/** Placeholders of `ENTRY_PARAMS` (the mirror statement binds an entry like the inserts do). */
const e = (column: MemoryColumn) => ENTRY_PARAMS.param(column)
/** The parameter after the entry columns ($20): the mirrored version. */
const VERSION = ENTRY_PARAMS.next

/** Two-key advisory lock space for mirror writes: (MIRROR_LOCK_CLASS, hashtext(tool/id)). */
export const MIRROR_LOCK_CLASS = 0x6d656d

/** Purpose: serialise mirror writes of one (tool, id) until the transaction ends. Params: $1 tool, $2 id. Returns: one row. */
export const LOCK_MIRROR_ID = named('lock_mirror_id',
  `SELECT pg_advisory_xact_lock(${MIRROR_LOCK_CLASS}, hashtext($1::text || '/' || $2::text))`)

/** Rows of (tool, id) at or above a version: if any exists, the incoming record is stale. */
const STALE = (versionParam: number) => `
  SELECT 1 FROM memories WHERE tool = $1 AND id = $2::uuid AND version >= $${versionParam}::int
  UNION ALL
  SELECT 1 FROM memory_tombstones WHERE tool = $1 AND id = $2::uuid AND version >= $${versionParam}::int`

/**
 * Purpose: store a mirrored entry as given when its version beats the stored row (expired or not)
 * and any tombstone; other rows of the tool holding its key (or, keyless, its type + content) are
 * displaced, since the primary already enforced uniqueness. Run under LOCK_MIRROR_ID.
 * Params: $1..$19 entryValues(write), $20 version. Returns: one row { applied int } (0 or 1).
 */
export const APPLY_MIRROR_ENTRY = named('apply_mirror_entry', `
WITH stale AS (${STALE(VERSION)}
), displaced AS (
  DELETE FROM memories
  WHERE tool = $1 AND id <> ${e('id')} AND NOT EXISTS (SELECT 1 FROM stale)
    AND ((${e('key')} IS NOT NULL AND key = ${e('key')})
      OR (${e('key')} IS NULL AND key IS NULL AND type = ${e('type')} AND content_hash = ${e('content_hash')}))
  RETURNING 1
), written AS (
  INSERT INTO memories (${WRITTEN_COLUMNS})
  SELECT ${insertValues(`$${VERSION}::int`)}
  FROM (SELECT count(*) FROM displaced) AS d
  WHERE NOT EXISTS (SELECT 1 FROM stale)
  ON CONFLICT (tool, id) DO UPDATE SET ${assignments(MIRRORED_COLUMNS, excluded)}
    WHERE memories.version < EXCLUDED.version
  RETURNING 1
)
SELECT count(*)::int AS applied FROM written`)

/**
 * Purpose: apply a mirrored delete when its version beats the stored row and any tombstone:
 * remove the row and remember the tombstone. Run under LOCK_MIRROR_ID.
 * Params: $1 tool, $2 id, $3 version, $4 deleted_at. Returns: one row { applied int } (0 or 1).
 */
export const APPLY_MIRROR_TOMBSTONE = named('apply_mirror_tombstone', `
WITH stale AS (${STALE(3)}
), removed AS (
  DELETE FROM memories WHERE tool = $1 AND id = $2::uuid AND NOT EXISTS (SELECT 1 FROM stale)
  RETURNING 1
), remembered AS (
  INSERT INTO memory_tombstones (tool, id, version, deleted_at)
  SELECT $1::text, $2::uuid, $3::int, $4::timestamptz WHERE NOT EXISTS (SELECT 1 FROM stale)
  ON CONFLICT (tool, id) DO UPDATE SET version = EXCLUDED.version, deleted_at = EXCLUDED.deleted_at
  RETURNING 1
)
SELECT count(*)::int AS applied FROM remembered`)

/** Purpose: live entry and token counts per (tool, type). Params: $1 now. Returns: { tool, type, entries int, tokens bigint }[] by tool, type. */
export const STATS = named('stats', `SELECT tool, type, count(*)::int AS entries, sum(tokens)::bigint AS tokens
FROM memories WHERE ${live(1)} GROUP BY tool, type ORDER BY tool, type`)

/**
 * Purpose: STATS of some tools only, served by the primary key (tool, id) instead of a full scan.
 * Params: $1 now, $2 text[] tools. Returns: as STATS. Unnamed: see the file header.
 */
export const STATS_OF_TOOLS = `SELECT tool, type, count(*)::int AS entries, sum(tokens)::bigint AS tokens
FROM memories WHERE tool = ANY($2::text[]) AND ${live(1)} GROUP BY tool, type ORDER BY tool, type`

/** Purpose: first live entries in (tool, id) order. Params: $1 now, $2 limit. Returns: MemoryRow[]. */
export const SCAN_FIRST = named('scan_first',
  `SELECT ${MEMORY_COLUMNS} FROM memories WHERE ${live(1)} ORDER BY tool, id LIMIT $2`)

/** Purpose: live entries strictly after (tool, id). Params: $1 now, $2 limit, $3 tool, $4 id. Returns: MemoryRow[]. */
export const SCAN_AFTER = named('scan_after', `SELECT ${MEMORY_COLUMNS} FROM memories
WHERE ${live(1)} AND (tool, id) > ($3::text, $4::uuid) ORDER BY tool, id LIMIT $2`)

/**
 * Purpose: remove up to $2 entries expired at $1 (earliest expiry first; rows locked by other
 * purgers are skipped), up to $2 lapsed Idempotency-Key records at $3 (the store clock), and up to
 * $2 tombstones deleted at or before $4 (the store clock minus the tombstone retention; null keeps
 * them all). Params: $1 expiry instant, $2 limit, $3 now, $4 tombstone cutoff or null.
 * Returns: one row { purged int } (entries only). Unnamed: see the file header.
 */
export const PURGE_EXPIRED = `
WITH doomed AS (
  SELECT tool, id FROM memories WHERE expires_at <= $1::timestamptz
  ORDER BY expires_at, tool, id LIMIT $2 FOR UPDATE SKIP LOCKED
), removed AS (
  DELETE FROM memories AS m USING doomed AS d WHERE m.tool = d.tool AND m.id = d.id RETURNING 1
), lapsed AS (
  DELETE FROM idempotency_keys WHERE (tool, key) IN (
    SELECT tool, key FROM idempotency_keys WHERE expires_at <= $3::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING 1
), forgotten AS (
  DELETE FROM memory_tombstones WHERE (tool, id) IN (
    SELECT tool, id FROM memory_tombstones WHERE deleted_at <= $4::timestamptz
    ORDER BY deleted_at LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING 1
)
SELECT count(*)::int AS purged FROM removed`

/**
 * Purpose: claim an Idempotency-Key: insert a pending record, or take over a lapsed one; else report
 * the live record. Params: $1 tool, $2 key, $3 request hash, $4 lapse instant, $5 now.
 * Returns: one IdempotencyRow; no row if a concurrent claim lapsed in between (run it again).
 */
export const CLAIM_IDEMPOTENCY_KEY = named('claim_idempotency_key', `
WITH claimed AS (
  INSERT INTO idempotency_keys (tool, key, request_hash, state, response, expires_at)
  VALUES ($1::text, $2::text, $3::text, 'pending', NULL, $4::timestamptz)
  ON CONFLICT (tool, key) DO UPDATE SET
    request_hash = EXCLUDED.request_hash, state = 'pending', response = NULL, expires_at = EXCLUDED.expires_at
    WHERE idempotency_keys.expires_at <= $5::timestamptz
  RETURNING 'claimed'::text AS state, request_hash, NULL::json AS response
)
SELECT state, request_hash, response FROM claimed
UNION ALL
SELECT k.state, k.request_hash, k.response FROM idempotency_keys AS k
WHERE k.tool = $1 AND k.key = $2 AND k.expires_at > $5::timestamptz AND NOT EXISTS (SELECT 1 FROM claimed)`)

/**
 * Purpose: remember the response of a key still claimed (pending) by the request with this hash;
 * a claim that lapsed and was taken over (or was released or purged) is left alone.
 * Params: $1 tool, $2 key, $3 request hash, $4 response json, $5 lapse instant.
 * Returns: 0..1 rows (one when completed).
 */
export const COMPLETE_IDEMPOTENCY_KEY = named('complete_idempotency_key', `UPDATE idempotency_keys
SET state = 'done', response = $4::json, expires_at = $5::timestamptz
WHERE tool = $1 AND key = $2 AND state = 'pending' AND request_hash = $3::text
RETURNING 1 AS completed`)

/** Purpose: drop a claim so that a retry can run. Params: $1 tool, $2 key. Returns: nothing. */
export const RELEASE_IDEMPOTENCY_KEY = named('release_idempotency_key',
  `DELETE FROM idempotency_keys WHERE tool = $1 AND key = $2`)

/**
 * Purpose: add batched read counts and latest read times; versions untouched.
 * Params: $1 tool[], $2 id[] (uuid), $3 count[], $4 read time[], $5 now. Returns: nothing.
 */
export const RECORD_ACCESS = named('record_access', `
UPDATE memories AS m
SET access_count = m.access_count + a.n,
    last_accessed_at = GREATEST(m.last_accessed_at, a.at)
FROM unnest($1::text[], $2::uuid[], $3::int[], $4::timestamptz[]) AS a(tool, id, n, at)
WHERE m.tool = a.tool AND m.id = a.id AND ${live(5, 'm.')}`)
