/**
 * SQL for listings and search, built per request from a `ReadPlan` (filter-sql.ts): each readable
 * source is its own index-ordered branch, combined with UNION ALL under one outer ORDER BY/LIMIT.
 *
 * - Listing: every branch is `ORDER BY id DESC LIMIT n+1` (an index walk of at most n+1 rows: the
 *   primary key (tool, id) for a tool, (tool, type, id) for a tool and one type, the partial index
 *   memories_shared_id_idx for shared entries); the outer ORDER BY merges them (a Merge Append).
 * - Search: every branch ranks only its own candidates, `ORDER BY score DESC, id DESC LIMIT n`; the
 *   outer query keeps the best n. Exact, since the sources are disjoint and the order is total.
 *
 * Results equal those of one query over the union of the sources. Values are `$n` parameters only.
 */
import type { EntryFilter, SearchRequest } from '../memory-store.js'
import { containsPattern, readPlan, SqlParams } from './filter-sql.js'
import { MEMORY_COLUMNS, prefixedColumns } from './rows.js'

export interface Statement {
  text: string
  values: unknown[]
}

/** `branches` as they are when there is one, else combined by UNION ALL and re-ordered by `order`. */
function combine(branches: string[], outerColumns: string, order: string, limit: string): string {
  if (branches.length === 1) return branches[0]!
  return `SELECT ${outerColumns} FROM (\n(${branches.join(')\nUNION ALL\n(')})\n) AS u ORDER BY ${order} LIMIT ${limit}`
}

/**
 * Purpose: one page of a listing, newest first (id descending), entries with id < `after` when
 * given. Returns: MemoryRow[], up to `size + 1` rows (one more than a page, to detect a next page);
 * null when no source is readable (nothing can match).
 */
export function listQuery(filter: EntryFilter, after: string | null, size: number, now: Date): Statement | null {
  const params = new SqlParams()
  const plan = readPlan(filter, params, now)
  if (plan.sources.length === 0) return null
  const cursor = after === null ? '' : ` AND m.id < ${params.add(after)}::uuid`
  const limit = params.add(size + 1)
  const branches = plan.sources.map(
    (source) =>
      `SELECT ${prefixedColumns('m')} FROM memories AS m\nWHERE ${source} AND ${plan.common}${cursor}\n` +
      `ORDER BY m.id DESC LIMIT ${limit}`,
  )
  return { text: combine(branches, MEMORY_COLUMNS, 'u.id DESC', limit), values: params.values }
}

/**
 * Purpose: ranked search, best first, ties by id descending, at most `limit` rows.
 * - fulltext: `websearch_to_tsquery('english', text)` on search_vector, score ts_rank_cd. A query
 *   with only excluded words (`-word`; querytree 'T') matches nothing, like one with only stop words.
 * - substring: case-insensitive literal ILIKE, score word_similarity (0..1).
 * Returns: MemoryRow & { score real }[]; null when nothing can match (no readable source, an
 * empty substring, a limit of 0).
 */
export function searchQuery(request: SearchRequest, now: Date): Statement | null {
  const limit = Math.max(0, Math.floor(request.limit))
  if (limit === 0 || (request.mode === 'substring' && request.text.length === 0)) return null
  const params = new SqlParams()
  const text = params.add(request.text)
  const pattern = request.mode === 'substring' ? params.add(containsPattern(request.text)) : null
  const plan = readPlan(request.filter, params, now)
  if (plan.sources.length === 0) return null
  const limitParam = params.add(limit)
  const branches = plan.sources.map((source) =>
    pattern === null
      ? `SELECT ${prefixedColumns('m')}, ts_rank_cd(m.search_vector, q.query) AS score
FROM memories AS m, websearch_to_tsquery('english', ${text}::text) AS q(query)
WHERE m.search_vector @@ q.query AND querytree(q.query) <> 'T' AND ${source} AND ${plan.common}
ORDER BY score DESC, m.id DESC LIMIT ${limitParam}`
      : `SELECT ${prefixedColumns('m')}, word_similarity(${text}::text, m.content) AS score
FROM memories AS m
WHERE m.content ILIKE ${pattern}::text ESCAPE '\\' AND ${source} AND ${plan.common}
ORDER BY score DESC, m.id DESC LIMIT ${limitParam}`,
  )
  return {
    text: combine(branches, `${MEMORY_COLUMNS}, score`, 'u.score DESC, u.id DESC', limitParam),
    values: params.values,
  }
}
