import t from 'tap'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import {
  DEFAULT_WEIGHTS,
  STRATEGY_WEIGHTS,
  packContext,
  scoreCandidates,
  type ContextCandidate,
  type ContextWeights,
  type PackOptions,
} from '../../src/domain/context/context-packer.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const NOW = Date.UTC(2025, 0, 1)

function id(n: number): string {
  return `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`
}

function entry(n: number, fields: { tokens: number; importance?: number; updatedAt?: number }): MemoryEntry {
  const updated = new Date(fields.updatedAt ?? NOW)
  return {
    id: id(n),
    tool: 'tool-a',
    type: 'fact',
    key: null,
    content: `entry ${n}`,
    contentType: 'text/plain',
    metadata: {},
    tags: [],
    importance: fields.importance ?? 0.5,
    visibility: 'private',
    contentHash: 'sha256:' + '0'.repeat(64),
    tokens: fields.tokens,
    version: 1,
    createdAt: updated,
    updatedAt: updated,
    expiresAt: null,
    lastAccessedAt: null,
    accessCount: 0,
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function randomCase(rnd: () => number, maxCount: number): { candidates: ContextCandidate[]; options: PackOptions } {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
  const count = int(0, maxCount)
  const noQuery = rnd() < 0.3
  const candidates: ContextCandidate[] = []
  for (let i = 0; i < count; i++) {
    const kind = rnd()
    const tokens = kind < 0.15 ? 0 : kind < 0.3 ? int(2000, 5000) : int(1, 800)
    const e = entry(i + 1, { tokens, importance: rnd(), updatedAt: NOW - Math.floor(rnd() * 30 * DAY) })
    candidates.push({ entry: e, relevance: noQuery || rnd() < 0.3 ? 0 : rnd() * 5 })
  }
  const presets = Object.values(STRATEGY_WEIGHTS)
  const weights: ContextWeights =
    rnd() < 0.5 ? presets[int(0, presets.length - 1)]! : { relevance: rnd(), importance: rnd(), recency: rnd() + 0.01 }
  const maxTokens = rnd() < 0.1 ? 0 : int(0, 20_000)
  return { candidates, options: { maxTokens, weights, halfLifeMs: int(1, 14 * 24) * HOUR, now: NOW } }
}

/** Best total score of any subset within the budget (exhaustive; small inputs only). */
function bruteForceOptimum(scored: Array<{ entry: MemoryEntry; score: number }>, maxTokens: number): number {
  let best = 0
  for (let mask = 0; mask < 1 << scored.length; mask++) {
    let tokens = 0
    let score = 0
    for (let i = 0; i < scored.length; i++) {
      if (mask & (1 << i)) {
        tokens += scored[i]!.entry.tokens
        score += scored[i]!.score
      }
    }
    if (tokens <= maxTokens && score > best) best = score
  }
  return best
}

const BASE_SEED = Number(process.env.PACKER_SEED ?? 0x5eed)

t.test('property: budget, partition, maximality and 1/2-optimality', async (t) => {
  const cases = [
    ...Array.from({ length: 300 }, (_, i) => ({ seed: BASE_SEED + i, maxCount: 60 })),
    ...Array.from({ length: 300 }, (_, i) => ({ seed: BASE_SEED + 100_000 + i, maxCount: 12 })),
  ]
  let bruteForced = 0
  for (const { seed, maxCount } of cases) {
    const { candidates, options } = randomCase(mulberry32(seed), maxCount)
    const at = `(seed ${seed}, maxCount ${maxCount})`
    const r = packContext(candidates, options)
    t.ok(r.totalTokens <= options.maxTokens, `totalTokens ${r.totalTokens} <= ${options.maxTokens} ${at}`)
    t.equal(r.totalTokens, r.items.reduce((s, i) => s + i.tokens, 0), `totalTokens is the sum of items ${at}`)
    const ids = [...r.items.map((i) => i.entry.id), ...r.omitted.map((o) => o.id)]
    t.same([...ids].sort(), candidates.map((c) => c.entry.id).sort(), `items + omitted partition candidates ${at}`)
    const leftover = options.maxTokens - r.totalTokens
    const fitting = r.omitted.filter((o) => o.tokens <= leftover).map((o) => o.id)
    t.same(fitting, [], `no omitted entry fits in the leftover ${leftover} ${at}`)
    t.ok(r.omitted.every((o) => o.reason === 'did_not_fit'), `omitted reason ${at}`)
    if (candidates.length <= 12) {
      bruteForced++
      const optimum = bruteForceOptimum(scoreCandidates(candidates, options), options.maxTokens)
      const packed = r.items.reduce((s, i) => s + i.score, 0)
      t.ok(packed >= 0.5 * optimum - 1e-9, `packed score ${packed} >= half the optimum ${optimum} ${at}`)
    }
  }
  t.ok(bruteForced >= 300, `brute-forced ${bruteForced} small cases`)
})

function packOne(candidates: ContextCandidate[], weights: ContextWeights, maxTokens: number) {
  return packContext(candidates, { maxTokens, weights, halfLifeMs: 7 * DAY, now: NOW })
}

t.test('with equal sizes and room for one, the more relevant entry wins (relevance weights)', async (t) => {
  const a = entry(1, { tokens: 100, importance: 0.5 })
  const b = entry(2, { tokens: 100, importance: 0.5 })
  const r = packOne([{ entry: a, relevance: 0.2 }, { entry: b, relevance: 0.9 }], STRATEGY_WEIGHTS.relevance, 150)
  t.same(r.items.map((i) => i.entry.id), [b.id])
  t.same(r.omitted.map((o) => [o.id, o.reason]), [[a.id, 'did_not_fit']])
})

t.test('with equal relevance, the more important entry wins', async (t) => {
  const a = entry(1, { tokens: 100, importance: 0.9 })
  const b = entry(2, { tokens: 100, importance: 0.1 })
  const r = packOne([{ entry: a, relevance: 1 }, { entry: b, relevance: 1 }], DEFAULT_WEIGHTS, 100)
  t.same(r.items.map((i) => i.entry.id), [a.id])
})

t.test('under the recency strategy, the fresher entry wins', async (t) => {
  const old = entry(1, { tokens: 100, importance: 0.5, updatedAt: NOW - 30 * DAY })
  const fresh = entry(2, { tokens: 100, importance: 0.5, updatedAt: NOW - HOUR })
  const r = packOne([{ entry: fresh, relevance: 0 }, { entry: old, relevance: 0 }], STRATEGY_WEIGHTS.recency, 100)
  t.same(r.items.map((i) => i.entry.id), [fresh.id])
})

t.test('safeguard: one big high-score entry beats many tiny low-score ones', async (t) => {
  const big = entry(100, { tokens: 1000, importance: 1 })
  const tiny = Array.from({ length: 5 }, (_, i) => entry(i + 1, { tokens: 1, importance: 0, updatedAt: NOW - 365 * DAY }))
  const candidates = [{ entry: big, relevance: 10 }, ...tiny.map((e) => ({ entry: e, relevance: 0.05 }))]
  const weights = { relevance: 0.5, importance: 0.5, recency: 0 }
  // Tiny ones are denser (0.0025 per token vs 0.001) but only sum to 0.0125; the big one scores 1.
  const r = packOne(candidates, weights, 1000)
  t.same(r.items.map((i) => i.entry.id), [big.id])
  t.equal(r.totalTokens, 1000)
  t.equal(r.omitted.length, 5)
  // With room to spare, the rest is filled greedily after the big entry.
  const r2 = packOne(candidates, weights, 1003)
  t.same(r2.items.map((i) => i.entry.id), [big.id, id(5), id(4), id(3)])
  t.equal(r2.totalTokens, 1003)
})

t.test('score formula, hand-computed', async (t) => {
  const a = entry(1, { tokens: 10, importance: 1, updatedAt: NOW - 2 * DAY }) // recency 0.25 at halfLife 1 day
  const b = entry(2, { tokens: 10, importance: 0, updatedAt: NOW }) // recency 1
  const c = entry(3, { tokens: 10, importance: 0.5, updatedAt: NOW + HOUR }) // future: age 0, recency 1
  const opts = { weights: { relevance: 2, importance: 1, recency: 1 }, halfLifeMs: DAY, now: NOW }
  const scores = scoreCandidates([{ entry: a, relevance: 4 }, { entry: b, relevance: 2 }, { entry: c, relevance: 0 }], opts)
  // a: (2·1 + 1·1 + 1·0.25) / 4 = 0.8125; b: (2·0.5 + 0 + 1) / 4 = 0.5; c: (0 + 0.5 + 1) / 4 = 0.375
  t.same(scores.map((s) => [s.entry.id, s.score]), [[a.id, 0.8125], [b.id, 0.5], [c.id, 0.375]])
  const noQuery = scoreCandidates([{ entry: a, relevance: 0 }], opts)
  t.equal(noQuery[0]?.score, (0 + 1 + 0.25) / 4, 'relevance 0 everywhere counts as rel 0')
  const balanced = scoreCandidates([{ entry: a, relevance: 3 }], { ...opts, weights: STRATEGY_WEIGHTS.balanced })
  t.ok(Math.abs(balanced[0]!.score - (0.5 + 0.3 + 0.2 * 0.25)) < 1e-12, 'balanced preset: 0.85')
})

t.test('duplicate ids keep the candidate with the highest relevance', async (t) => {
  const a = entry(1, { tokens: 10, importance: 0 })
  const b = entry(2, { tokens: 10, importance: 0 })
  const w = { relevance: 1, importance: 0, recency: 0 }
  const cands = [{ entry: a, relevance: 1 }, { entry: b, relevance: 2 }, { entry: { ...a, tokens: 99 }, relevance: 4 }]
  const scores = scoreCandidates(cands, { weights: w, halfLifeMs: DAY, now: NOW })
  t.same(scores.map((s) => [s.entry.id, s.entry.tokens, s.score]), [[a.id, 99, 1], [b.id, 10, 0.5]])
  const r = packOne(cands, w, 1000)
  t.same(r.items.map((i) => [i.entry.id, i.tokens]), [[a.id, 99], [b.id, 10]])
  t.equal(r.totalTokens, 109)
})

t.test('0-token entries are always included, even with maxTokens 0', async (t) => {
  const zero = [entry(1, { tokens: 0, importance: 0 }), entry(2, { tokens: 0, importance: 0.1 })]
  const big = entry(3, { tokens: 5000, importance: 1 })
  const candidates = [...zero, big].map((e) => ({ entry: e, relevance: 1 }))
  const r0 = packOne(candidates, DEFAULT_WEIGHTS, 0)
  t.same(r0.items.map((i) => i.entry.id), [id(2), id(1)])
  t.equal(r0.totalTokens, 0)
  t.same(r0.omitted.map((o) => [o.id, o.tool, o.tokens]), [[big.id, 'tool-a', 5000]])
  const r1 = packOne(candidates, DEFAULT_WEIGHTS, 5000)
  t.same(r1.items.map((i) => i.entry.id), [id(3), id(2), id(1)])
  t.same(r1.omitted, [])
  t.same(packOne([], DEFAULT_WEIGHTS, 100), { items: [], totalTokens: 0, omitted: [] })
})

t.test('invalid options are rejected', async (t) => {
  const c = [{ entry: entry(1, { tokens: 1 }), relevance: 0 }]
  t.throws(() => packOne(c, { relevance: 0, importance: 0, recency: 0 }, 10), RangeError)
  t.throws(() => packOne(c, { relevance: -1, importance: 1, recency: 0 }, 10), RangeError)
  t.throws(() => packOne(c, DEFAULT_WEIGHTS, -1), RangeError)
  t.throws(() => packContext(c, { maxTokens: 1, weights: DEFAULT_WEIGHTS, halfLifeMs: 0, now: NOW }), RangeError)
})
