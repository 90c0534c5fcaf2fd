/**
 * search_nodes matching: the reference's rule (case-insensitive substring of an entity's name, type
 * or one of its observations, with JavaScript's `toLowerCase`), and the storage prefilter that
 * narrows the candidates before that exact test.
 *
 * The prefilter (`EntryFilter.contains` on the entity's content) must never drop an entity the exact
 * test keeps, yet the database folds case by its own locale rules, which differ from JavaScript's
 * (final sigma, `İ`, the Kelvin sign, a Turkish or C locale). So the case folding is done here, in
 * JavaScript, on both sides: an entity's content is its search text already lowercased with
 * `toLowerCase` (graph-records.ts), and the needle is the query lowercased the same way. If the
 * lowercased text contains the lowercased query, the database's ILIKE (which can only fold further,
 * character by character, on both sides alike) matches too; it may add candidates (a match across
 * two fields' line break, a locale folding more), which the exact test drops. The whole query is
 * the needle, so every query of 3 characters or more is served by the trigram index.
 */
import type { Entity } from './knowledge-graph.js'

/** The needle for the content prefilter ('' = no prefilter: the empty query matches every entity). */
export function prefilterNeedle(query: string): string {
  return query.toLowerCase()
}

/** The reference's test; `lowerQuery` is the query already lowercased. The empty query matches all. */
export function entityMatches(entity: Entity, lowerQuery: string): boolean {
  return (
    entity.name.toLowerCase().includes(lowerQuery) ||
    entity.entityType.toLowerCase().includes(lowerQuery) ||
    entity.observations.some((o) => o.toLowerCase().includes(lowerQuery))
  )
}
