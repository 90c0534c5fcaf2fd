/**
 * SQL for listings and search, built per request from a `ReadPlan` (filter-sql.ts): each readable
 * source is its own index-ordered branch, combined with UNION ALL under one outer ORDER BY/LIMIT.
 *
 * - Listing: every branch is `ORDER BY id DESC LIMIT n+1` (an index walk of at most n+1 rows: the
 *   primary key (tool, id) for a tool, (tool, type, id) for a tool and one type, the partial index
 *   memories_shared_id_idx for shared entries); the outer ORDER BY merges them (a Merge Append).
 * - Search: every branch takes its newest `searchCandidates(limit)` matches (an index walk in id order
 *   that stops early for common words, or a bitmap scan of the few matches of rare ones), ranks only
 *   those, `ORDER BY score DESC, id DESC LIMIT n`; the outer query keeps the best n.
 *
 * Listings equal one query over the union of the sources (the sources are disjoint and the order is
 * total); search equals it whenever no source has more than `searchCandidates(limit)` matches.
 * Values are `$n` parameters only.
 *
 * These texts vary per request (number of sources, filters present, mode), so they run as unnamed
 * statements, parsed and planned per call, unlike the constant statements (NamedStatement): the
 * distinct texts number in the thousands (up to 16 granted-tool branches × filter combinations), too
 * many to keep prepared on every pooled connection, and a cached generic plan would ignore what the
 * parameters say about selectivity (a rare tag or word wants a bitmap scan, a common one an index
 * walk), which is most of the cost here, where planning is a small part (0.1–0.5 ms measured at 1M rows).
 */
import type { EntryFilter, SearchRequest } from '../memory-store.js'
import { MEMORY_COLUMNS, prefixedColumns } from './columns.js'
import { containsPattern, readPlan, SqlParams } from './filter-sql.js'

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

/** Candidates per branch for every requested result, and the least number taken whatever the limit. */
export const SEARCH_CANDIDATES_PER_RESULT = 20
export const MIN_SEARCH_CANDIDATES = 200

/**
 * How many matches of each source search ranks: max(limit × 20, 200), the newest first.
 *
 * Trade-off: this bounds the work of a query matching a large part of the table (at 1M rows a common
 * word matches ~33 000 entries; ranking them all read ~28 000 heap pages), but for such a query the
 * results are the best among the newest N matches of each source, not among all matches: an older
 * entry that would rank higher is not returned. Queries matching at most N entries per source
 * (every selective query) are ranked exactly. Measured on the 1M-row bench data set with limit 10:
 * 7 of the 10 results of `glacier` and `marathon` and all 10 of `lighthouse` were the exact ones,
 * for 16–21 ms instead of 83–139 ms.
 */
export function searchCandidates(limit: number): number {
  return Math.max(limit * SEARCH_CANDIDATES_PER_RESULT, MIN_SEARCH_CANDIDATES)
}

/**
 * Purpose: ranked search, best first, ties by id descending, at most `limit` rows, each source
 * ranking only its newest `searchCandidates(limit)` matches.
 * - fulltext: `websearch_to_tsquery('english', text)` on search_vector (which indexes the plain text
 *   of plain and compressed entries alike), score ts_rank_cd. A query with only excluded words
 *   (`-word`; querytree 'T') matches nothing, like one with only stop words.
 * - substring: case-insensitive literal ILIKE on `coalesce(content, content_head)` (the trigram
 *   index expression): plain entries whole, compressed entries within their first 4 096
 *   characters; score word_similarity (0..1) on the same text.
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
  const candidates = params.add(searchCandidates(limit))
  const branches = plan.sources.map((source) => {
    const ranked = (score: string, from: string, match: string, extra: string) =>
      `SELECT ${prefixedColumns('c')}, ${score} AS score FROM (
  SELECT ${prefixedColumns('m')}, ${extra}
  FROM ${from}
  WHERE ${source} AND ${plan.common} AND ${match}
  ORDER BY m.id DESC LIMIT ${candidates}
) AS c
ORDER BY score DESC, c.id DESC LIMIT ${limitParam}`
    return pattern === null
      ? ranked(
          'ts_rank_cd(c.search_vector, c.query)',
          `memories AS m, websearch_to_tsquery('english', ${text}::text) AS q(query)`,
          `m.search_vector @@ q.query AND querytree(q.query) <> 'T'`,
          'm.search_vector, q.query',
        )
      : ranked(
          `word_similarity(${text}::text, c.searchable)`,
          'memories AS m',
          `coalesce(m.content, m.content_head) ILIKE ${pattern}::text ESCAPE '\\'`,
          'coalesce(m.content, m.content_head) AS searchable',
        )
  })
  return {
    text: combine(branches, `${MEMORY_COLUMNS}, score`, 'u.score DESC, u.id DESC', limitParam),
    values: params.values,
  }
}

/**
 * Purpose: context candidates: the first `limit` live entries passing `filter`, most important first
 * (ties newest first; a tool's branch walks memories_tool_importance_idx backwards) or newest first.
 * Returns: MemoryRow[] in that order; null when no source is readable.
 */
export function topQuery(filter: EntryFilter, order: 'importance' | 'recent', limit: number, now: Date): Statement | null {
  const params = new SqlParams()
  const plan = readPlan(filter, params, now)
  if (plan.sources.length === 0 || limit <= 0) return null
  const size = params.add(Math.floor(limit))
  const by = (alias: string) => (order === 'importance' ? `${alias}.importance DESC, ${alias}.id DESC` : `${alias}.id DESC`)
  const branches = plan.sources.map(
    (source) => `SELECT ${prefixedColumns('m')} FROM memories AS m\nWHERE ${source} AND ${plan.common}\nORDER BY ${by('m')} LIMIT ${size}`,
  )
  return { text: combine(branches, MEMORY_COLUMNS, by('u'), size), values: params.values }
}
