/**
 * The load scenarios: what each autocannon run sends. Bare baselines and service runs use the same
 * connection count and duration (set by run.ts); only the request shape differs.
 */
import type autocannon from 'autocannon'
import {
  BENCH_BARE_TOOL, BENCH_CREATE_TOOL, FULLTEXT_QUERIES, READ_TOOL, SEED_TAGS, SUBSTRING_QUERIES, TOPIC_WORDS,
} from './words.js'

/** Which child serves a scenario: the bare baselines, the service (in-process LRU), or the service with Redis. */
export type Target = 'bare' | 'service' | 'service-redis'

export interface ScenarioContext {
  /** Live ids of READ_TOOL's seeded entries (more than the service's LRU holds). */
  ids: string[]
  /** The few of them `cached-read` reads again and again (cache hits). */
  hotIds: string[]
  /** How many 1 KiB values `bare-kv` reads (`bench:kv:0` … `bench:kv:<n-1>`). */
  kvKeys: number
  /** Distinguishes this run's created contents from earlier runs' (dedupe would otherwise answer 200). */
  runId: string
}

export interface Scenario {
  name: string
  target: Target
  /** The status every response should have; anything else is reported as a failure. */
  expectStatus: number
  describe: string
  /** Connections for this run instead of the configured count (latency probes). */
  connections?: number
  /** Read the service's hot-cache counters (/metrics) before and after the measured run. */
  cacheStats?: boolean
  /** Autocannon options except url, connections and duration. */
  options(ctx: ScenarioContext): Partial<autocannon.Options>
}

const JSON_HEADERS = { 'content-type': 'application/json' }

/** Where each scenario's cycling stopped, so that its next load (measured run after warm-up, next round) goes on from there. */
const positions = new Map<string, number>()

/**
 * Cycle through `values` across all connections. With `resumeKey`, go on where the previous load
 * with that key stopped: for `read`, restarting at 0 after the warm-up (or in the next round) would
 * re-read exactly the entries that just went into the service's LRU, turning part of it into cache
 * hits; going on in one cycle longer than the LRU makes every read a miss.
 */
function cycler<T>(values: readonly T[], resumeKey?: string): () => T {
  if (values.length === 0) throw new Error('nothing to cycle through')
  let i = resumeKey === undefined ? 0 : (positions.get(resumeKey) ?? 0)
  return () => {
    const value = values[i % values.length] as T
    i = (i + 1) % values.length
    if (resumeKey !== undefined) positions.set(resumeKey, i)
    return value
  }
}

/** One fixed request (autocannon takes the path from `requests`, not from a top-level option). */
function fixed(method: 'GET' | 'POST', path: string, headers: Record<string, string>) {
  return { method, requests: [{ method, path, headers }] } satisfies Partial<autocannon.Options>
}

/** A request sequence of one request whose path or body changes every time. */
function varying(method: 'GET' | 'POST', headers: Record<string, string>, next: () => { path?: string; body?: string }) {
  return {
    method,
    requests: [{
      method,
      headers,
      setupRequest: (request: autocannon.Request) => Object.assign(request, next()),
    }],
  } satisfies Partial<autocannon.Options>
}

