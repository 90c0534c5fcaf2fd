/** Results table, ratios and pass/miss against the performance targets (design §11). */
import type autocannon from 'autocannon'
import type { Scenario } from './scenarios.js'
import { fmt, median } from './shared/stats.js'

export interface Measurement {
  name: string
  target: Scenario['target']
  describe: string
  connections: number
  reqPerSec: number
  p50: number
  p90: number
  p99: number
  max: number
  requests: number
  /** Responses whose status was not the expected one, plus socket errors and timeouts. */
  failures: number
  statusCounts: Record<string, number>
  /** VmRSS of the server process during the measured run, bytes. */
  rssPeak: number
  rssMean: number
  /** CPU time (user + system) of the server process per completed request, µs. */
  cpuUsPerRequest: number
  /** Share of one core the server process used during the measured run. */
  cpuCores: number
  /** CPU of all Postgres processes per request, µs, and in cores. */
  dbCpuUsPerRequest: number
  dbCores: number
  /** CPU of the load generator (this process), in cores. */
  loadCores: number
  /**
   * Machine CPU in process context not accounted to server, Postgres or load generator, in cores:
   * other processes. A large value means the run shared the machine.
   */
  otherCores: number
  /** Interrupt-context CPU (softirq: loopback TCP), in cores. */
  irqCores: number
  /** Response bytes (headers + body) per request, from autocannon's throughput. */
  bytesPerResponse: number
  /** The service's hot-cache lookups during the measured run (`mcp_memory_cache_requests_total` deltas from /metrics). */
  cache?: CacheCounts
  /** The server's process.memoryUsage() right after the measured run, and after a full GC then. */
  memoryAfter?: NodeJS.MemoryUsage
  memoryRetained?: NodeJS.MemoryUsage
}

export interface CacheCounts {
  hit: number
  miss: number
  error: number
}

export const hitRatio = (c: CacheCounts) => {
  const total = c.hit + c.miss + c.error
  return total > 0 ? c.hit / total : 0
}

export interface Usage {
  peak: number
  mean: number
  cpuMs: number
  dbCpuMs: number
  loadCpuMs: number
  machineBusyMs: number
  machineIrqMs: number
}

export function toMeasurement(scenario: Scenario, result: autocannon.Result, usage: Usage): Measurement {
  const perRequest = (ms: number) => (result.requests.total > 0 ? (ms * 1000) / result.requests.total : 0)
  const cores = (ms: number) => (result.duration > 0 ? ms / 1000 / result.duration : 0)
  const statusCounts: Record<string, number> = {}
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}
  for (const [code, { count }] of Object.entries(stats)) statusCounts[code] = Number(count)
  const expected = statusCounts[String(scenario.expectStatus)] ?? 0
  const answered = Object.values(statusCounts).reduce((a, b) => a + b, 0)
  return {
    name: scenario.name,
    target: scenario.target,
    describe: scenario.describe,
    connections: result.connections,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    bytesPerResponse: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
    failures: answered - expected + result.errors + result.timeouts,
    statusCounts,
    rssPeak: usage.peak,
    rssMean: usage.mean,
    cpuUsPerRequest: perRequest(usage.cpuMs),
    cpuCores: cores(usage.cpuMs),
    dbCpuUsPerRequest: perRequest(usage.dbCpuMs),
    dbCores: cores(usage.dbCpuMs),
    loadCores: cores(usage.loadCpuMs),
    otherCores: Math.max(0, cores(usage.machineBusyMs - usage.cpuMs - usage.dbCpuMs - usage.loadCpuMs)),
    irqCores: cores(usage.machineIrqMs),
  }
}

export interface Target {
  name: string
  ok: boolean | null
  detail: string
}

const MB = 1024 * 1024

const SHARED_CORES = 0.25
/** `read`, `read#2`, … → round 1, 2, …; other names → null. */
function roundOf(name: string, base: string): number | null {
  if (name === base) return 1
  const m = new RegExp(`^${base}#(\\d+)$`).exec(name)
  return m?.[1] ? Number(m[1]) : null
}

/** A cached-read round whose lookups were not (nearly) all hits did not measure the cache. */
const MIN_HIT_RATIO = 0.95

/** Median over rounds of service req/s ÷ bare req/s, each round's pair run back to back. */
function ratioTarget(results: Measurement[], name: string, service: string, bare: string, min: number, needHits = false): Target {
  const rounds: { ratio: number; failed: boolean; shared: boolean }[] = []
  for (const s of results) {
    const round = roundOf(s.name, service)
    if (round === null) continue
    const b = results.find((r) => roundOf(r.name, bare) === round)
    if (!b) continue
    rounds.push({
      ratio: s.reqPerSec / b.reqPerSec,
      failed: s.failures > 0 || b.failures > 0 || (needHits && (!s.cache || hitRatio(s.cache) < MIN_HIT_RATIO)),
      shared: s.otherCores > SHARED_CORES || b.otherCores > SHARED_CORES,
    })
  }
  if (rounds.length === 0) return { name, ok: null, detail: 'not run' }
  const ratio = median(rounds.map((r) => r.ratio))
  const s = results.find((r) => r.name === service)
  const b = results.find((r) => r.name === bare)
  const invalid = rounds.some((r) => r.failed) ? (needHits ? ' (INVALID: failed requests or cache hits below 95 %)' : ' (INVALID: failed requests)') : ''
  const shared = rounds.filter((r) => r.shared).length
  const perRound = rounds.length > 1 ? `median of ${rounds.length} rounds (${rounds.map((r) => r.ratio.toFixed(2)).join(', ')}): ` : ''
  return {
    name,
    ok: invalid ? false : ratio >= min,
    detail: `${perRound}${ratio.toFixed(2)}× (target ≥ ${min}×; round 1: ${fmt(s?.reqPerSec ?? 0)} / ${fmt(b?.reqPerSec ?? 0)} req/s)${invalid}` +
      (shared > 0 ? ` — ${shared} of ${rounds.length} rounds on a shared machine` : ''),
  }
}

