/**
 * `EntryFilter` → SQL for listings and search on `memories AS m`, with every value bound as a
 * parameter. Access filtering happens here, inside the query, so that pages are never filtered
 * after LIMIT. Semantics match the in-memory store: an empty `tools` or `types` list matches
 * nothing, an empty `tags` list matches everything, and so does an empty `contains`.
 *
 * A filter becomes a `ReadPlan`: one condition per readable *source* (the caller's tool, each
 * granted tool, shared entries) plus the conditions all sources share. The
 * statements in `queries-read.ts` run each source as its own branch, so every branch walks an index
 * in id order (the primary key (tool, id) for a tool, `memories_shared_id_idx` for shared entries)
 * instead of one scan filtering `tool = $1 OR visibility = 'shared'` over the whole table.
 * Sources are disjoint (without a tool filter the tools' branches hold private entries and the
 * shared source every shared one; with a tool filter the shared source covers only listed tools
 * that have no branch of their own), so no entry is returned twice.
 */
import type { EntryFilter } from '../memory-store.js'

/** Collects parameter values and hands out their `$n` placeholders. */
export class SqlParams {
  readonly values: unknown[] = []

  /** Bind `value`; returns its placeholder, e.g. `$3`. */
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }

  /** The number the next `add` will get. */
  get next(): number {
    return this.values.length + 1
  }
}

export interface ReadPlan {
  /** One condition per readable source, each the head of its own branch; empty when nothing can match. */
  sources: string[]
  /** Conditions (joined by AND) every branch adds: expiry, types, tags, key, visibility. */
  common: string
}

/**
 * Granted tools beyond this many share one `tool = ANY(…)` branch (sorted by id after the fetch)
 * instead of one index-ordered branch each, to bound the statement's size.
 */
export const MAX_GRANTED_BRANCHES = 16

/** The plan for live entries passing `filter` at `now`. */
export function readPlan(filter: EntryFilter, params: SqlParams, now: Date): ReadPlan {
  const common = commonConditions(filter, params, now)
  if (filter.types?.length === 0) return { sources: [], common }
  const { access } = filter
  const wanted = (tool: string) => filter.tools === undefined || filter.tools.includes(tool)
  /** Tools readable whatever the visibility: each gets a branch of its own. */
  const readable = [...new Set([...(access.tool === null ? [] : [access.tool]), ...access.grantedTools])]
  const sources: string[] = []

  // Without a tool filter, shared entries of every tool (the readable tools' included) are one
  // source, walked through the partial index memories_shared_id_idx without skipping a row, and the
  // readable tools' own branches take their private entries only. (Excluding the readable tools
  // from the shared source instead would make it skip all of their shared rows on every query.)
  const allShared = access.includeShared && filter.visibility !== 'private' && filter.tools === undefined
  const own = (tool: string) => (allShared ? `${toolIs(tool, params)} AND m.visibility = 'private'` : toolIs(tool, params))
  const granted = readable.filter((tool) => tool !== access.tool && wanted(tool))
  if (filter.visibility !== 'shared' || !allShared) {
    if (access.tool !== null && wanted(access.tool)) sources.push(own(access.tool))
    if (granted.length > MAX_GRANTED_BRANCHES) {
      sources.push(`m.tool = ANY(${params.add(granted)}::text[])${allShared ? ` AND m.visibility = 'private'` : ''}`)
    } else {
      for (const tool of granted) sources.push(own(tool))
    }
  }

  // `visibility = 'shared'` spelled as a literal, so that the planner can use the partial indexes.
  if (access.includeShared && filter.visibility !== 'private') {
    if (filter.tools === undefined) {
      sources.push(`m.visibility = 'shared'`)
    } else {
      const others = [...new Set(filter.tools)].filter((tool) => !readable.includes(tool))
      if (others.length === 1) sources.push(`m.visibility = 'shared' AND ${toolIs(others[0]!, params)}`)
      else if (others.length > 1) sources.push(`m.visibility = 'shared' AND m.tool = ANY(${params.add(others)}::text[])`)
    }
  }
  return { sources, common }
}

/** A LIKE pattern matching `text` literally anywhere: `%`, `_` and `\` escaped (ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** `=` rather than `= ANY(…)`: lets the planner walk the (tool, id) primary key backwards. */
function toolIs(tool: string, params: SqlParams): string {
  return `m.tool = ${params.add(tool)}::text`
}

function commonConditions(filter: EntryFilter, params: SqlParams, now: Date): string {
  const conditions = [`(m.expires_at IS NULL OR m.expires_at > ${params.add(now)}::timestamptz)`]
  if (filter.types?.length === 1) {
    // `=` rather than `= ANY(…)`: a one-type listing of a tool walks (tool, type, id) backwards.
    conditions.push(`m.type = ${params.add(filter.types[0])}::text`)
  } else if (filter.types !== undefined) {
    conditions.push(`m.type = ANY(${params.add(filter.types)}::text[])`)
  }
  if (filter.tags !== undefined && filter.tags.length > 0) conditions.push(`m.tags @> ${params.add(filter.tags)}::text[]`)
  if (filter.key !== undefined) conditions.push(`m.key = ${params.add(filter.key)}::text`)
  if (filter.visibility !== undefined) conditions.push(`m.visibility = ${params.add(filter.visibility)}::text`)
  if (filter.contains !== undefined && filter.contains.length > 0) {
    // The trigram index expression of substring search (0001/0002): compressed rows by their head.
    conditions.push(`coalesce(m.content, m.content_head) ILIKE ${params.add(containsPattern(filter.contains))}::text ESCAPE '\\'`)
  }
  return conditions.join(' AND ')
}
