// Settings of the context benchmark (environment variables, documented in bench/context.ts), its constants, the
// fresh database's name, logging and the cases.
import { randomBytes } from 'node:crypto'
import { assertLoopbackUrl } from '../env.js'
import { envFlag, envInt, envList } from '../shared/env-options.js'

export const TOOL = 'bench-context'
export const HEADERS = { 'x-memory-tool': TOOL, 'content-type': 'application/json' }
export const RARE_WORD = 'quetzal'
export const RARE_ENTRIES = 20
export const COMMON_WORD = 'project'
/** Owner of the optional BENCH_CONTEXT_OTHER_TOOL entries (readable by the caller only when shared). */
export const OTHER_TOOL = 'bench-context-other'

// ---------------------------------------------------------------------------------------- settings

const quick = envFlag('BENCH_QUICK', false)
export const settings = {
  quick,
  small: envInt('BENCH_CONTEXT_SMALL', 1000, 200, 1_000_000),
  large: envInt('BENCH_CONTEXT_LARGE', quick ? 20_000 : 100_000, 201, 1_000_000),
  requests: envInt('BENCH_CONTEXT_REQUESTS', quick ? 100 : 300, 20, 5_000),
  warmup: envInt('BENCH_CONTEXT_WARMUP', quick ? 10 : 30, 0, 1_000),
  seconds: envInt('BENCH_CONTEXT_SECONDS', quick ? 2 : 5, 0, 60),
  concurrency: envInt('BENCH_CONTEXT_CONCURRENCY', 8, 1, 256),
  sharedPercent: envInt('BENCH_CONTEXT_SHARED', 20, 0, 100),
  otherTool: envInt('BENCH_CONTEXT_OTHER_TOOL', 0, 0, 1_000_000),
  explain: envFlag('BENCH_CONTEXT_EXPLAIN', true),
  only: envList('BENCH_CONTEXT_ONLY'),
  keep: envFlag('BENCH_KEEP', false),
  pgBaseUrl: (process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
  out: process.env.BENCH_OUT || '/tmp/mcpmem-bench',
}
if (settings.large <= settings.small) throw new Error('BENCH_CONTEXT_LARGE must be larger than BENCH_CONTEXT_SMALL')
assertLoopbackUrl(settings.pgBaseUrl)
export const database = `mcpmem_bench_context_${randomBytes(4).toString('hex')}`
export const dbUrl = `${settings.pgBaseUrl}/${database}`

export const started = performance.now()
export const log = (message: string) =>
  console.log(`[bench:context ${new Date().toISOString().slice(11, 19)} +${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`)

export class BenchFailure extends Error {}

// ---------------------------------------------------------------------------------------- cases

export interface Case {
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
export const CASES = settings.only.length === 0 ? ALL_CASES : ALL_CASES.filter((c) => settings.only.includes(c.name))
