/**
 * SQL of budgeted writes (sql-store-budget.ts). Each statement has a header: purpose, params,
 * returns. Victim selection is a constant statement per eviction order; the orders mirror
 * `evictionComparator` exactly (ties end on id, so the order is total).
 */
import type { EvictionOrder } from '../../domain/tools/tool-record.js'
import { live, rememberTombstones } from './queries-entries.js'
import { namedStatement as named } from './sql-driver.js'

/**
 * Purpose: serialise budgeted writes of one tool until the transaction ends, on every replica
 * (a transaction-level advisory lock keyed by the tool's name). Params: $1 tool. Returns: one row.
 */
export const LOCK_TOOL_BUDGET = named('lock_tool_budget',
  `SELECT pg_advisory_xact_lock(hashtextextended('mcp-memory:budget:' || $1, 0)) IS NULL AS locked`)

/** Purpose: the tool's live tokens. Params: $1 tool, $2 now. Returns: one row { used int8 }. */
export const USED_TOKENS = named('used_tokens',
  `SELECT coalesce(sum(tokens), 0)::int8 AS used FROM memories WHERE tool = $1 AND ${live(2)}`)

/** ORDER BY of each eviction order, first victim first. */
const ORDER_BY: Record<EvictionOrder, string> = {
  lru: 'coalesce(last_accessed_at, created_at), id',
  lfu: 'access_count, coalesce(last_accessed_at, created_at), id',
  // Served by memories_tool_importance_idx (tool, importance, id) without a sort.
  importance: 'importance, id',
  oldest: 'created_at, id',
}

/**
 * Purpose: the first `$4` eviction candidates of a tool in one order, never the entry being written.
 * Params: $1 tool, $2 now, $3 id of the written entry, $4 limit. Returns: { id, tokens }[] in order.
 */
export const VICTIMS: Record<EvictionOrder, ReturnType<typeof named>> = Object.fromEntries(
  Object.entries(ORDER_BY).map(([order, by]) => [order, named(`victims_${order}`,
    `SELECT id::text AS id, tokens FROM memories WHERE tool = $1 AND ${live(2)} AND id <> $3::uuid ORDER BY ${by} LIMIT $4`)]),
) as Record<EvictionOrder, ReturnType<typeof named>>

/**
 * Purpose: delete chosen victims and remember their tombstones (as DELETE does for one).
 * Params: $1 tool, $2 uuid[], $3 now (also deleted_at). Returns: TombstoneRow[], unordered.
 */
export const DELETE_VICTIMS = named('delete_victims', `
WITH deleted AS (
  DELETE FROM memories WHERE tool = $1 AND id = ANY($2::uuid[])
  RETURNING tool, id, version + 1 AS version
), ${rememberTombstones('$3')}
SELECT tool, id, version, $3::timestamptz AS deleted_at FROM deleted`)
