/**
 * Knowledge-graph (/v1) benchmark of issue 5: create_entities (1 entity, 3 observations),
 * add_observations, search_nodes and open_nodes on one tool holding 1,000 and then 100,000 entities.
 * The reference server (`@modelcontextprotocol/server-memory`) rewrites and rescans one file, so its
 * rate falls with the graph (4 creates/s, 7 searches/s at 50,000 entities); ours must keep, at
 * 100,000 entities, at least 0.8× of its rate at 1,000.
 *
 * Standalone (never part of `npm test`):
 *
 *   node --import tsx bench/graph.ts            (npm run bench:graph)
 *   BENCH_QUICK=1 node --import tsx bench/graph.ts
 *
 * It creates a fresh database, builds the real app (`buildApp(loadConfig({STORE_URL, MIGRATE_ON_START:
 * 'true', LOG_LEVEL: 'silent', …}))`, default in-process hot tier) and drives the /v1 routes
 * in-process with `app.server.inject` (no sockets: HTTP parsing, routing, schemas, auth, the graph
 * adapter, the MemoryManager, the cache and Postgres are measured; the network is not). Every call
 * goes as tool `bench-graph` (X-Memory-Tool, local mode). The graph is seeded through
 * `POST /v1/entities` in batches of 1,000 (the per-call limit), `BENCH_GRAPH_SEED_PARALLEL` calls at
 * a time, then `VACUUM ANALYZE memories` (autovacuum is off on the bench machine; it stands in for
 * it). Before the first size, one unmeasured round warms the process up. Then, per size, rounds of
 * the four operations: each a warm-up, then a fixed duration with a fixed number of closed loops
 * (requests completed, rate, p50/p99 latency, CPU per request of this process and of the database's
 * Postgres processes, hot-cache hit ratio, CPU used by the rest of the machine). After every round
 * the seeded graph is restored (see `restore`), so every round starts on exactly the seeded 1,000 or
 * 100,000 entities. The rate of an operation at a size is the median of its rounds.
 * Any non-2xx answer aborts the run (exit 2). Exit 1 when a ratio misses its target. The statements of
 * one search_nodes request are captured once per size and their candidate listing EXPLAIN ANALYZEd.
 *
 *   BENCH_QUICK=1                 3 s per operation, 1 s warm-up, 1 round, second size 20,000
 *   BENCH_GRAPH_SECONDS=10        measured seconds per operation and size (1..120)
 *   BENCH_GRAPH_WARMUP=2          warm-up seconds before every measured run (0..30)
 *   BENCH_GRAPH_FIRST_WARMUP=5    seconds per operation of an unmeasured round before the first size (JIT, pool,
 *                                 Postgres caches; 2 in quick mode; 0..60)
 *   BENCH_GRAPH_ROUNDS=3          rounds of the four operations per size (1 in quick mode); the rate is the median
 *   BENCH_GRAPH_ONLY=a,b          only these operations (search_nodes, open_nodes, add_observations, create_entities)
 *   BENCH_GRAPH_QUERIES=a,b       search_nodes queries instead of the default rare words and name fragments
 *   BENCH_GRAPH_CONCURRENCY=8     closed loops per operation (1..256)
 *   BENCH_GRAPH_SMALL=1000        entities of the first measurement (300..1,000,000; the name-fragment queries need 260)
 *   BENCH_GRAPH_LARGE=100000      entities of the second measurement (> SMALL, ..1,000,000)
 *   BENCH_GRAPH_SEED_PARALLEL=8   create_entities calls of 1,000 in flight while seeding (1..32)
 *   BENCH_GRAPH_ANALYZE=1         0: no VACUUM ANALYZE after seeding and rounds (stale statistics, dead rows stay)
 *   BENCH_GRAPH_EXPLAIN=1         0: skip printing EXPLAIN ANALYZE of the search statements
 *   BENCH_GRAPH_DATABASE=mcpmem_bench_graph   (dropped and recreated at the start)
 *   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   (loopback only)
 *   BENCH_KEEP=1                  keep the database at the end (default: dropped)
 *   CACHE_MAX_ENTRIES, PG_POOL_MAX   passed to the service config when set (defaults 10,000 and 10)
 *
 * This file is the entry point (main); the parts: graph-settings.ts (settings, constants, logging), graph-data.ts
 * (seeded data, the /v1 calls, seeding, the operations), graph-measure.ts (loops, CPU and cache sampling, rounds,
 * restore) and graph-report.ts (tables, EXPLAIN of search_nodes, table facts).
 */
import { cpus, loadavg, totalmem } from 'node:os'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'
import { recreateDatabase, withClient } from './db.js'
import { ALL_OPERATIONS, BenchFailure, OPERATIONS, RARE_WORDS, checkVocabulary, entityName, pad, seed, type Phase } from './graph-data.js'
import { countEntities, drive, maintain, measureRound, restore, type Measurement } from './graph-measure.js'
import { explainSearch, report, tableFacts } from './graph-report.js'
import { BATCH, TARGET_RATIO, TOOL, dbUrl, log, settings } from './graph-settings.js'
import { fmt } from './shared/stats.js'

const WATCHDOG_MS = 60 * 60_000

