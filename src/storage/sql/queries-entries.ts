/**
 * SQL for reading and writing single entries. Each statement has a header: purpose, params,
 * returns. Values always travel as `$n` parameters; only constant column lists are spliced in.
 * `$now` parameters come from the store's clock, never from the database's now(), so that expiry
 * follows the injected clock. Every statement here is constant, so each is a `NamedStatement`:
 * prepared once per pooled connection on Postgres (design §11).
 *
 * Writes bind the entry's content as plain text plus an optional compressed blob and compute the
 * stored content columns, `content_head` and `search_vector` from them (`ColumnParams.written`).
 *
 * Writes that would collide with an *expired* row (same id, key, or keyless type + content) first
 * delete that row in the same statement (the `cleared` CTE, forced to run before the write by
 * reading its count), since expired entries count as absent.
 */
import {
  assignments,
  ENTRY_PARAMS,
  excluded,
  insertValues,
  MEMORY_COLUMNS,
  type MemoryColumn,
  REPLACED_COLUMNS,
  REPLACEMENT_PARAMS,
  WRITTEN_COLUMNS,
} from './columns.js'
import { namedStatement as named } from './sql-driver.js'

/** `(expires_at IS NULL OR expires_at > $n)` for the `$now` parameter `n`. */
export function live(param: number, alias = ''): string {
  return `(${alias}expires_at IS NULL OR ${alias}expires_at > $${param}::timestamptz)`
}

/** `SET` list of a replacement from `source` (values or EXCLUDED), version + 1 over `table`. */
function replaceSet(source: (column: (typeof REPLACED_COLUMNS)[number]) => string, table: string): string {
  return `${assignments(REPLACED_COLUMNS, source)}, version = ${table}.version + 1`
}

/** Placeholders of the insert statements (`ENTRY_PARAMS`). */
const e = (column: MemoryColumn) => ENTRY_PARAMS.param(column)
/** Placeholders of the replacement statements (`REPLACEMENT_PARAMS`). */
const r = (column: MemoryColumn) => REPLACEMENT_PARAMS.param(column)
/** The value a replacement statement writes into a column. */
const replaced = (column: (typeof REPLACED_COLUMNS)[number]) => REPLACEMENT_PARAMS.written(column)
/** The first parameter after the entry columns ($20): `$now` of the insert statements. */
const NOW = ENTRY_PARAMS.next
/** The first parameter after the replacement columns ($16). */
const AFTER_REPLACEMENT = REPLACEMENT_PARAMS.next

/** Purpose: one live entry. Params: $1 tool, $2 id, $3 now. Returns: 0..1 MemoryRow. */
export const GET = named('get', `SELECT ${MEMORY_COLUMNS} FROM memories WHERE tool = $1 AND id = $2::uuid AND ${live(3)}`)

/** Purpose: a live entry by id, any tool. Params: $1 id, $2 now. Returns: 0..1 MemoryRow. */
export const GET_BY_ID = named('get_by_id',
  `SELECT ${MEMORY_COLUMNS} FROM memories WHERE id = $1::uuid AND ${live(2)} ORDER BY tool LIMIT 1`)

/** Purpose: live entries of a tool among ids. Params: $1 tool, $2 uuid[], $3 now. Returns: MemoryRow[], unordered. */
export const GET_MANY = named('get_many',
  `SELECT ${MEMORY_COLUMNS} FROM memories WHERE tool = $1 AND id = ANY($2::uuid[]) AND ${live(3)}`)

/** Purpose: live entries of a tool with a content hash, oldest first. Params: $1 tool, $2 hash, $3 now. Returns: MemoryRow[]. */
export const FIND_BY_HASH = named('find_by_hash',
  `SELECT ${MEMORY_COLUMNS} FROM memories WHERE tool = $1 AND content_hash = $2 AND ${live(3)} ORDER BY id`)

/** Purpose: the live entry holding a key. Params: $1 tool, $2 key, $3 now. Returns: 0..1 MemoryRow. */
export const FIND_BY_KEY = named('find_by_key',
  `SELECT ${MEMORY_COLUMNS} FROM memories WHERE tool = $1 AND key = $2 AND ${live(3)}`)

/** Purpose: the live version of (tool, id), to tell not_found from version_conflict after a miss. Params: $1 tool, $2 id, $3 now. Returns: 0..1 { version }. */
export const VERSION_BY_ID = named('version_by_id',
  `SELECT version FROM memories WHERE tool = $1 AND id = $2::uuid AND ${live(3)}`)

/** Purpose: the live version of the key holder. Params: $1 tool, $2 key, $3 now. Returns: 0..1 { version }. */
export const VERSION_BY_KEY = named('version_by_key',
  `SELECT version FROM memories WHERE tool = $1 AND key = $2 AND ${live(3)}`)

/**
 * Purpose: create, failing on any live collision (23505 on the key, content or primary key index).
 * Params: $1..$19 entryValues(write), $20 now. Returns: the inserted MemoryRow (version 1).
 */
export const CREATE = named('create', `
WITH cleared AS (
  DELETE FROM memories
  WHERE tool = $1 AND expires_at <= $${NOW}::timestamptz
    AND (id = ${e('id')}
      OR (${e('key')} IS NOT NULL AND key = ${e('key')})
      OR (${e('key')} IS NULL AND key IS NULL AND type = ${e('type')} AND content_hash = ${e('content_hash')}))
  RETURNING 1
)
INSERT INTO memories (${WRITTEN_COLUMNS})
SELECT ${insertValues('1')} FROM (SELECT count(*) FROM cleared) AS c
RETURNING ${MEMORY_COLUMNS}`)

