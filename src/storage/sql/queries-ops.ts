/**
 * SQL for mirroring, listings, statistics, maintenance and Idempotency-Keys. Same conventions as
 * `queries-entries.ts`: a header per statement, `$n` parameters only, `$now` from the store clock.
 * Listing and search statements get their filter conditions from `filter-sql.ts`.
 */
import { MEMORY_COLUMNS, prefixedColumns } from './rows.js'
import { live } from './queries-entries.js'

/** Two-key advisory lock space for mirror writes: (MIRROR_LOCK_CLASS, hashtext(tool/id)). */
export const MIRROR_LOCK_CLASS = 0x6d656d

/** Purpose: serialise mirror writes of one (tool, id) until the transaction ends. Params: $1 tool, $2 id. Returns: one row. */
export const LOCK_MIRROR_ID = `SELECT pg_advisory_xact_lock(${MIRROR_LOCK_CLASS}, hashtext($1::text || '/' || $2::text))`

/** Rows of (tool, id) at or above a version: if any exists, the incoming record is stale. */
const STALE = (versionParam: number) => `
  SELECT 1 FROM memories WHERE tool = $1 AND id = $2::uuid AND version >= $${versionParam}::int
  UNION ALL
  SELECT 1 FROM memory_tombstones WHERE tool = $1 AND id = $2::uuid AND version >= $${versionParam}::int`

/**
 * Purpose: store a mirrored entry as given when its version beats the stored row (expired or not)
 * and any tombstone; other rows of the tool holding its key (or, keyless, its type + content) are
 * displaced, since the primary already enforced uniqueness. Run under LOCK_MIRROR_ID.
 * Params: $1..$17 entryValues(entry), $18 version. Returns: one row { applied int } (0 or 1).
 */
export const APPLY_MIRROR_ENTRY = `
WITH stale AS (${STALE(18)}
), displaced AS (
  DELETE FROM memories
  WHERE tool = $1 AND id <> $2::uuid AND NOT EXISTS (SELECT 1 FROM stale)
    AND (($4::text IS NOT NULL AND key = $4::text)
      OR ($4::text IS NULL AND key IS NULL AND type = $3::text AND content_hash = $11::text))
  RETURNING 1
), written AS (
  INSERT INTO memories (${MEMORY_COLUMNS})
  SELECT $1::text, $2::uuid, $3::text, $4::text, $5::text, $6::text, $7::jsonb, $8::text[], $9::float8, $10::text,
    $11::text, $12::int, $18::int, $13::timestamptz, $14::timestamptz, $15::timestamptz, $16::timestamptz, $17::bigint
  FROM (SELECT count(*) FROM displaced) AS d
  WHERE NOT EXISTS (SELECT 1 FROM stale)
  ON CONFLICT (tool, id) DO UPDATE SET
    type = EXCLUDED.type, key = EXCLUDED.key, content = EXCLUDED.content, content_type = EXCLUDED.content_type,
    metadata = EXCLUDED.metadata, tags = EXCLUDED.tags, importance = EXCLUDED.importance,
    visibility = EXCLUDED.visibility, content_hash = EXCLUDED.content_hash, tokens = EXCLUDED.tokens,
    version = EXCLUDED.version, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
    expires_at = EXCLUDED.expires_at, last_accessed_at = EXCLUDED.last_accessed_at,
    access_count = EXCLUDED.access_count
    WHERE memories.version < EXCLUDED.version
  RETURNING 1
)
SELECT count(*)::int AS applied FROM written`

/**
 * Purpose: apply a mirrored delete when its version beats the stored row and any tombstone:
 * remove the row and remember the tombstone. Run under LOCK_MIRROR_ID.
 * Params: $1 tool, $2 id, $3 version, $4 deleted_at. Returns: one row { applied int } (0 or 1).
 */
export const APPLY_MIRROR_TOMBSTONE = `
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
SELECT count(*)::int AS applied FROM remembered`

/**
 * Purpose: one page of a listing, newest first. `where` comes from filter-sql.ts and may use $1..$n;
 * the caller appends the cursor and limit parameters. Returns: MemoryRow[] (limit + 1 rows to
 * detect a next page).
 */
