/**
 * Context packing benchmark: POST /v2/context on one tool holding 1,000 and then 100,000 entries.
 * The endpoint picks its candidates through indexes only (the most important entries through
 * memories_tool_importance_idx, the newest through the primary key, and with a query the best
 * full-text matches through the GIN index), so its latency must barely grow with the tool's size.
 *
 * Standalone (never part of `npm test`):
 *
 *   node --import tsx bench/context.ts          (npm run bench:context, ~3 min)
 *   BENCH_QUICK=1 node --import tsx bench/context.ts
 *
 * What it does:
 * - creates a fresh database `mcpmem_bench_context_<random>` (dropped at the end unless BENCH_KEEP=1)
 *   and migrates it through the service's own migrator (as MIGRATE_ON_START=true does);
 * - per size (small, then large): empties `memories`, seeds ONE tool (`bench-context`) with generated
 *   entries, rebuilds the secondary indexes, `VACUUM ANALYZE` (autovacuum is off on the bench
 *   machine), builds the real app (`buildApp(loadConfig({STORE_URL, LOG_LEVEL: 'silent', …}))`,
 *   default config: in-process hot tier, pg pool of 10, CONTEXT_MAX_CANDIDATES 400, access
 *   statistics flushed every 10 s) and drives POST /v2/context in-process with `app.server.inject`
 *   as that tool (X-Memory-Tool, local mode): no sockets, one event loop for the app and the loops;
 * - per case: a warm-up, then `BENCH_CONTEXT_REQUESTS` sequential requests (p50/p95/p99/max), then
 *   `BENCH_CONTEXT_CONCURRENCY` closed loops for `BENCH_CONTEXT_SECONDS` (req/s, CPU per request of
 *   this process and of the database's Postgres processes);
 * - captures the SQL statements of one request per case (from pg's Client.query) and runs
 *   EXPLAIN (ANALYZE, BUFFERS) on each with its values: any `Seq Scan on memories` is flagged, and so
 *   is any plan node that removed more than 1,000 rows by filter or read more than 1,000 rows into a sort.
 *
 * Seeded data (deterministic PRNG, the same recipe at both sizes): English-like sentences from the
 * vocabulary of words.ts (35 % function words, 65 % topic words with a skew, so `project` is in most
 * entries and late topic words are rare), 20–400 tokens per entry (log-uniform target), `tokens`
 * counted with the service's own tokenizer (TOKENIZER, o200k_base by default) on the exact stored
 * text, content stored as the service stores it (`storeContent` with the configured compression:
 * entries from 1,024 bytes brotli-compressed into content_blob + content_head), `search_vector` with
 * the service's expression, sha256 content hash, importance 0.5 for 30 % (the API's default) and
 * uniform 0..1 (2 decimals) for the rest, created_at spread evenly over 90 days ending now (UUIDv7
 * ids from it, so id order is time order), updated_at later than created_at for 10 %, 3 % with an
 * expiry in the future, 6 types, 0–3 of 20 tags, `BENCH_CONTEXT_SHARED` (20 %) shared. The rare word
 * `quetzal` is planted in exactly 20 entries at both sizes, so the rare-word case has the same
 * matches at both sizes; the common word `project` matches ~60 % of the entries.
 *
 * Settings:
 *   BENCH_QUICK=1                   100 requests, 2 s of throughput, large size 20,000
 *   BENCH_CONTEXT_SMALL=1000        entries of the first size (200..1,000,000)
 *   BENCH_CONTEXT_LARGE=100000      entries of the second size (> SMALL, ..1,000,000)
 *   BENCH_CONTEXT_REQUESTS=300      sequential measured requests per case and size (20..5,000)
 *   BENCH_CONTEXT_WARMUP=30         sequential unmeasured requests before them (0..1,000; the first
 *                                   size gets 3× as many, since the process is cold)
 *   BENCH_CONTEXT_SECONDS=5         seconds of the throughput run per case and size (0 skips it; ..60)
 *   BENCH_CONTEXT_CONCURRENCY=8     closed loops of the throughput run (1..256)
 *   BENCH_CONTEXT_SHARED=20         percent of entries with visibility shared (0..100)
 *   BENCH_CONTEXT_OTHER_TOOL=0      entries of a second tool (`bench-context-other`, same recipe, no rare word) seeded
 *                                   at both sizes: its shared ones are readable by the caller (0..1,000,000)
 *   BENCH_CONTEXT_EXPLAIN=1         0: skip the EXPLAIN (ANALYZE, BUFFERS) of the statements
 *   BENCH_CONTEXT_ONLY=a,b          only these cases (none-4k, common-4k, rare-4k, none-32k)
 *   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   (loopback only)
 *   BENCH_KEEP=1                    keep the database at the end
 *   BENCH_OUT=/tmp/mcpmem-bench     where the JSON results go
 *   CACHE_MAX_ENTRIES, PG_POOL_MAX, CONTEXT_MAX_CANDIDATES, TOKENIZER, COMPRESSION   passed to the service config when set
 *
 * Exit 0 after a complete run, 2 on any non-2xx answer, an answer over its budget, or any other failure.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildApp, type App } from '../src/app.js'
import { compressionPolicy } from '../src/compression/content-codec.js'
import { loadConfig } from '../src/config/load-config.js'
import { loadTokenCounter, type TokenCounter } from '../src/domain/memory/token-counter.js'
import { storeContent } from '../src/storage/sql/stored-content.js'
import { postgresCpuDelta, readMachineCpuMs, readPostgresCpu } from './children.js'
import { migrate, withClient } from './db.js'
import { assertLoopbackUrl } from './env.js'
import { COMMON_WORDS, SEED_TAGS, SEED_TYPES, TOPIC_WORDS } from './words.js'

const TOOL = 'bench-context'
const HEADERS = { 'x-memory-tool': TOOL, 'content-type': 'application/json' }
const RARE_WORD = 'quetzal'
const RARE_ENTRIES = 20
const COMMON_WORD = 'project'
/** Owner of the optional BENCH_CONTEXT_OTHER_TOOL entries (readable by the caller only when shared). */
const OTHER_TOOL = 'bench-context-other'
const DAY_MS = 86_400_000
const SPAN_MS = 90 * DAY_MS
const BATCH_ROWS = 2_000
const LOADERS = 2
const WATCHDOG_MS = 20 * 60_000

