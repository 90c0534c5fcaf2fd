/**
 * Search scoring for the in-memory store: an approximation of what the SQL store gets from Postgres
 * (`websearch_to_tsquery('english', …)` + `ts_rank_cd` for fulltext, `ILIKE` + `word_similarity` for
 * substring). Only the matching rules are pinned by the conformance suite; scores are comparable within
 * one backend only.
 */

/** A scorer returns null when the content does not match, else a score (higher is better). */
export type Scorer = (content: string) => number | null

const WORD = /[\p{L}\p{N}]+/gu

/** The Snowball English stop words (Postgres `english.stop`): they never match and are never required. */
const STOP_WORDS = new Set(
  ('i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers ' +
    'herself it its itself they them their theirs themselves what which who whom this that these those am is are ' +
    'was were be been being have has had having do does did doing a an the and but if or because as until while ' +
    'of at by for with about against between into through during before after above below to from up down in out ' +
    'on off over under again further then once here there when where why how all any both each few more most ' +
    'other some such no nor not only own same so than too very s t can will just don should now').split(' '),
)

/** Lowercase word tokens with stop words dropped and a light English plural normalisation. */
export function words(text: string): string[] {
  const out: string[] = []
  for (const [raw] of text.toLowerCase().matchAll(WORD)) {
    if (!STOP_WORDS.has(raw)) out.push(normalise(raw))
  }
  return out
}

function normalise(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return word.slice(0, -3) + 'y'
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1)
  return word
}

/**
 * Fulltext: every query word must occur in the content; a whitespace-separated `-word` excludes
 * entries containing it (websearch syntax). Score = n / (n + 1) where n counts occurrences of the
 * query words, so more occurrences rank higher. Null scorer (nothing can match) when the query has
 * no searchable word.
 */
export function fulltextScorer(query: string): Scorer | null {
  const required = new Set<string>()
  const excluded = new Set<string>()
  for (const chunk of query.split(/\s+/)) {
    const negated = chunk.length > 1 && chunk.startsWith('-')
    for (const word of words(negated ? chunk.slice(1) : chunk)) (negated ? excluded : required).add(word)
  }
  if (required.size === 0) return null
  return (content) => {
    const counts = new Map<string, number>()
    for (const word of words(content)) counts.set(word, (counts.get(word) ?? 0) + 1)
    let occurrences = 0
    for (const word of required) {
      const n = counts.get(word)
      if (n === undefined) return null
      occurrences += n
    }
    for (const word of excluded) if (counts.has(word)) return null
    return occurrences / (occurrences + 1)
  }
}

/**
 * Substring: case-insensitive, literal (no wildcard characters of any kind). Score in 0..1: the share
 * of the content the match covers. Null scorer for an empty query.
 */
export function substringScorer(query: string): Scorer | null {
  if (query.length === 0) return null
  const needle = query.toLowerCase()
  return (content) => {
    const haystack = content.toLowerCase()
    if (!haystack.includes(needle)) return null
    return Math.min(1, needle.length / Math.max(1, haystack.length))
  }
}