export function listStatement(where: string, afterParam: number | null, limitParam: number): string {
  const after = afterParam === null ? '' : ` AND m.id < $${afterParam}::uuid`
  return `SELECT ${prefixedColumns('m')} FROM memories AS m WHERE ${where}${after} ORDER BY m.id DESC LIMIT $${limitParam}`
}

/**
 * Purpose: full-text search, best first, ties by id descending. A query with only excluded words
 * (`-word`; querytree 'T') matches nothing, like one with only stop words. Params: $1 query text, then the
 * filter's, then $limitParam. Returns: MemoryRow & { score real (ts_rank_cd) }[].
 */
export function fulltextStatement(where: string, limitParam: number): string {
  return `SELECT ${prefixedColumns('m')}, ts_rank_cd(m.search_vector, q.query) AS score
FROM memories AS m, websearch_to_tsquery('english', $1::text) AS q(query)
WHERE m.search_vector @@ q.query AND querytree(q.query) <> 'T' AND ${where}
ORDER BY score DESC, m.id DESC LIMIT $${limitParam}`
}

/**
 * Purpose: case-insensitive literal substring search, scored by word_similarity (0..1), best first.
 * Params: $1 the text, $2 the ILIKE pattern (escaped, wrapped in %), then the filter's, then
 * $limitParam. Returns: MemoryRow & { score real }[].
 */
export function substringStatement(where: string, limitParam: number): string {
  return `SELECT ${prefixedColumns('m')}, word_similarity($1::text, m.content) AS score
FROM memories AS m
WHERE m.content ILIKE $2::text ESCAPE '\\' AND ${where}
ORDER BY score DESC, m.id DESC LIMIT $${limitParam}`
}

/** Purpose: live entry and token counts per (tool, type). Params: $1 now. Returns: { tool, type, entries int, tokens bigint }[] by tool, type. */
export const STATS = `SELECT tool, type, count(*)::int AS entries, sum(tokens)::bigint AS tokens
FROM memories WHERE ${live(1)} GROUP BY tool, type ORDER BY tool, type`

/** Purpose: first live entries in (tool, id) order. Params: $1 now, $2 limit. Returns: MemoryRow[]. */
export const SCAN_FIRST = `SELECT ${MEMORY_COLUMNS} FROM memories WHERE ${live(1)} ORDER BY tool, id LIMIT $2`

/** Purpose: live entries strictly after (tool, id). Params: $1 now, $2 limit, $3 tool, $4 id. Returns: MemoryRow[]. */
export const SCAN_AFTER = `SELECT ${MEMORY_COLUMNS} FROM memories
WHERE ${live(1)} AND (tool, id) > ($3::text, $4::uuid) ORDER BY tool, id LIMIT $2`

/**
 * Purpose: remove up to $2 entries expired at $1 (earliest expiry first; rows locked by other
 * purgers are skipped), and up to $2 lapsed Idempotency-Key records at $3 (the store clock).
 * Params: $1 expiry instant, $2 limit, $3 now. Returns: one row { purged int } (entries only).
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
)
SELECT count(*)::int AS purged FROM removed`

/**
 * Purpose: claim an Idempotency-Key: insert a pending record, or take over a lapsed one; else report
 * the live record. Params: $1 tool, $2 key, $3 request hash, $4 lapse instant, $5 now.
 * Returns: one IdempotencyRow; no row if a concurrent claim lapsed in between (run it again).
 */
export const CLAIM_IDEMPOTENCY_KEY = `
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
WHERE k.tool = $1 AND k.key = $2 AND k.expires_at > $5::timestamptz AND NOT EXISTS (SELECT 1 FROM claimed)`

/** Purpose: remember the response of a claimed key. Params: $1 tool, $2 key, $3 response json, $4 lapse instant. Returns: nothing. */
export const COMPLETE_IDEMPOTENCY_KEY = `UPDATE idempotency_keys
SET state = 'done', response = $3::json, expires_at = $4::timestamptz WHERE tool = $1 AND key = $2`

/** Purpose: drop a claim so that a retry can run. Params: $1 tool, $2 key. Returns: nothing. */
export const RELEASE_IDEMPOTENCY_KEY = `DELETE FROM idempotency_keys WHERE tool = $1 AND key = $2`
