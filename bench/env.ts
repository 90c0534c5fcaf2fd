/**
 * Benchmark settings, read once from the environment. Every run is bounded: durations, row counts
 * and connection counts have hard caps, and every URL must point at this machine.
 *
 *   BENCH_QUICK=1            3 s per scenario, 100 000 entries, 1 s warm-up (smoke run)
 *   BENCH_DURATION=10        seconds per measured scenario (1..120)
 *   BENCH_WARMUP=2           seconds of unmeasured warm-up before each scenario (0..30)
 *   BENCH_CONNECTIONS=50     concurrent connections, the same for bare and service runs (1..1000)
 *   BENCH_PROBE_CONNECTIONS=4  list/search are also run at this many connections (latency without
 *                            closed-loop queueing); 0 turns the probes off (0..1000)
 *   BENCH_ROUNDS=3           the ratio pairs (bare-select/read, bare-insert/create) run this many times,
 *                            alternating, and the ratios are medians (1 in quick mode; 1..10)
 *   BENCH_ENTRIES=1000000    rows seeded for the service's read/list/search scenarios (1000..5 000 000)
 *   BENCH_PG_URL             server URL without database (default postgres://postgres@127.0.0.1:5432)
 *   BENCH_DATABASE           database name (default mcpmem_bench, or mcpmem_bench_quick in quick mode)
 *   BENCH_PG_POOL=10         pool size of the bare pg server and of the service (PG_POOL_MAX)
 *   BENCH_READ_IDS=12000     ids the read-by-id pair cycles through; more than the service's in-process
 *                            LRU holds (CACHE_MAX_ENTRIES, 10 000), so `read` measures the store path
 *   BENCH_REDIS_URL=redis://127.0.0.1:6379/7  Redis of the cached-read pair; must name a database
 *                            index other than 0 (tests use 0), which is FLUSHed before the run;
 *                            `off` leaves the pair out
 *   BENCH_HOT_ENTRIES=64     hot entries read by `cached-read`, and 1 KiB values read by `bare-kv` (1..1000)
 *   BENCH_BUILD=1            run `npm run build` first (the service child runs dist/); 0 uses dist/ as it is
 *   BENCH_BARE_NAMED=0       1: the bare baselines use named prepared statements instead of pg's default unnamed ones
 *   BENCH_SERVICE_NODE_ARGS  extra node flags for the service children, space-separated (memory
 *                            experiments, e.g. `--max-semi-space-size=4`); none by default, as production
 *   BENCH_ONLY=a,b           run only these scenarios (names as printed); bare baselines are kept
 *   BENCH_PROFILE=read       after the measured runs, re-run these scenarios (bare or service) under the V8
 *                            CPU profiler and print the top functions (comma list, or "all")
 *   BENCH_OUT=/tmp/mcpmem-bench  where results.json and .cpuprofile files go
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { envFlag, envInt, envList } from './shared/env-options.js'

export interface BenchEnv {
  quick: boolean
  durationSec: number
  warmupSec: number
  connections: number
  probeConnections: number
  rounds: number
  entries: number
  pgBaseUrl: string
  database: string
  pgPool: number
  readIds: number
  /** Null when the cached-read pair is off. */
  redisUrl: string | null
  hotEntries: number
  build: boolean
  serviceNodeArgs: string[]
  bareNamed: boolean
  only: string[]
  profile: string[]
  outDir: string
}

/** Refuse anything but loopback: the benchmark must only ever talk to this machine. */
export function assertLoopbackUrl(url: string): void {
  const host = new URL(url).hostname
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
    throw new Error(`benchmark URLs must point at 127.0.0.1; got host ${host}`)
  }
}

/** The cached-read pair's Redis: loopback, and a database index of its own (tests use 0). */
function benchRedisUrl(raw: string | undefined): string | null {
  if (raw === 'off' || raw === '0' || raw === 'false') return null
  const url = raw && raw !== '' ? raw : 'redis://127.0.0.1:6379/7'
  assertLoopbackUrl(url)
  const db = /^\/(\d+)$/.exec(new URL(url).pathname)?.[1]
  if (!db || Number(db) === 0) throw new Error('BENCH_REDIS_URL must name a Redis database index other than 0, e.g. redis://127.0.0.1:6379/7 (it is flushed)')
  return url
}

export function readBenchEnv(env: NodeJS.ProcessEnv = process.env): BenchEnv {
  const quick = envFlag('BENCH_QUICK', false, env)
  const pgBaseUrl = (env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '')
  assertLoopbackUrl(pgBaseUrl)
  if (new URL(pgBaseUrl).pathname.length > 1) throw new Error('BENCH_PG_URL must not name a database; use BENCH_DATABASE')
  const database = env.BENCH_DATABASE ?? (quick ? 'mcpmem_bench_quick' : 'mcpmem_bench')
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error('BENCH_DATABASE must be a plain lowercase identifier')
  return {
    quick,
    durationSec: envInt('BENCH_DURATION', quick ? 3 : 10, 1, 120, env),
    warmupSec: envInt('BENCH_WARMUP', quick ? 1 : 2, 0, 30, env),
    connections: envInt('BENCH_CONNECTIONS', 50, 1, 1000, env),
    probeConnections: envInt('BENCH_PROBE_CONNECTIONS', 4, 0, 1000, env),
    rounds: envInt('BENCH_ROUNDS', quick ? 1 : 3, 1, 10, env),
    entries: envInt('BENCH_ENTRIES', quick ? 100_000 : 1_000_000, 1000, 5_000_000, env),
    pgBaseUrl,
    database,
    pgPool: envInt('BENCH_PG_POOL', 10, 1, 200, env),
    readIds: envInt('BENCH_READ_IDS', 12_000, 1, 100_000, env),
    redisUrl: benchRedisUrl(env.BENCH_REDIS_URL),
    hotEntries: envInt('BENCH_HOT_ENTRIES', 64, 1, 1000, env),
    build: env.BENCH_BUILD !== '0' && env.BENCH_BUILD !== 'false',
    bareNamed: envFlag('BENCH_BARE_NAMED', false, env),
    serviceNodeArgs: (env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter((a) => {
      if (a === '') return false
      if (!/^--[a-z0-9-]+(=[\w.-]+)?$/.test(a) || /^--(import|require|loader|experimental-loader|inspect)/.test(a)) {
        throw new Error(`BENCH_SERVICE_NODE_ARGS: ${a} is not a plain node flag`)
      }
      return true
    }),
    only: envList('BENCH_ONLY', env),
    profile: envList('BENCH_PROFILE', env),
    outDir: env.BENCH_OUT ?? join(tmpdir(), 'mcpmem-bench'),
  }
}

export function databaseUrl(env: Pick<BenchEnv, 'pgBaseUrl' | 'database'>): string {
  return `${env.pgBaseUrl}/${env.database}`
}
