/**
 * SQL of the tool registry (`memory_tools`) and the cross-tool access log (`memory_access_log`),
 * migration 0004. Each statement has a header: purpose, params, returns. Times come from the app.
 */
import { namedStatement as named } from './sql-driver.js'

const TOOL_COLUMNS = 'tool, display_name, max_tokens, over_budget, eviction_order, default_ttl_seconds, readers, version, created_at, updated_at'
/** The columns a write binds, in order ($1..$9); version is set by the statement. */
const BOUND = 'tool, display_name, max_tokens, over_budget, eviction_order, default_ttl_seconds, readers, created_at, updated_at'
const VALUES = '$1, $2, $3, $4, $5, $6, $7::text[], $8, $9'

/** Purpose: one registration. Params: $1 tool. Returns: 0..1 ToolRow. */
export const GET_TOOL = named('get_tool', `SELECT ${TOOL_COLUMNS} FROM memory_tools WHERE tool = $1`)

/** Purpose: every registration by name. Params: none. Returns: ToolRow[]. */
export const LIST_TOOLS = named('list_tools', `SELECT ${TOOL_COLUMNS} FROM memory_tools ORDER BY tool`)

/**
 * Purpose: register a tool unless it is registered. Params: $1..$9 the BOUND columns (version 1 is
 * stored). Returns: { created boolean, ...ToolRow }: the inserted row, or the existing one.
 */
export const REGISTER_TOOL = named('register_tool', `
WITH inserted AS (
  INSERT INTO memory_tools (${BOUND}, version) VALUES (${VALUES}, 1)
  ON CONFLICT (tool) DO NOTHING
  RETURNING ${TOOL_COLUMNS}
)
SELECT true AS created, ${TOOL_COLUMNS} FROM inserted
UNION ALL
SELECT false AS created, ${TOOL_COLUMNS} FROM memory_tools WHERE tool = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`)

/**
 * Purpose: insert or replace a registration, optionally only at a version (0 = must not exist).
 * created_at of an existing row is kept. Params: $1..$9 the BOUND columns, $10 expected
 * version or null. Returns: the stored ToolRow, or no row when the expectation failed.
 */
export const PUT_TOOL = named('put_tool', `
INSERT INTO memory_tools (${BOUND}, version)
SELECT ${VALUES}, 1 WHERE $10::int IS NULL OR $10::int = 0
ON CONFLICT (tool) DO UPDATE SET
  display_name = EXCLUDED.display_name, max_tokens = EXCLUDED.max_tokens, over_budget = EXCLUDED.over_budget,
  eviction_order = EXCLUDED.eviction_order, default_ttl_seconds = EXCLUDED.default_ttl_seconds,
  readers = EXCLUDED.readers, version = memory_tools.version + 1, updated_at = EXCLUDED.updated_at
  WHERE $10::int IS NULL
RETURNING ${TOOL_COLUMNS}`)

/**
 * Purpose: replace a registration at an expected version (> 0). Params: as PUT_TOOL, $10 version.
 * Returns: the stored ToolRow, or no row.
 */
export const UPDATE_TOOL = named('update_tool', `
UPDATE memory_tools SET display_name = $2, max_tokens = $3, over_budget = $4, eviction_order = $5,
  default_ttl_seconds = $6, readers = $7::text[], version = version + 1, updated_at = $9
WHERE tool = $1 AND version = $10::int AND $8::timestamptz IS NOT NULL
RETURNING ${TOOL_COLUMNS}`)

/** Purpose: the version of a registration. Params: $1 tool. Returns: 0..1 { version }. */
export const TOOL_VERSION = named('tool_version', 'SELECT version FROM memory_tools WHERE tool = $1')

/**
 * Purpose: append cross-tool reads, then drop rows beyond the newest `$6`.
 * The DELETE cannot see the rows its own statement inserts (a data-modifying CTE's rows are not
 * visible to the outer statement), so records of a batch that would fall outside the newest `$6`
 * at once are not inserted at all; the DELETE then trims the older rows.
 * Params: $1 reader[], $2 owner[], $3 uuid[], $4 via[], $5 timestamptz[], $6 rows kept.
 * Returns: nothing.
 */
export const APPEND_ACCESS_LOG = named('append_access_log', `
WITH appended AS (
  INSERT INTO memory_access_log (reader, owner, id, via, at)
  SELECT r.reader, r.owner, r.id, r.via, r.at
  FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS r(reader, owner, id, via, at, n)
  WHERE r.n > cardinality($1::text[]) - $6::int8
  ORDER BY r.n
  RETURNING seq
)
DELETE FROM memory_access_log
WHERE seq <= coalesce((SELECT max(seq) FROM appended), (SELECT max(seq) FROM memory_access_log)) - $6::int8`)

/**
 * Purpose: logged reads, newest first. Params: $1 reader or null, $2 owner or null, $3 before seq
 * or null, $4 limit. Returns: AccessLogRow[].
 */
export const READ_ACCESS_LOG = named('read_access_log', `
SELECT seq, reader, owner, id::text AS id, via, at FROM memory_access_log
WHERE ($1::text IS NULL OR reader = $1) AND ($2::text IS NULL OR owner = $2) AND ($3::int8 IS NULL OR seq < $3)
ORDER BY seq DESC LIMIT $4`)
