/**
 * Context packing: choose which memory entries go into a model's context window within a token
 * budget. Pure and dependency-free; the caller supplies candidates (with a raw relevance, e.g.
 * `ts_rank_cd`), the budget, the weights and the clock.
 *
 * Score (public contract), for each candidate, in 0..1:
 *
 *     score = (wR·rel + wI·importance + wT·recency) / (wR + wI + wT)
 *
 * - `rel` = relevance / (max relevance among the candidates); 0 for every candidate when that max is 0.
 *   Negative or non-finite raw relevance counts as 0.
 * - `importance` = `entry.importance` (0..1, clamped).
 * - `recency` = 0.5 ^ (age / halfLifeMs), age = max(0, now − entry.updatedAt) in ms, so an entry
 *   updated now scores 1 and one updated one half-life ago scores 0.5.
 * - Duplicate candidate ids: the one with the highest relevance is kept (the first on ties).
 *
 * Packing (0/1 knapsack, value = score, weight = `entry.tokens`):
 * 1. Greedy by value per token = score / max(tokens, 1), ties by higher score, then id descending.
 *    Each entry that still fits is added; entries that do not fit are skipped and the pass goes on
 *    (fill pass). Entries with 0 tokens always fit and are always taken.
 * 2. Safeguard: if the highest-score entry that fits the budget alone scores more than the greedy
 *    set's total score, start from that entry instead and fill the rest greedily the same way.
 *    This guarantees at least half of the optimal total score.
 *
 * `items` are in score order (desc, ties id desc); `omitted` lists every candidate not taken, score
 * desc, with reason `did_not_fit`; `totalTokens` never exceeds `maxTokens`.
 */
import type { MemoryEntry } from '../memory/memory-entry.js'

export interface ContextWeights {
  relevance: number
  importance: number
  recency: number
}

export interface ContextCandidate {
  entry: MemoryEntry
  /** Raw relevance >= 0 (e.g. ts_rank_cd); 0 when there is no query or no match. */
  relevance: number
}

export interface PackOptions {
  maxTokens: number
  weights: ContextWeights
  halfLifeMs: number
  /** ms since epoch */
  now: number
}

export interface PackedItem {
  entry: MemoryEntry
  score: number
  tokens: number
}

export interface OmittedItem {
  id: string
  tool: string
  tokens: number
  score: number
  reason: 'did_not_fit'
}

export interface PackResult {
  items: PackedItem[]
  totalTokens: number
  omitted: OmittedItem[]
}

export type ContextStrategy = 'balanced' | 'relevance' | 'importance' | 'recency'

export const STRATEGY_WEIGHTS: Readonly<Record<ContextStrategy, ContextWeights>> = Object.freeze({
  balanced: Object.freeze({ relevance: 0.5, importance: 0.3, recency: 0.2 }),
  relevance: Object.freeze({ relevance: 0.8, importance: 0.1, recency: 0.1 }),
  importance: Object.freeze({ relevance: 0.1, importance: 0.8, recency: 0.1 }),
  recency: Object.freeze({ relevance: 0.1, importance: 0.1, recency: 0.8 }),
})

export const DEFAULT_WEIGHTS: ContextWeights = STRATEGY_WEIGHTS.balanced

function validWeight(w: number): boolean {
  return Number.isFinite(w) && w >= 0
}

function checkScoreOptions(options: Pick<PackOptions, 'weights' | 'halfLifeMs' | 'now'>): void {
  const { relevance, importance, recency } = options.weights
  if (!validWeight(relevance) || !validWeight(importance) || !validWeight(recency)) {
    throw new RangeError('context weights must be finite numbers >= 0')
  }
  if (relevance + importance + recency <= 0) throw new RangeError('context weights must not all be 0')
  if (!(Number.isFinite(options.halfLifeMs) && options.halfLifeMs > 0)) {
    throw new RangeError('halfLifeMs must be a finite number > 0')
  }
  if (!Number.isFinite(options.now)) throw new RangeError('now must be a finite number of ms')
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0
}

function rawRelevance(r: number): number {
  return Number.isFinite(r) && r > 0 ? r : 0
}