export function evaluateTargets(results: Measurement[], entries: number, idleRss: Record<string, number | null> = {}, rssLimitMb = 150, p99LimitMs = 50): Target[] {
  const targets = [
    ratioTarget(results, 'create / bare INSERT', 'create', 'bare-insert', 0.6),
    ratioTarget(results, 'read by id / bare PK SELECT', 'read', 'bare-select', 0.8),
  ]
  if (results.some((r) => roundOf(r.name, 'cached-read') !== null)) {
    targets.push(ratioTarget(results, 'cached read (Redis hits) / bare Fastify+Redis GET', 'cached-read', 'bare-kv', 0.6, true))
    const counts = results.filter((r) => roundOf(r.name, 'cached-read') !== null && r.cache).map((r) => r.cache as CacheCounts)
    const sum = counts.reduce((a, c) => ({ hit: a.hit + c.hit, miss: a.miss + c.miss, error: a.error + c.error }), { hit: 0, miss: 0, error: 0 })
    targets.push({
      name: 'cached-read hit ratio (/metrics)',
      ok: counts.length === 0 ? null : hitRatio(sum) >= MIN_HIT_RATIO,
      detail: counts.length === 0 ? 'not scraped' :
        `${fmt(hitRatio(sum) * 100, 2)} % (hit ${fmt(sum.hit)}, miss ${fmt(sum.miss)}, error ${fmt(sum.error)}; needed ≥ ${MIN_HIT_RATIO * 100} % for a valid ratio)`,
    })
  }
  for (const r of results.filter((m) => m.name.startsWith('list') || m.name.startsWith('search'))) {
    const invalid = (r.failures > 0 ? ' (INVALID: failed requests)' : '') +
      (r.otherCores > SHARED_CORES ? ` — shared machine (${fmt(r.otherCores, 2)} other cores)` : '')
    targets.push({
      name: `${r.name} p99 (${r.connections} conn, ${fmt(entries)} entries)`,
      ok: r.failures > 0 ? false : r.p99 < p99LimitMs,
      detail: `p99 ${fmt(r.p99, 1)} ms (target < ${p99LimitMs} ms)${invalid}`,
    })
  }
  for (const [target, label] of [['service', 'service (LRU)'], ['service-redis', 'service (Redis)']] as const) {
    const idle = idleRss[target]
    if (idle !== undefined && idle !== null) {
      targets.push({ name: `${label} RSS idle`, ok: idle < rssLimitMb * MB, detail: `${fmt(idle / MB, 1)} MB after start (target < ${rssLimitMb} MB)` })
    }
    const rss = results.filter((r) => r.target === target)
    if (rss.length === 0) continue
    const peak = Math.max(...rss.map((r) => r.rssPeak))
    const worst = rss.find((r) => r.rssPeak === peak)
    targets.push({
      name: `${label} RSS under load`,
      ok: peak < rssLimitMb * MB,
      detail: `peak ${fmt(peak / MB, 1)} MB during ${worst?.name} (target < ${rssLimitMb} MB)`,
    })
  }
  return targets
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ') + ' |'
  const rule = '|' + widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|') + '|'
  return [line(header), rule, ...rows.map(line)].join('\n')
}

/** Markdown tables (paste-able into bench/README.md). */
export function renderReport(results: Measurement[], targets: Target[]): string {
  const rows = results.map((r) => [
    r.name,
    String(r.connections),
    fmt(r.reqPerSec),
    fmt(r.p50, 1),
    fmt(r.p90, 1),
    fmt(r.p99, 1),
    fmt(r.max, 0),
    fmt(r.requests),
    r.failures === 0 ? '0' : `${r.failures} ${JSON.stringify(r.statusCounts)}`,
    r.cache ? `${fmt(hitRatio(r.cache) * 100, 1)} %` : '',
    fmt(r.bytesPerResponse),
    fmt(r.rssPeak / MB, 1),
    fmt(r.cpuUsPerRequest),
    fmt(r.dbCpuUsPerRequest),
    `${fmt(r.cpuCores, 2)} / ${fmt(r.dbCores, 2)} / ${fmt(r.loadCores, 2)} / ${fmt(r.irqCores, 2)} / ${fmt(r.otherCores, 2)}`,
  ])
  const main = table(
    ['scenario', 'conn', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'requests', 'failed', 'cache hits', 'bytes/resp', 'server RSS peak MB',
      'server CPU µs/req', 'pg CPU µs/req', 'cores: server / pg / loadgen / softirq / other'],
    rows,
  )
  const goals = table(
    ['target', 'result', 'measured'],
    targets.map((t) => [t.name, t.ok === null ? 'n/a' : t.ok ? 'PASS' : 'MISS', t.detail]),
  )
  const shared = results.filter((r) => r.otherCores > SHARED_CORES)
  const warning = shared.length === 0 ? '' :
    `\n\nWARNING: other processes used CPU during ${shared.map((r) => `${r.name} (${fmt(r.otherCores, 2)} cores)`).join(', ')}; ` +
    'those figures are depressed and the ratios less reliable. Re-run on a quiet machine.'
  return `${main}\n\n${goals}${warning}`
}