/** A valid POST /v2/memories body with content unique to (runId, counter). */
function createBodies(runId: string): () => { body: string } {
  let n = 0
  return () => {
    n++
    const a = TOPIC_WORDS[n % TOPIC_WORDS.length]
    const b = TOPIC_WORDS[(n * 7) % TOPIC_WORDS.length]
    const content = `Benchmark note ${runId}-${n}: remember the ${a} near the ${b}, reviewed during load test run ${runId}.`
    return { body: JSON.stringify({ content, type: 'episode', tags: ['bench', `t${n % 16}`] }) }
  }
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'bare-root', target: 'bare', expectStatus: 200,
    describe: 'bare Fastify GET / → small JSON (framework floor)',
    options: () => fixed('GET', '/', {}),
  },
  {
    name: 'bare-select', target: 'bare', expectStatus: 200,
    describe: 'bare Fastify + pg: SELECT by primary key (tool, id)',
    options: ({ ids }) => {
      const next = cycler(ids, 'bare-select')
      return varying('GET', { 'x-memory-tool': READ_TOOL }, () => ({ path: `/rows/${next()}` }))
    },
  },
  {
    name: 'read', target: 'service', expectStatus: 200, cacheStats: true,
    describe: 'service GET /v2/memories/:id over pre-seeded ids (more than its LRU holds: store path)',
    options: ({ ids }) => {
      const next = cycler(ids, 'read')
      return varying('GET', { 'x-memory-tool': READ_TOOL }, () => ({ path: `/v2/memories/${next()}` }))
    },
  },
  {
    name: 'bare-kv', target: 'bare', expectStatus: 200,
    describe: 'bare Fastify + ioredis: GET of a 1 KiB value from a pool of hot keys',
    options: ({ kvKeys }) => {
      const next = cycler(Array.from({ length: kvKeys }, (_, i) => String(i)))
      return varying('GET', {}, () => ({ path: `/kv/${next()}` }))
    },
  },
  {
    name: 'cached-read', target: 'service-redis', expectStatus: 200, cacheStats: true,
    describe: 'service with REDIS_URL: GET /v2/memories/:id over a few hot ids (cache hits)',
    options: ({ hotIds }) => {
      const next = cycler(hotIds)
      return varying('GET', { 'x-memory-tool': READ_TOOL }, () => ({ path: `/v2/memories/${next()}` }))
    },
  },
  {
    name: 'list', target: 'service', expectStatus: 200,
    describe: 'service GET /v2/memories?limit=20 (own + shared, newest first)',
    options: () => fixed('GET', '/v2/memories?limit=20', { 'x-memory-tool': READ_TOOL }),
  },
  {
    name: 'list-type', target: 'service', expectStatus: 200,
    describe: 'service GET /v2/memories?limit=20&type=preference',
    options: () => fixed('GET', '/v2/memories?limit=20&type=preference', { 'x-memory-tool': READ_TOOL }),
  },
  {
    name: 'list-tag', target: 'service', expectStatus: 200,
    describe: 'service GET /v2/memories?limit=20&tag=<one of 20 tags, rotating>',
    options: () => {
      const next = cycler(SEED_TAGS)
      return varying('GET', { 'x-memory-tool': READ_TOOL }, () => ({ path: `/v2/memories?limit=20&tag=${next()}` }))
    },
  },
  {
    name: 'search-fulltext', target: 'service', expectStatus: 200,
    describe: `service POST /v2/search fulltext, limit 10 (${FULLTEXT_QUERIES.length} rotating 1–2 word queries)`,
    options: () => {
      const next = cycler(FULLTEXT_QUERIES)
      return varying('POST', { ...JSON_HEADERS, 'x-memory-tool': READ_TOOL }, () => ({
        path: '/v2/search', body: JSON.stringify({ query: next(), mode: 'fulltext', limit: 10 }),
      }))
    },
  },
  {
    name: 'search-substring', target: 'service', expectStatus: 200,
    describe: `service POST /v2/search substring, limit 10 (${SUBSTRING_QUERIES.length} rotating word fragments)`,
    options: () => {
      const next = cycler(SUBSTRING_QUERIES)
      return varying('POST', { ...JSON_HEADERS, 'x-memory-tool': READ_TOOL }, () => ({
        path: '/v2/search', body: JSON.stringify({ query: next(), mode: 'substring', limit: 10 }),
      }))
    },
  },
  // Writes last: their rows are the newest ids, which every listing would have to skip.
  {
    name: 'bare-insert', target: 'bare', expectStatus: 201,
    describe: 'bare Fastify + pg: single-row INSERT into memories',
    options: ({ runId }) => {
      const next = createBodies(`bare-${runId}`)
      return varying('POST', { ...JSON_HEADERS, 'x-memory-tool': BENCH_BARE_TOOL }, () => ({ path: '/insert', ...next() }))
    },
  },
  {
    name: 'create', target: 'service', expectStatus: 201,
    describe: 'service POST /v2/memories, unique content per request',
    options: ({ runId }) => {
      const next = createBodies(runId)
      return varying('POST', { ...JSON_HEADERS, 'x-memory-tool': BENCH_CREATE_TOOL }, () => ({ path: '/v2/memories', ...next() }))
    },
  },
]

/** (bare baseline, service scenario) pairs whose throughput ratio has a target. */
export const RATIO_PAIRS = [['bare-select', 'read'], ['bare-kv', 'cached-read'], ['bare-insert', 'create']] as const

/** List and search scenarios, which have latency targets. */
export const isQueryScenario = (s: Scenario) => s.name.startsWith('list') || s.name.startsWith('search')

/**
 * Scenarios to run, in order: all, or those named in BENCH_ONLY plus the baselines the ratios need.
 * With `probeConnections`, every list/search scenario is followed by a low-concurrency copy
 * (`<name>@<n>c`) that shows query latency without the queueing of a closed loop of many connections.
 */
export function selectScenarios(only: string[], probeConnections = 0, rounds = 1, redis = true): Scenario[] {
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n))
  if (unknown.length > 0) throw new Error(`unknown scenario(s) in BENCH_ONLY: ${unknown.join(', ')}`)
  const wanted = new Set(only)
  for (const [bare, service] of RATIO_PAIRS) if (wanted.has(service)) wanted.add(bare)
  const usesRedis = (s: Scenario) => s.name === 'bare-kv' || s.target === 'service-redis'
  if (!redis && only.some((n) => SCENARIOS.some((s) => s.name === n && usesRedis(s)))) {
    throw new Error('BENCH_ONLY names a cached-read scenario but BENCH_REDIS_URL is off')
  }
  const chosen = (only.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => wanted.has(s.name))).filter((s) => redis || !usesRedis(s))
  const probes = probeConnections <= 0 ? [] :
    chosen.filter(isQueryScenario).map((s) => ({ ...s, name: `${s.name}@${probeConnections}c`, connections: probeConnections }))
  const firstWrite = chosen.findIndex((s) => s.name === 'bare-insert' || s.name === 'create')
  const at = firstWrite < 0 ? chosen.length : firstWrite
  // Later rounds of the ratio pairs, each pair back to back, so that drifting machine load hits both sides alike.
  const paired = chosen.filter((s) => RATIO_PAIRS.some(([bare, service]) => s.name === bare || s.name === service))
  const again = Array.from({ length: rounds - 1 }, (_, i) => paired.map((s) => ({ ...s, name: `${s.name}#${i + 2}` }))).flat()
  return [...chosen.slice(0, at), ...probes, ...chosen.slice(at), ...again]
}