// ---------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  checkVocabulary()
  const watchdog = setTimeout(() => {
    console.error(`[bench:graph] watchdog: still running after ${WATCHDOG_MS / 60_000} min; stopping`)
    process.exit(2)
  }, WATCHDOG_MS)
  watchdog.unref()

  const loadStart = loadavg()
  log(`${settings.quick ? 'QUICK mode: ' : ''}${settings.seconds} s per operation (+${settings.warmup} s warm-up), ${settings.rounds} round(s), ${settings.concurrency} loops, ` +
    `${fmt(settings.small)} then ${fmt(settings.large)} entities, database ${settings.database}`)
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
    `load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}`)
  await recreateDatabase(settings.pgBaseUrl, settings.database)
  const pgFacts = await withClient(dbUrl, async (client) => {
    const names = ['server_version', 'shared_buffers', 'work_mem', 'synchronous_commit', 'autovacuum']
    const values: string[] = []
    for (const name of names) values.push(`${name}=${(await client.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!.v}`)
    return values.join(', ')
  })
  log(`postgres: ${pgFacts}`)

  const config = loadConfig({
    STORE_URL: dbUrl, MIGRATE_ON_START: 'true', LOG_LEVEL: 'silent',
    CACHE_MAX_ENTRIES: process.env.CACHE_MAX_ENTRIES, PG_POOL_MAX: process.env.PG_POOL_MAX,
  })
  const hotTier = config.REDIS_URL ? 'Redis' : config.CACHE_MAX_ENTRIES === 0 ? 'none (CACHE_MAX_ENTRIES=0)' : `in-process LRU of ${fmt(config.CACHE_MAX_ENTRIES)} entries`
  log(`service: in-process app.server.inject, hot tier ${hotTier}, ` +
    `pg pool ${config.PG_POOL_MAX}, tool ${TOOL}`)
  const app = await buildApp(config, { logger: false })
  let exitCode = 0
  try {
    // Name fragments entity-00010 … entity-00025: 10 entities each (entity-000100 … entity-000109, …).
    const queries = settings.queries.length > 0
      ? settings.queries
      : [...RARE_WORDS, ...RARE_WORDS.map((_, w) => `entity-${pad((10 + w) * 10).slice(0, 5)}`)]
    if (settings.queries.length > 0) log(`search_nodes queries: ${queries.map((q) => JSON.stringify(q)).join(', ')} (BENCH_GRAPH_QUERIES)`)
    const results: Measurement[] = []
    const explains: string[] = []
    for (const size of [settings.small, settings.large]) {
      const from = await countEntities()
      log(`seeding ${entityName(from)} … ${entityName(size - 1)} through POST /v1/entities (${BATCH} per call, ${settings.seedParallel} calls in flight)`)
      const seconds = await seed(app, from, size, settings.small)
      log(`  ${fmt(size - from)} entities in ${seconds.toFixed(1)} s (${fmt((size - from) / seconds)} entities/s)`)
      await maintain()
      log(await tableFacts())
      if (settings.explain) {
        for (const query of settings.queries.length > 0 ? settings.queries.slice(0, 2) : ['entity-00012', RARE_WORDS[0]!]) {
          explains.push(`--- ${fmt(size)} entities, query ${JSON.stringify(query)} ---\n${await explainSearch(app, query)}`)
        }
      }
      const phase: Phase = { size, created: 0, observed: 0, queries, added: new Map() }
      if (size === settings.small && settings.firstWarmup > 0) {
        // A cold process would make the first size look slow (and the ratio look good).
        log(`warm-up round, not measured: ${settings.firstWarmup} s per operation`)
        for (const op of OPERATIONS) await drive(app, op, phase, settings.firstWarmup, 900 + ALL_OPERATIONS.indexOf(op))
        await restore(app, phase)
      }
      for (let round = 0; round < settings.rounds; round++) {
        log(`measuring at ${fmt(await countEntities())} entities${settings.rounds > 1 ? `, round ${round + 1} of ${settings.rounds}` : ''}`)
        results.push(...(await measureRound(app, phase, round)))
      }
    }
    const loadEnd = loadavg()
    log(`load average at the end ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`)
    if (explains.length > 0) console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the search_nodes statements:\n\n${explains.join('\n\n')}\n`)
    console.log('Operations:')
    for (const op of OPERATIONS) console.log(`  ${op.name}: ${op.describe}`)
    for (const op of ['search_nodes', 'open_nodes']) {
      for (const size of [settings.small, settings.large]) {
        const ms = results.filter((m) => m.op === op && m.size === size)
        if (ms.length === 0) continue
        const answers = ms.reduce((a, m) => a + m.latencies.length, 0)
        console.log(`  ${op} at ${fmt(size)}: ${(ms.reduce((a, m) => a + m.hits, 0) / Math.max(1, answers)).toFixed(2)} entities per answer`)
      }
    }
    const { table, failed } = report(results)
    console.log(`\n${table}\n`)
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; load average ${loadStart.map((l) => l.toFixed(2)).join(' ')} at the start, ` +
      `${loadEnd.map((l) => l.toFixed(2)).join(' ')} at the end; ${settings.concurrency} loops, ${settings.seconds} s + ${settings.warmup} s warm-up per operation, ` +
      `${settings.rounds} round(s) per size`)
    if (failed.length > 0) {
      console.log(`FAIL: ${failed.join(', ')} below ${TARGET_RATIO}× of the rate at ${fmt(settings.small)} entities`)
      exitCode = 1
    } else {
      console.log(`PASS: every operation keeps ≥ ${TARGET_RATIO}× of its rate`)
    }
  } finally {
    await app.server.close()
    if (settings.keep) log(`BENCH_KEEP=1: database ${settings.database} kept`)
    else {
      await withClient(`${settings.pgBaseUrl}/postgres`, (client) => client.query(`DROP DATABASE IF EXISTS "${settings.database}" WITH (FORCE)`))
      log(`dropped database ${settings.database}`)
    }
    clearTimeout(watchdog)
  }
  return exitCode
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof BenchFailure ? `[bench:graph] FAILED: ${err.message}` : err)
    process.exit(2)
  },
)
