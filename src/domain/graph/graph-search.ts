/**
 * search_nodes matching: the reference's rule (case-insensitive substring of an entity's name, type
 * or one of its observations, with JavaScript's `toLowerCase`), and the storage prefilter that
 * narrows the candidates before that exact test.
 *
 * The prefilter (`EntryFilter.contains` on the entity's content) must never drop an entity the exact
 * test would keep, yet the database folds case by its own locale rules, which differ from
 * JavaScript's: final sigma, `İ` lowercasing to `i` + U+0307, the Kelvin sign lowercasing to `k`, a
 * Turkish locale's dotless `ı`, a C ctype that folds ASCII only. So the prefilter uses the longest
 * run of the query made of characters whose matches cannot depend on the locale:
 * - ASCII characters except `i`, `I`, `k`, `K` (every locale folds the other ASCII letters alike, and
 *   no non-ASCII character lowercases to one of them);
 * - characters without case that are not combining marks (`東`, `ª`, `€`): they only ever match
 *   themselves.
 * `test/domain/graph-service.test.ts` checks over every code point that no other character
 * lowercases to one of these. A query with no such character (e.g. only Cyrillic or Greek letters)
 * gets no prefilter: every entity of the tool is read and tested.
 */
import type { Entity } from './knowledge-graph.js'

/** True for a character (one code point) that the prefilter may carry. */
export function isLocaleSafe(char: string): boolean {
  const code = char.codePointAt(0)!
  if (code < 0x80) return char !== 'i' && char !== 'I' && char !== 'k' && char !== 'K'
  return char.toLowerCase() === char && char.toUpperCase() === char && !/\p{M}/u.test(char)
}

/** The longest run of locale-safe characters of `query` (the first of equal length); '' when none. */
export function prefilterNeedle(query: string): string {
  let best = ''
  let run = ''
  for (const char of query) {
    run = isLocaleSafe(char) ? run + char : ''
    if (run.length > best.length) best = run
  }
  return best
}

/** The reference's test; `lowerQuery` is the query already lowercased. The empty query matches all. */
export function entityMatches(entity: Entity, lowerQuery: string): boolean {
  return (
    entity.name.toLowerCase().includes(lowerQuery) ||
    entity.entityType.toLowerCase().includes(lowerQuery) ||
    entity.observations.some((o) => o.toLowerCase().includes(lowerQuery))
  )
}