// ---------------------------------------------------------------------------------------- settings

function int(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number`)
  const value = Number(raw)
  if (value < min || value > max) throw new Error(`${name} must be between ${min} and ${max}`)
  return value
}
const flag = (name: string, fallback: boolean) => {
  const raw = process.env[name]
  return raw === undefined || raw === '' ? fallback : raw === '1' || raw === 'true'
}
const quick = flag('BENCH_QUICK', false)
const settings = {
  quick,
  small: int('BENCH_CONTEXT_SMALL', 1000, 200, 1_000_000),
  large: int('BENCH_CONTEXT_LARGE', quick ? 20_000 : 100_000, 201, 1_000_000),
  requests: int('BENCH_CONTEXT_REQUESTS', quick ? 100 : 300, 20, 5_000),
  warmup: int('BENCH_CONTEXT_WARMUP', quick ? 10 : 30, 0, 1_000),
  seconds: int('BENCH_CONTEXT_SECONDS', quick ? 2 : 5, 0, 60),
  concurrency: int('BENCH_CONTEXT_CONCURRENCY', 8, 1, 256),
  sharedPercent: int('BENCH_CONTEXT_SHARED', 20, 0, 100),
  otherTool: int('BENCH_CONTEXT_OTHER_TOOL', 0, 0, 1_000_000),
  explain: flag('BENCH_CONTEXT_EXPLAIN', true),
  only: (process.env.BENCH_CONTEXT_ONLY ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
  keep: flag('BENCH_KEEP', false),
  pgBaseUrl: (process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
  out: process.env.BENCH_OUT || '/tmp/mcpmem-bench',
}
if (settings.large <= settings.small) throw new Error('BENCH_CONTEXT_LARGE must be larger than BENCH_CONTEXT_SMALL')
assertLoopbackUrl(settings.pgBaseUrl)
const database = `mcpmem_bench_context_${randomBytes(4).toString('hex')}`
const dbUrl = `${settings.pgBaseUrl}/${database}`

const started = performance.now()
const log = (message: string) =>
  console.log(`[bench:context ${new Date().toISOString().slice(11, 19)} +${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`)
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

class BenchFailure extends Error {}

// ---------------------------------------------------------------------------------------- cases

interface Case {
  name: string
  describe: string
  body: { maxTokens: number; query?: string }
}

const ALL_CASES: Case[] = [
  { name: 'none-4k', describe: 'no query, maxTokens 4,000', body: { maxTokens: 4000 } },
  { name: 'common-4k', describe: `query "${COMMON_WORD}" (in ~60 % of the entries), maxTokens 4,000`, body: { query: COMMON_WORD, maxTokens: 4000 } },
  { name: 'rare-4k', describe: `query "${RARE_WORD}" (in ${RARE_ENTRIES} entries at every size), maxTokens 4,000`, body: { query: RARE_WORD, maxTokens: 4000 } },
  { name: 'none-32k', describe: 'no query, maxTokens 32,000', body: { maxTokens: 32000 } },
]
for (const name of settings.only) {
  if (!ALL_CASES.some((c) => c.name === name)) throw new Error(`BENCH_CONTEXT_ONLY: unknown case ${name} (${ALL_CASES.map((c) => c.name).join(', ')})`)
}
const CASES = settings.only.length === 0 ? ALL_CASES : ALL_CASES.filter((c) => settings.only.includes(c.name))

// ---------------------------------------------------------------------------------------- data

/** mulberry32: a small seeded PRNG, so the data set is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function checkVocabulary(): void {
  for (const w of [...COMMON_WORDS, ...TOPIC_WORDS]) {
    if (w.includes(RARE_WORD)) throw new Error(`rare word ${RARE_WORD} occurs in the vocabulary (${w})`)
  }
  if (TOPIC_WORDS[0] !== COMMON_WORD) throw new Error(`the common word must be the first (most frequent) topic word, ${TOPIC_WORDS[0]}`)
}

function word(random: () => number): string {
  return random() < 0.35
    ? COMMON_WORDS[Math.floor(random() * COMMON_WORDS.length)]!
    : TOPIC_WORDS[Math.floor(random() * random() * TOPIC_WORDS.length)]!
}

/** Sentences until about `target` tokens (o200k: ~1.05 tokens per word, +1 per full stop). */
function text(random: () => number, target: number, rare: boolean): string {
  const sentences: string[] = []
  let estimate = 0
  let plantAt = rare ? Math.floor(random() * 3) : -1
  while (estimate < target) {
    const n = 5 + Math.floor(random() * 12)
    const words: string[] = []
    for (let k = 0; k < n && estimate + k * 1.05 < target + 2; k++) words.push(word(random))
    if (plantAt === 0) words.splice(Math.floor(random() * words.length), 0, RARE_WORD)
    plantAt--
    const first = words[0]!
    words[0] = first[0]!.toUpperCase() + first.slice(1)
    sentences.push(`${words.join(' ')}.`)
    estimate += words.length * 1.05 + 1
  }
  if (plantAt >= 0) sentences.push(`Seen a ${RARE_WORD}.`)
  return sentences.join(' ')
}

/** UUIDv7 of `ms` with random bits from `random`. */
function uuidV7(ms: number, random: () => number): string {
  const hex = (digits: number) => {
    let s = ''
    for (let i = 0; i < digits; i++) s += Math.floor(random() * 16).toString(16)
    return s
  }
  const time = ms.toString(16).padStart(12, '0')
  const variant = (8 + Math.floor(random() * 4)).toString(16)
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex(3)}-${variant}${hex(3)}-${hex(12)}`
}

interface SeedRow {
  id: string
  type: string
  text: string
  tags: string
  importance: number
  visibility: string
  hash: string
  tokens: number
  created: string
  updated: string
  expires: string | null
  codec: string | null
  blobHex: string | null
}

/** Rows [from, to) of a data set of `size` entries ending at `now`. */
async function generate(from: number, to: number, size: number, now: number, count: TokenCounter, policy: ReturnType<typeof compressionPolicy>, other: boolean): Promise<SeedRow[]> {
  const rareEvery = size / RARE_ENTRIES
  const rows: SeedRow[] = []
  for (let i = from; i < to; i++) {
    const random = prng(i * 2654435761 + (other ? 1_000_003 : 17))
    // Rare entries: one in each 1/RARE_ENTRIES of the range (the same count at every size).
    const rare = !other && Math.floor((i + 0.5) / rareEvery) !== Math.floor((i - 0.5) / rareEvery)
    const target = Math.round(20 * Math.pow(20, random()))
    const content = text(random, target, rare)
    const createdMs = Math.floor(now - SPAN_MS + ((i + random()) * SPAN_MS) / size)
    const updatedMs = random() < 0.1 ? Math.floor(createdMs + random() * (now - createdMs)) : createdMs
    const tagCount = Math.floor(random() * 4)
    const tags = new Set<string>()
    for (let k = 0; k < tagCount; k++) tags.add(SEED_TAGS[Math.floor(Math.pow(random(), 1.5) * SEED_TAGS.length)]!)
    const stored = await storeContent(content, policy)
    rows.push({
      id: uuidV7(createdMs, random),
      type: SEED_TYPES[Math.floor(Math.pow(random(), 1.6) * SEED_TYPES.length)]!,
      text: stored.text,
      tags: [...tags].join(','),
      importance: random() < 0.3 ? 0.5 : Math.round(random() * 100) / 100,
      visibility: random() * 100 < settings.sharedPercent ? 'shared' : 'private',
      hash: 'sha256:' + createHash('sha256').update(content, 'utf8').digest('hex'),
      tokens: count(content),
      created: new Date(createdMs).toISOString(),
      updated: new Date(updatedMs).toISOString(),
      expires: random() < 0.03 ? new Date(now + (1 + random() * 29) * DAY_MS).toISOString() : null,
      codec: stored.codec,
      blobHex: stored.blob === null ? null : stored.blob.toString('hex'),
    })
  }
  return rows
}

/** The columns the service writes (columns.ts), the derived ones computed as the service computes them. */
const INSERT_ROWS = `
INSERT INTO memories (tool, id, type, key, content, content_type, metadata, tags, importance, visibility, content_hash,
  tokens, version, created_at, updated_at, expires_at, last_accessed_at, access_count, content_codec, content_blob,
  content_head, search_vector)
SELECT $1::text, r.id, r.type, NULL, CASE WHEN r.blob IS NULL THEN r.text END, 'text/plain', '{"source":"bench-context"}'::jsonb,
  string_to_array(r.tags, ','), r.importance, r.visibility, r.hash, r.tokens, 1, r.created, r.updated, r.expires, NULL, 0,
  r.codec, decode(r.blob, 'hex'), CASE WHEN r.blob IS NOT NULL THEN left(r.text, 4096) END,
  to_tsvector('english'::regconfig, left(r.text, 100000))
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::int[],
  $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::text[])
  AS r(id, type, text, tags, importance, visibility, hash, tokens, created, updated, expires, codec, blob)`

interface SeedFacts {
  rows: number
  seconds: number
  loadSeconds: number
  indexSeconds: number
  compressed: number
  tokens: { min: number; avg: number; max: number }
  commonMatches: number
  rareMatches: number
  shared: number
  tableSize: string
}

/** Empty `memories`, drop its secondary indexes, load `size` rows on LOADERS connections, rebuild, VACUUM ANALYZE. */
async function seed(size: number, count: TokenCounter, policy: ReturnType<typeof compressionPolicy>): Promise<SeedFacts> {
  const t0 = performance.now()
  const defs = await withClient(dbUrl, async (c) => {
    await c.query('TRUNCATE memories, memory_tombstones, memory_access_log')
    const { rows } = await c.query<{ name: string; def: string }>(`
      SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = 'memories'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)`)
    for (const d of rows) await c.query(`DROP INDEX "${d.name}"`)
    // GIN builds first, so the two builders finish together.
    return rows.sort((a, b) => Number(/ gin /i.test(b.def)) - Number(/ gin /i.test(a.def)))
  })
  const now = Date.now()
  // Batches of the tool, then of the other tool (BENCH_CONTEXT_OTHER_TOOL entries, the same recipe).
  const batches: Array<{ tool: string; from: number; to: number; size: number }> = []
  for (const [tool, n] of [[TOOL, size], [OTHER_TOOL, settings.otherTool]] as const) {
    for (let from = 0; from < n; from += BATCH_ROWS) batches.push({ tool, from, to: Math.min(n, from + BATCH_ROWS), size: n })
  }
  const total = size + settings.otherTool
  let done = 0
  let lastLog = performance.now()
  const loader = () => withClient(dbUrl, async (c) => {
    await c.query('SET synchronous_commit = off')
    for (let b = batches.shift(); b; b = batches.shift()) {
      const rows = await generate(b.from, b.to, b.size, now, count, policy, b.tool !== TOOL)
      const col = <K extends keyof SeedRow>(k: K) => rows.map((r) => r[k])
      await c.query(INSERT_ROWS, [b.tool, col('id'), col('type'), col('text'), col('tags'), col('importance'), col('visibility'),
        col('hash'), col('tokens'), col('created'), col('updated'), col('expires'), col('codec'), col('blobHex')])
      done += rows.length
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now()
        log(`  ${fmt(done)} of ${fmt(total)} rows`)
      }
    }
  })
  await Promise.all(Array.from({ length: LOADERS }, loader))
  const t1 = performance.now()
  const queue = [...defs]
  const builder = () => withClient(dbUrl, async (c) => {
    await c.query(`SET maintenance_work_mem = '256MB'`)
    for (let d = queue.shift(); d; d = queue.shift()) await c.query(d.def)
  })
  await Promise.all([builder(), builder()])
  const t2 = performance.now()
  return withClient(dbUrl, async (c) => {
    await c.query('VACUUM ANALYZE memories')
    const { rows } = await c.query<{ n: number; compressed: number; shared: number; tmin: number; tavg: number; tmax: number; common: number; rare: number; size: string }>(`
      SELECT count(*)::int AS n, count(content_blob)::int AS compressed, count(*) FILTER (WHERE visibility = 'shared')::int AS shared,
        min(tokens)::int AS tmin, avg(tokens)::float8 AS tavg, max(tokens)::int AS tmax,
        count(*) FILTER (WHERE search_vector @@ websearch_to_tsquery('english', $1))::int AS common,
        count(*) FILTER (WHERE search_vector @@ websearch_to_tsquery('english', $2))::int AS rare,
        pg_size_pretty(pg_total_relation_size('memories')) AS size
      FROM memories WHERE tool = $3`, [COMMON_WORD, RARE_WORD, TOOL])
    const r = rows[0]!
    if (r.n !== size) throw new BenchFailure(`seeded ${r.n} rows, wanted ${size}`)
    if (r.rare !== RARE_ENTRIES) throw new BenchFailure(`the rare word matches ${r.rare} rows, wanted ${RARE_ENTRIES}`)
    return {
      rows: r.n, seconds: (performance.now() - t0) / 1000, loadSeconds: (t1 - t0) / 1000, indexSeconds: (t2 - t1) / 1000,
      compressed: r.compressed, tokens: { min: r.tmin, avg: r.tavg, max: r.tmax }, commonMatches: r.common, rareMatches: r.rare,
      shared: r.shared, tableSize: r.size,
    }
  })
}

// ---------------------------------------------------------------------------------------- measuring

interface ContextAnswer {
  items: Array<{ entry: { id: string; content: string }; score: number; tokens: number }>
  totalTokens: number
  maxTokens: number
  candidates: number
  omittedCount: number
}

interface Shape { items: number; totalTokens: number; candidates: number; rareItems: number; bytes: number }

async function contextCall(app: App, c: Case): Promise<Shape> {
  const response = await app.server.inject({ method: 'POST', url: '/v2/context', headers: HEADERS, payload: JSON.stringify(c.body) })
  if (response.statusCode !== 200) throw new BenchFailure(`${c.name}: POST /v2/context → ${response.statusCode}: ${response.body.slice(0, 500)}`)
  const answer = response.json() as ContextAnswer
  if (answer.totalTokens > c.body.maxTokens) throw new BenchFailure(`${c.name}: totalTokens ${answer.totalTokens} > maxTokens ${c.body.maxTokens}`)
  if (answer.items.length === 0) throw new BenchFailure(`${c.name}: no items`)
  return {
    items: answer.items.length, totalTokens: answer.totalTokens, candidates: answer.candidates,
    rareItems: answer.items.filter((i) => i.entry.content.toLowerCase().includes(RARE_WORD)).length, bytes: response.rawPayload.length,
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

function cpuSample() {
  return { node: process.cpuUsage(), pg: readPostgresCpu(database), machine: readMachineCpuMs(), at: performance.now() }
}

function cpuDelta(before: ReturnType<typeof cpuSample>, after: ReturnType<typeof cpuSample>) {
  const nodeMs = (after.node.user + after.node.system - before.node.user - before.node.system) / 1000
  const pgMs = postgresCpuDelta(before.pg, after.pg)
  const machineMs = after.machine.busy + after.machine.irq - before.machine.busy - before.machine.irq
  return { nodeMs, pgMs, otherCores: Math.max(0, machineMs - nodeMs - pgMs) / (after.at - before.at) }
}

interface Result {
  case: string
  size: number
  requests: number
  p50: number
  p95: number
  p99: number
  max: number
  mean: number
  /** Sequential phase: CPU per request. */
  nodeUs: number
  pgUs: number
  otherCores: number
  /** Concurrent phase. */
  rps: number | null
  rpsP99: number | null
  rpsNodeUs: number | null
  rpsPgUs: number | null
  rpsOtherCores: number | null
  shape: Shape
}

async function measure(app: App, c: Case, size: number, warmup: number): Promise<Result> {
  for (let i = 0; i < warmup; i++) await contextCall(app, c)
  const latencies: number[] = []
  let shape: Shape | undefined
  const before = cpuSample()
  for (let i = 0; i < settings.requests; i++) {
    const t0 = performance.now()
    shape = await contextCall(app, c)
    latencies.push(performance.now() - t0)
  }
  const seq = cpuDelta(before, cpuSample())
  latencies.sort((a, b) => a - b)
  const result: Result = {
    case: c.name, size, requests: latencies.length,
    p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies[latencies.length - 1]!,
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    nodeUs: (seq.nodeMs * 1000) / latencies.length, pgUs: (seq.pgMs * 1000) / latencies.length, otherCores: seq.otherCores,
    rps: null, rpsP99: null, rpsNodeUs: null, rpsPgUs: null, rpsOtherCores: null, shape: shape!,
  }
  if (settings.seconds > 0) {
    const loopLatencies: number[] = []
    const b = cpuSample()
    const t0 = performance.now()
    const deadline = t0 + settings.seconds * 1000
    await Promise.all(Array.from({ length: settings.concurrency }, async () => {
      while (performance.now() < deadline) {
        const s = performance.now()
        await contextCall(app, c)
        loopLatencies.push(performance.now() - s)
      }
    }))
    const elapsed = (performance.now() - t0) / 1000
    const cpu = cpuDelta(b, cpuSample())
    loopLatencies.sort((x, y) => x - y)
    const n = Math.max(1, loopLatencies.length)
    Object.assign(result, {
      rps: loopLatencies.length / elapsed, rpsP99: percentile(loopLatencies, 99),
      rpsNodeUs: (cpu.nodeMs * 1000) / n, rpsPgUs: (cpu.pgMs * 1000) / n, rpsOtherCores: cpu.otherCores,
    })
  }
  log(`  ${c.name.padEnd(10)} p50 ${result.p50.toFixed(2)}  p95 ${result.p95.toFixed(2)}  p99 ${result.p99.toFixed(2)}  max ${result.max.toFixed(2)} ms  ` +
    `(CPU/req node ${fmt(result.nodeUs)} µs, pg ${fmt(result.pgUs)} µs, other cores ${result.otherCores.toFixed(2)})` +
    (result.rps === null ? '' : `; ${settings.concurrency} loops: ${fmt(result.rps, 1)} req/s, p99 ${result.rpsP99!.toFixed(1)} ms, ` +
      `CPU/req node ${fmt(result.rpsNodeUs!)} µs, pg ${fmt(result.rpsPgUs!)} µs, other cores ${result.rpsOtherCores!.toFixed(2)}`) +
    `; answer: ${result.shape.items} items, ${fmt(result.shape.totalTokens)} tokens, ${result.shape.candidates} candidates` +
    `${c.body.query === RARE_WORD ? `, ${result.shape.rareItems} with "${RARE_WORD}"` : ''}, ${fmt(result.shape.bytes)} B`)
  return result
}

// ---------------------------------------------------------------------------------------- EXPLAIN

interface Explained { case: string; size: number; statement: number; text: string; values: unknown[]; plan: string; flags: string[]; executionMs: number }

/** Rows a scan may filter out, or a sort may read, before it counts as unbounded work (the search ranks at most 2,000 matches by design). */
const FLAG_ROWS = 2_000

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Actual Rows'?: number
  'Actual Loops'?: number
  'Rows Removed by Filter'?: number
  Plans?: PlanNode[]
}

/** Seq Scans of memories, scans filtering out more than FLAG_ROWS rows, sorts reading more than FLAG_ROWS rows. */
function planFlags(node: PlanNode, out: string[] = []): string[] {
  const where = node['Index Name'] ? ` using ${node['Index Name']}` : node['Relation Name'] ? ` on ${node['Relation Name']}` : ''
  if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'memories') out.push(`Seq Scan on memories (${node['Actual Rows']} rows out, ${node['Rows Removed by Filter'] ?? 0} removed)`)
  const removed = (node['Rows Removed by Filter'] ?? 0) * (node['Actual Loops'] ?? 1)
  if (removed > FLAG_ROWS) out.push(`${node['Node Type']}${where}: ${fmt(removed)} rows removed by filter for ${fmt(node['Actual Rows'] ?? 0)} kept`)
  if (node['Node Type'] === 'Sort') {
    const input = (node.Plans ?? []).reduce((a, p) => a + (p['Actual Rows'] ?? 0) * (p['Actual Loops'] ?? 1), 0)
    if (input > FLAG_ROWS) out.push(`Sort of ${fmt(input)} rows`)
  }
  for (const child of node.Plans ?? []) planFlags(child, out)
  return out
}

/** The statements of one request (captured from pg's Client.query), each EXPLAIN (ANALYZE, BUFFERS)-ed. */
async function explainCase(app: App, c: Case, size: number): Promise<Explained[]> {
  const captured: Array<{ text: string; values: unknown[] }> = []
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }
  const original = proto.query
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args
    if (typeof first === 'string') captured.push({ text: first, values: Array.isArray(second) ? second : [] })
    else if (first && typeof first === 'object' && 'text' in first) {
      const config = first as { text: string; values?: unknown[] }
      captured.push({ text: config.text, values: config.values ?? (Array.isArray(second) ? second : []) })
    }
    return original.apply(this, args)
  }
  try {
    await contextCall(app, c)
  } finally {
    proto.query = original
  }
  const reads = captured.filter((s) => /^\s*(SELECT|WITH)\b/i.test(s.text) && /\bmemories\b/.test(s.text))
  return withClient(dbUrl, async (client) => {
    const out: Explained[] = []
    for (const [i, s] of reads.entries()) {
      const json = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${s.text}`, s.values)
      const flags = planFlags(json.rows[0]!['QUERY PLAN'][0]!.Plan)
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, s.values)
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
      const exec = /Execution Time: ([\d.]+) ms/.exec(plan)
      out.push({ case: c.name, size, statement: i + 1, text: s.text, values: s.values, plan, flags, executionMs: exec ? Number(exec[1]) : NaN })
    }
    return out
  })
}

/** A statement for printing: the long column list shortened. */
function shortSql(text: string): string {
  return text.replace(/(?:\b[mcu]\.)?tool, (?:[mcu]\.)?id, (?:[mcu]\.)?type,[^\n]*?content_blob/g, '<columns>').trim()
}

// ---------------------------------------------------------------------------------------- report

function report(results: Result[], seeds: Map<number, SeedFacts>): string {
  const lines: string[] = []
  const ms = (n: number) => n.toFixed(2)
  lines.push(`| case | entries | p50 ms | p95 ms | p99 ms | max ms | node CPU µs/req | pg CPU µs/req | req/s (${settings.concurrency} loops) | p99 ms (${settings.concurrency} loops) | items / tokens / candidates | other cores |`)
  lines.push('|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
  for (const c of CASES) {
    for (const size of [settings.small, settings.large]) {
      const r = results.find((x) => x.case === c.name && x.size === size)
      if (!r) continue
      lines.push(`| ${c.name} | ${fmt(size)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${fmt(r.nodeUs)} | ${fmt(r.pgUs)} | ` +
        `${r.rps === null ? '–' : fmt(r.rps, 1)} | ${r.rpsP99 === null ? '–' : r.rpsP99.toFixed(1)} | ` +
        `${r.shape.items} / ${fmt(r.shape.totalTokens)} / ${r.shape.candidates} | ` +
        `${r.otherCores.toFixed(2)}${r.rpsOtherCores === null ? '' : ` / ${r.rpsOtherCores.toFixed(2)}`}${Math.max(r.otherCores, r.rpsOtherCores ?? 0) > 0.25 ? ' ⚠' : ''} |`)
    }
  }
  lines.push('', `| case | p50 ratio (${fmt(settings.large)} / ${fmt(settings.small)}) | p95 ratio | p99 ratio | pg CPU/req ratio | throughput ratio |`)
  lines.push('|:--|--:|--:|--:|--:|--:|')
  for (const c of CASES) {
    const s = results.find((x) => x.case === c.name && x.size === settings.small)
    const l = results.find((x) => x.case === c.name && x.size === settings.large)
    if (!s || !l) continue
    lines.push(`| ${c.name} | ${(l.p50 / s.p50).toFixed(2)}× | ${(l.p95 / s.p95).toFixed(2)}× | ${(l.p99 / s.p99).toFixed(2)}× | ` +
      `${(l.pgUs / s.pgUs).toFixed(2)}× | ${s.rps && l.rps ? `${(l.rps / s.rps).toFixed(2)}×` : '–'} |`)
  }
  lines.push('', 'Seeded data:')
  for (const [size, f] of seeds) {
    lines.push(`  ${fmt(size)} entries: ${f.seconds.toFixed(1)} s (load ${f.loadSeconds.toFixed(1)} s, indexes ${f.indexSeconds.toFixed(1)} s), ` +
      `tokens ${f.tokens.min}–${f.tokens.max} (mean ${f.tokens.avg.toFixed(0)}), ${fmt(f.compressed)} compressed, ${fmt(f.shared)} shared, ` +
      `"${COMMON_WORD}" in ${fmt(f.commonMatches)}, "${RARE_WORD}" in ${f.rareMatches}, memories ${f.tableSize} with indexes` +
      `${settings.otherTool > 0 ? ` (+ ${fmt(settings.otherTool)} entries of ${OTHER_TOOL})` : ''}`)
  }
  lines.push('', 'CPU µs/req: of this process (app + the loops + the bench\'s JSON.parse of the answer) and of the database\'s Postgres ' +
    'processes, sequential phase. other cores: CPU the rest of the machine used meanwhile, sequential / loops (⚠ above 0.25: ' +
    'someone else\'s load shared the CPUs).')
  const worst = Math.max(...results.filter((r) => r.size === settings.large).map((r) => r.p99))
  lines.push('', `Highest sequential p99 at ${fmt(settings.large)} entries: ${worst.toFixed(2)} ms`)
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  checkVocabulary()
  const watchdog = setTimeout(() => {
    console.error(`[bench:context] watchdog: still running after ${WATCHDOG_MS / 60_000} min; stopping`)
    process.exit(2)
  }, WATCHDOG_MS)
  watchdog.unref()
  const loadStart = loadavg()
  log(`${quick ? 'QUICK mode: ' : ''}${fmt(settings.small)} then ${fmt(settings.large)} entries of one tool; per case ${settings.warmup} warm-up + ` +
    `${settings.requests} sequential requests, then ${settings.concurrency} loops × ${settings.seconds} s; database ${database}`)
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
    `load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}`)

  await withClient(`${settings.pgBaseUrl}/postgres`, (c) => c.query(`CREATE DATABASE "${database}"`))
  const results: Result[] = []
  const explains: Explained[] = []
  const seeds = new Map<number, SeedFacts>()
  let pgFacts = ''
  try {
    await migrate(dbUrl)
    pgFacts = await withClient(dbUrl, async (client) => {
      const values: string[] = []
      for (const name of ['server_version', 'shared_buffers', 'work_mem', 'random_page_cost', 'autovacuum']) {
        values.push(`${name}=${(await client.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!.v}`)
      }
      return values.join(', ')
    })
    log(`postgres: ${pgFacts}`)
    const config = loadConfig({
      STORE_URL: dbUrl, MIGRATE_ON_START: 'true', LOG_LEVEL: 'silent',
      CACHE_MAX_ENTRIES: process.env.CACHE_MAX_ENTRIES, PG_POOL_MAX: process.env.PG_POOL_MAX,
      CONTEXT_MAX_CANDIDATES: process.env.CONTEXT_MAX_CANDIDATES, TOKENIZER: process.env.TOKENIZER, COMPRESSION: process.env.COMPRESSION,
    })
    const count = await loadTokenCounter(config.TOKENIZER)
    const policy = compressionPolicy(config.COMPRESSION, config.COMPRESSION_MIN_BYTES, config.COMPRESSION_MIN_SAVING_PERCENT / 100)
    log(`service: in-process app.server.inject, tool ${TOOL}, CONTEXT_MAX_CANDIDATES ${config.CONTEXT_MAX_CANDIDATES}, pg pool ${config.PG_POOL_MAX}, ` +
      `hot tier ${config.CACHE_MAX_ENTRIES === 0 ? 'none' : `LRU of ${fmt(config.CACHE_MAX_ENTRIES)}`}, tokenizer ${config.TOKENIZER}, ` +
      `compression ${config.COMPRESSION} from ${config.COMPRESSION_MIN_BYTES} B, access statistics every ${config.ACCESS_FLUSH_SECONDS} s`)

    for (const [index, size] of [settings.small, settings.large].entries()) {
      log(`seeding ${fmt(size)} entries`)
      const facts = await seed(size, count, policy)
      seeds.set(size, facts)
      log(`  ${fmt(size)} entries in ${facts.seconds.toFixed(1)} s (load ${facts.loadSeconds.toFixed(1)} s, indexes ${facts.indexSeconds.toFixed(1)} s, ` +
        `VACUUM ANALYZE); tokens ${facts.tokens.min}–${facts.tokens.max} (mean ${facts.tokens.avg.toFixed(0)}), ${fmt(facts.compressed)} compressed, ` +
        `${fmt(facts.shared)} shared, "${COMMON_WORD}" in ${fmt(facts.commonMatches)}, "${RARE_WORD}" in ${facts.rareMatches}; memories ${facts.tableSize}`)
      const app = await buildApp(config, { logger: false })
      try {
        // A cold process (JIT, pool, prepared statements, Postgres caches) would make the first size
        // look slow and the ratio look good: the first size warms up three times as long.
        const warmup = index === 0 ? settings.warmup * 3 : settings.warmup
        log(`measuring at ${fmt(size)} entries`)
        for (const c of CASES) results.push(await measure(app, c, size, warmup))
        if (settings.explain) for (const c of CASES) explains.push(...(await explainCase(app, c, size)))
        await app.accessRecorder.flush()
      } finally {
        await app.server.close()
      }
    }
  } finally {
    if (settings.keep) log(`BENCH_KEEP=1: database ${database} kept`)
    else {
      await withClient(`${settings.pgBaseUrl}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`))
      log(`dropped database ${database}`)
    }
    clearTimeout(watchdog)
  }

  const loadEnd = loadavg()
  if (explains.length > 0) {
    console.log('\nEXPLAIN (ANALYZE, BUFFERS) of the statements of one request per case (full plans at the large size; ' +
      `flagged: Seq Scan on memories, > ${fmt(FLAG_ROWS)} rows removed by a filter, sort of > ${fmt(FLAG_ROWS)} rows):\n`)
    for (const size of [settings.small, settings.large]) {
      for (const e of explains.filter((x) => x.size === size)) {
        const head = `--- ${e.case} at ${fmt(size)} entries, statement ${e.statement}: ${e.executionMs.toFixed(2)} ms` +
          `${e.flags.length > 0 ? `  ⚠ ${e.flags.join('; ')}` : ''}`
        if (size === settings.large) {
          console.log(`${head}\n${shortSql(e.text)}\n-- values: ${JSON.stringify(e.values.map((v) => (v instanceof Date ? v.toISOString() : v)))}\n${e.plan}\n`)
        } else console.log(head)
      }
      console.log('')
    }
    for (const size of [settings.small, settings.large]) {
      const flagged = explains.filter((e) => e.size === size && e.flags.length > 0)
      console.log(`At ${fmt(size)} entries: ${flagged.length === 0
        ? 'no Seq Scan on memories, no large filter or sort.'
        : `FLAGGED ${flagged.map((e) => `${e.case} #${e.statement} (${e.flags.join('; ')})`).join(', ')}`}` +
        `${size === settings.small && flagged.some((e) => e.flags.some((f) => f.startsWith('Seq Scan'))) ? ' (on a table this small a Seq Scan can be the planner\'s right choice)' : ''}`)
    }
  }
  console.log('\nCases:')
  for (const c of CASES) console.log(`  ${c.name}: POST /v2/context ${JSON.stringify(c.body)} — ${c.describe}`)
  const table = report(results, seeds)
  console.log(`\n${table}\n`)
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${pgFacts}; load average ` +
    `${loadStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadEnd.map((l) => l.toFixed(2)).join(' ')} at the end; ` +
    `total ${((performance.now() - started) / 1000).toFixed(0)} s`)
  mkdirSync(settings.out, { recursive: true })
  const file = join(settings.out, `context-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify({ settings, database, pgFacts, loadStart, loadEnd, seeds: Object.fromEntries(seeds), results, explains }, null, 2))
  log(`results: ${file}`)
  return 0
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof BenchFailure ? `[bench:context] FAILED: ${err.message}` : err)
    process.exit(2)
  },
)
