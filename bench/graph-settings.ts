// Settings of the graph benchmark (environment variables, documented in bench/graph.ts), its constants, the database
// URL and logging. Parsed once, on import; nothing here starts the benchmark.
import { assertLoopbackUrl } from './env.js'
import { envFlag, envInt, envList } from './shared/env-options.js'

export const TOOL = 'bench-graph'
export const HEADERS = { 'x-memory-tool': TOOL }
export const TARGET_RATIO = 0.8
export const BATCH = 1000

const quick = envFlag('BENCH_QUICK', false)
export const settings = {
  quick,
  seconds: envInt('BENCH_GRAPH_SECONDS', quick ? 3 : 10, 1, 120),
  warmup: envInt('BENCH_GRAPH_WARMUP', quick ? 1 : 2, 0, 30),
  firstWarmup: envInt('BENCH_GRAPH_FIRST_WARMUP', quick ? 2 : 5, 0, 60),
  concurrency: envInt('BENCH_GRAPH_CONCURRENCY', 8, 1, 256),
  small: envInt('BENCH_GRAPH_SMALL', 1000, 300, 1_000_000),
  large: envInt('BENCH_GRAPH_LARGE', quick ? 20_000 : 100_000, 200, 1_000_000),
  seedParallel: envInt('BENCH_GRAPH_SEED_PARALLEL', 8, 1, 32),
  analyze: envFlag('BENCH_GRAPH_ANALYZE', true),
  explain: envFlag('BENCH_GRAPH_EXPLAIN', true),
  rounds: envInt('BENCH_GRAPH_ROUNDS', quick ? 1 : 3, 1, 10),
  only: envList('BENCH_GRAPH_ONLY'),
  queries: envList('BENCH_GRAPH_QUERIES'),
  keep: envFlag('BENCH_KEEP', false),
  database: process.env.BENCH_GRAPH_DATABASE || 'mcpmem_bench_graph',
  pgBaseUrl: (process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
}
if (settings.large <= settings.small) throw new Error('BENCH_GRAPH_LARGE must be larger than BENCH_GRAPH_SMALL')
if (!/^mcpmem_bench[a-z0-9_]*$/.test(settings.database)) throw new Error('BENCH_GRAPH_DATABASE must start with mcpmem_bench (it is dropped)')
assertLoopbackUrl(settings.pgBaseUrl)
export const dbUrl = `${settings.pgBaseUrl}/${settings.database}`

export const log = (message: string) => console.log(`[bench:graph ${new Date().toISOString().slice(11, 19)}] ${message}`)
