/**
 * `EntryFilter` → SQL conditions on `memories AS m`, with every value bound as a parameter.
 * Access filtering happens here, inside the query, so that pages are never filtered after LIMIT.
 * Semantics match the in-memory store: an empty `tools` or `types` list matches nothing, an empty
 * `tags` list matches everything.
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

/** Conditions (joined by AND) selecting live entries passing `filter` at `now`. */
export function filterConditions(filter: EntryFilter, params: SqlParams, now: Date): string {
  const { access } = filter
  const readable = [`m.tool = ${params.add(access.tool)}::text`]
  if (access.grantedTools.length > 0) readable.push(`m.tool = ANY(${params.add(access.grantedTools)}::text[])`)
  if (access.includeShared) readable.push(`m.visibility = 'shared'`)

  const conditions = [
    `(m.expires_at IS NULL OR m.expires_at > ${params.add(now)}::timestamptz)`,
    `(${readable.join(' OR ')})`,
  ]
  if (filter.tools?.length === 1) {
    // `=` rather than `= ANY(…)` lets the planner walk the (tool, id) primary key backwards.
    conditions.push(`m.tool = ${params.add(filter.tools[0])}::text`)
  } else if (filter.tools !== undefined) {
    conditions.push(`m.tool = ANY(${params.add(filter.tools)}::text[])`)
  }
  if (filter.types !== undefined) conditions.push(`m.type = ANY(${params.add(filter.types)}::text[])`)
  if (filter.tags !== undefined && filter.tags.length > 0) conditions.push(`m.tags @> ${params.add(filter.tags)}::text[]`)
  if (filter.key !== undefined) conditions.push(`m.key = ${params.add(filter.key)}::text`)
  if (filter.visibility !== undefined) conditions.push(`m.visibility = ${params.add(filter.visibility)}::text`)
  return conditions.join(' AND ')
}

/** A LIKE pattern matching `text` literally anywhere: `%`, `_` and `\` escaped (ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
