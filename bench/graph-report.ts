// Tables and diagnostics of the graph benchmark: rounds combined, the result tables, EXPLAIN of search_nodes and table facts.
import type { App } from '../src/app.js'
import { withClient } from './db.js'
import { OPERATIONS, call } from './graph-data.js'
import type { Measurement } from './graph-measure.js'
import { TARGET_RATIO, dbUrl, settings } from './graph-settings.js'
import { captureStatements } from './shared/pg-capture.js'
import { fmt, median, percentile } from './shared/stats.js'

/** The rounds of one operation at one size, combined. */
interface Combined {
  op: string
  size: number
  rates: number[]
  /** Median of the rounds' rates. */
  rate: number
  best: number
  p50: number
  p99: number
  nodeUsPerReq: number
  pgUsPerReq: number
  cacheHits: number
  cacheLookups: number
  maxOtherCores: number
}

function combine(measurements: Measurement[]): Combined[] {
  return OPERATIONS.map((op) => {
    const ms = measurements.filter((m) => m.op === op.name)
    const latencies = ms.flatMap((m) => m.latencies).sort((a, b) => a - b)
    const requests = Math.max(1, latencies.length)
    return {
      op: op.name, size: ms[0]!.size, rates: ms.map((m) => m.rate), rate: median(ms.map((m) => m.rate)),
      best: Math.max(...ms.map((m) => m.rate)), p50: percentile(latencies, 50), p99: percentile(latencies, 99),
      nodeUsPerReq: (ms.reduce((a, m) => a + m.nodeMs, 0) * 1000) / requests,
      pgUsPerReq: (ms.reduce((a, m) => a + m.pgMs, 0) * 1000) / requests,
      cacheHits: ms.reduce((a, m) => a + m.cacheHits, 0), cacheLookups: ms.reduce((a, m) => a + m.cacheLookups, 0),
      maxOtherCores: Math.max(...ms.map((m) => m.otherCores)),
    }
  })
}

export const hitText = (hits: number, lookups: number) => (lookups === 0 ? '–' : `${((hits / lookups) * 100).toFixed(1)} %`)

// ---------------------------------------------------------------------------------------- diagnostics

/**
 * The statements one search_nodes request sends (captured from pg's Client.query), then EXPLAIN
 * (ANALYZE, BUFFERS) of each with its values, on a connection of our own.
 */
export async function explainSearch(app: App, query: string): Promise<string> {
  const captured = await captureStatements(() => call(app, { method: 'GET', url: `/v1/search?query=${encodeURIComponent(query)}` }))
  // The candidate listing (the ILIKE prefilter); the other statements are the relation look-ups,
  // two per matched entity (tags kgf:/kgt:), which are only counted.
  const statements = captured.filter((s) => /ILIKE/i.test(s.text))
  return withClient(dbUrl, async (client) => {
    const parts: string[] = [`${captured.length} statements for this request: ${statements.length} candidate listing page(s), ` +
      `${captured.length - statements.length} others (relation look-ups by tag)${statements.length > 2 ? '; the first 2 pages follow' : ''}`]
    for (const s of statements.slice(0, 2)) {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, s.values)
      parts.push(`values: ${JSON.stringify(s.values)}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`)
    }
    return parts.join('\n\n')
  })
}

export async function tableFacts(): Promise<string> {
  return withClient(dbUrl, async (client) => {
    const { rows } = await client.query<{ rows: string; size: string }>(
      `SELECT (SELECT count(*) FROM memories)::text AS rows, pg_size_pretty(pg_total_relation_size('memories')) AS size`)
    return `memories: ${fmt(Number(rows[0]!.rows))} rows, ${rows[0]!.size} with indexes`
  })
}

// ---------------------------------------------------------------------------------------- report

export function report(measurements: Measurement[]): { table: string; failed: string[] } {
  const small = combine(measurements.filter((m) => m.size === settings.small))
  const large = combine(measurements.filter((m) => m.size === settings.large))
  const failed: string[] = []
  const rounds = settings.rounds > 1 ? `median of ${settings.rounds} rounds, ` : ''
  const lines = [
    `| operation | req/s at ${fmt(settings.small)} | req/s at ${fmt(settings.large)} | ratio (large/small) | target | result | ` +
      `p50 / p99 ms at ${fmt(settings.small)} | p50 / p99 ms at ${fmt(settings.large)} | best-round ratio | CPU/req ratio (small/large) |`,
    '|:--|--:|--:|--:|--:|:--|--:|--:|--:|--:|',
  ]
  for (const s of small) {
    const l = large.find((m) => m.op === s.op)!
    const ratio = l.rate / s.rate
    const pass = ratio >= TARGET_RATIO
    if (!pass) failed.push(s.op)
    lines.push(`| ${s.op} | ${fmt(s.rate, 1)} | ${fmt(l.rate, 1)} | ${ratio.toFixed(2)}× | ≥ ${TARGET_RATIO}× | ${pass ? 'PASS' : 'FAIL'} | ` +
      `${s.p50.toFixed(2)} / ${s.p99.toFixed(2)} | ${l.p50.toFixed(2)} / ${l.p99.toFixed(2)} | ${(l.best / s.best).toFixed(2)}× | ` +
      `${((s.nodeUsPerReq + s.pgUsPerReq) / (l.nodeUsPerReq + l.pgUsPerReq)).toFixed(2)}× |`)
  }
  lines.push('', `req/s: ${rounds}${settings.seconds} s each, ${settings.concurrency} loops; latencies over all rounds. ` +
    'best-round ratio: best round at the large size / best round at the small size.',
    'CPU/req ratio: (node + pg CPU per request at the small size) / (the same at the large size); it moves much less than the rate',
    'with other processes\' load, so a rate ratio below target with a CPU/req ratio above it points at contention, not work.')
  lines.push('', '| operation | size | round | req/s | p50 / p99 ms | node CPU µs/req | pg CPU µs/req | cache hits | other cores | entities during the run |',
    '|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
  for (const m of measurements) {
    const n = Math.max(1, m.latencies.length)
    lines.push(`| ${m.op} | ${fmt(m.size)} | ${m.round + 1} | ${fmt(m.rate, 1)} | ${m.p50.toFixed(2)} / ${m.p99.toFixed(2)} | ` +
      `${fmt((m.nodeMs * 1000) / n)} | ${fmt((m.pgMs * 1000) / n)} | ${hitText(m.cacheHits, m.cacheLookups)} | ` +
      `${m.otherCores.toFixed(2)}${m.otherCores > 0.25 ? ' ⚠' : ''} | ${fmt(m.entitiesBefore)} → ${fmt(m.entitiesAfter)} |`)
  }
  lines.push('', 'other cores: CPU the rest of the machine used meanwhile (⚠ above 0.25: someone else\'s load shared the 2 vCPUs).')
  return { table: lines.join('\n'), failed }
}