/** Keeps one candidate per id (highest relevance, first on ties), in order of first appearance. */
function dedupe(candidates: ContextCandidate[]): ContextCandidate[] {
  const byId = new Map<string, ContextCandidate>()
  for (const c of candidates) {
    const seen = byId.get(c.entry.id)
    if (seen === undefined || rawRelevance(c.relevance) > rawRelevance(seen.relevance)) byId.set(c.entry.id, c)
  }
  return [...byId.values()]
}

/** Scores the candidates (see the module comment); one result per distinct id. */
export function scoreCandidates(
  candidates: ContextCandidate[],
  options: Pick<PackOptions, 'weights' | 'halfLifeMs' | 'now'>,
): Array<{ entry: MemoryEntry; score: number }> {
  checkScoreOptions(options)
  const unique = dedupe(candidates)
  const { relevance: wR, importance: wI, recency: wT } = options.weights
  const wSum = wR + wI + wT
  let maxRel = 0
  for (const c of unique) maxRel = Math.max(maxRel, rawRelevance(c.relevance))
  return unique.map(({ entry, relevance }) => {
    const rel = maxRel > 0 ? rawRelevance(relevance) / maxRel : 0
    const age = Math.max(0, options.now - entry.updatedAt.getTime())
    const recency = Number.isFinite(age) ? Math.pow(0.5, age / options.halfLifeMs) : 0
    const score = (wR * rel + wI * clamp01(entry.importance) + wT * recency) / wSum
    return { entry, score: clamp01(score) }
  })
}

interface Scored {
  entry: MemoryEntry
  score: number
  tokens: number
}

function idDesc(a: Scored, b: Scored): number {
  return a.entry.id < b.entry.id ? 1 : a.entry.id > b.entry.id ? -1 : 0
}

function byScore(a: Scored, b: Scored): number {
  return b.score - a.score || idDesc(a, b)
}

function byDensity(a: Scored, b: Scored): number {
  return b.score / Math.max(b.tokens, 1) - a.score / Math.max(a.tokens, 1) || byScore(a, b)
}

/** Adds, in `order`, every entry not yet taken that still fits. */
function fill(order: Scored[], taken: Set<Scored>, used: number, maxTokens: number): number {
  for (const s of order) {
    if (taken.has(s) || used + s.tokens > maxTokens) continue
    taken.add(s)
    used += s.tokens
  }
  return used
}

function totalScore(set: Set<Scored>): number {
  let sum = 0
  for (const s of set) sum += s.score
  return sum
}

/** Packs the candidates into `maxTokens` (see the module comment). */
export function packContext(candidates: ContextCandidate[], options: PackOptions): PackResult {
  if (!(Number.isFinite(options.maxTokens) && options.maxTokens >= 0)) {
    throw new RangeError('maxTokens must be a finite number >= 0')
  }
  const { maxTokens } = options
  const scored: Scored[] = scoreCandidates(candidates, options).map(({ entry, score }) => ({
    entry,
    score,
    tokens: Number.isFinite(entry.tokens) && entry.tokens > 0 ? entry.tokens : 0,
  }))
  const density = [...scored].sort(byDensity)

  let taken = new Set<Scored>()
  let used = fill(density, taken, 0, maxTokens)

  let best: Scored | undefined
  for (const s of scored) {
    if (s.tokens <= maxTokens && (best === undefined || byScore(s, best) < 0)) best = s
  }
  if (best !== undefined && best.score > totalScore(taken)) {
    const alt = new Set<Scored>([best])
    used = fill(density, alt, best.tokens, maxTokens)
    taken = alt
  }

  const items = [...taken].sort(byScore).map(({ entry, score, tokens }) => ({ entry, score, tokens }))
  const omitted: OmittedItem[] = scored
    .filter((s) => !taken.has(s))
    .sort(byScore)
    .map((s) => ({ id: s.entry.id, tool: s.entry.tool, tokens: s.tokens, score: s.score, reason: 'did_not_fit' }))
  return { items, totalTokens: used, omitted }
}