/**
 * Purpose: create a keyless entry with dedupe: insert, or return the oldest live entry with the same
 * (tool, type, content_hash). Params: $1..$19 entryValues(write) (key null), $20 now.
 * Returns: one row { created boolean, ...MemoryRow }. No row when the duplicate was committed by a
 * concurrent statement after this one's snapshot: run it again.
 */
export const CREATE_DEDUPE = named('create_dedupe', `
WITH cleared AS (
  DELETE FROM memories
  WHERE tool = $1 AND expires_at <= $${NOW}::timestamptz
    AND (id = ${e('id')} OR (key IS NULL AND type = ${e('type')} AND content_hash = ${e('content_hash')}))
  RETURNING 1
), inserted AS (
  INSERT INTO memories (${WRITTEN_COLUMNS})
  SELECT ${insertValues('1')} FROM (SELECT count(*) FROM cleared) AS c
  ON CONFLICT (tool, type, content_hash) WHERE key IS NULL DO NOTHING
  RETURNING ${MEMORY_COLUMNS}
)
SELECT true AS created, ${MEMORY_COLUMNS} FROM inserted
UNION ALL
(SELECT false AS created, ${MEMORY_COLUMNS} FROM memories
  WHERE tool = $1 AND type = ${e('type')} AND content_hash = ${e('content_hash')} AND key IS NULL AND ${live(NOW)}
    AND NOT EXISTS (SELECT 1 FROM inserted)
  ORDER BY id LIMIT 1)`)

/**
 * Purpose: conditional replace of a live entry; id, tool, created_at, last_accessed_at and
 * access_count are kept, version + 1. Params: $1..$15 replacementValues(write) (tool, then the
 * bound REPLACED_COLUMNS), $16 id, $17 expected version or null, $18 now.
 * Returns: the updated MemoryRow, or no row (absent, expired or other version).
 */
export const UPDATE = named('update', (() => {
  const [id, expected, now] = [AFTER_REPLACEMENT, AFTER_REPLACEMENT + 1, AFTER_REPLACEMENT + 2]
  return `
WITH cleared AS (
  DELETE FROM memories
  WHERE tool = $1 AND id <> $${id}::uuid AND expires_at <= $${now}::timestamptz
    AND ((${r('key')} IS NOT NULL AND key = ${r('key')})
      OR (${r('key')} IS NULL AND key IS NULL AND type = ${r('type')} AND content_hash = ${r('content_hash')}))
  RETURNING 1
)
UPDATE memories AS m SET ${replaceSet(replaced, 'm')}
FROM (SELECT count(*) FROM cleared) AS c
WHERE m.tool = $1 AND m.id = $${id}::uuid AND ${live(now, 'm.')} AND ($${expected}::int IS NULL OR m.version = $${expected}::int)
RETURNING ${MEMORY_COLUMNS}`
})())

/**
 * Purpose: upsert by key: replace the live holder of (tool, key) (its id and created_at kept,
 * version + 1) or insert the entry with version 1. Params: $1..$19 entryValues(write), $20 now,
 * $21 boolean: may replace (false = create only). Returns: the written MemoryRow (version 1 means
 * inserted), or no row when a holder exists and $21 is false.
 */
export const UPSERT_BY_KEY = named('upsert_by_key', `
WITH cleared AS (
  DELETE FROM memories
  WHERE tool = $1 AND expires_at <= $${NOW}::timestamptz AND (key = ${e('key')} OR id = ${e('id')})
  RETURNING 1
)
INSERT INTO memories (${WRITTEN_COLUMNS})
SELECT ${insertValues('1')} FROM (SELECT count(*) FROM cleared) AS c
ON CONFLICT (tool, key) WHERE key IS NOT NULL DO UPDATE SET ${replaceSet(excluded, 'memories')}
  WHERE $${NOW + 1}::boolean
RETURNING ${MEMORY_COLUMNS}`)

/**
 * Purpose: replace the live holder of (tool, key) if its version matches. Params: $1..$15
 * replacementValues(write) (the key among them), $16 expected version, $17 now.
 * Returns: the updated MemoryRow, or no row.
 */
export const UPDATE_BY_KEY = named('update_by_key', `
UPDATE memories SET ${replaceSet(replaced, 'memories')}
WHERE tool = $1 AND key = ${r('key')} AND ${live(AFTER_REPLACEMENT + 1)} AND version = $${AFTER_REPLACEMENT}::int
RETURNING ${MEMORY_COLUMNS}`)

/**
 * Purpose: delete a live entry (optionally only at a version) and remember its tombstone.
 * Params: $1 tool, $2 id, $3 now (also deleted_at), $4 expected version or null.
 * Returns: 0..1 TombstoneRow (version = deleted version + 1).
 */
export const DELETE = named('delete', `
WITH deleted AS (
  DELETE FROM memories
  WHERE tool = $1 AND id = $2::uuid AND ${live(3)} AND ($4::int IS NULL OR version = $4::int)
  RETURNING tool, id, version + 1 AS version
), ${rememberTombstones('$3')}
SELECT tool, id, version, $3::timestamptz AS deleted_at FROM deleted`)

/**
 * The `remembered` CTE of a delete: a tombstone per row of the `deleted` CTE (tool, id, version),
 * keeping the higher version when the id was deleted before. `deletedAt` is the `$now` parameter.
 */
export function rememberTombstones(deletedAt: string): string {
  return `remembered AS (
  INSERT INTO memory_tombstones (tool, id, version, deleted_at)
  SELECT tool, id, version, ${deletedAt}::timestamptz FROM deleted
  ON CONFLICT (tool, id) DO UPDATE
    SET version = GREATEST(memory_tombstones.version, EXCLUDED.version), deleted_at = EXCLUDED.deleted_at
  RETURNING 1
)`
}
