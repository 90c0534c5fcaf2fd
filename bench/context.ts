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
 *
 * This file is the entry point (main); the parts live in bench/context/: settings.ts (settings, constants, cases),
 * data.ts (the generated rows), seed.ts (loading them), measure.ts (requests, latency, CPU), explain.ts (EXPLAIN of
 * the statements of one request) and report.ts (the EXPLAIN section and the tables).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { compressionPolicy } from '../src/compression/content-codec.js'
import { loadConfig } from '../src/config/load-config.js'
import { loadTokenCounter } from '../src/domain/memory/token-counter.js'
import { checkVocabulary } from './context/data.js'
import { explainCase, type Explained } from './context/explain.js'
import { measure, type Result } from './context/measure.js'
import { printExplains, report } from './context/report.js'
import { seed, type SeedFacts } from './context/seed.js'
import { BenchFailure, CASES, COMMON_WORD, RARE_WORD, TOOL, database, dbUrl, log, settings, started } from './context/settings.js'
import { migrate, withClient } from './db.js'
import { fmt } from './shared/stats.js'

const WATCHDOG_MS = 20 * 60_000

// ---------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  checkVocabulary()
  const watchdog = setTimeout(() => {
    console.error(`[bench:context] watchdog: still running after ${WATCHDOG_MS / 60_000} min; stopping`)
    process.exit(2)
  }, WATCHDOG_MS)
  watchdog.unref()
  const loadStart = loadavg()
  log(`${settings.quick ? 'QUICK mode: ' : ''}${fmt(settings.small)} then ${fmt(settings.large)} entries of one tool; per case ${settings.warmup} warm-up + ` +
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
  if (explains.length > 0) printExplains(explains)
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