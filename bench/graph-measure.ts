// Measuring loops of the graph benchmark: closed-loop driving, CPU and cache sampling, rounds and the restore between them.
import type { App } from '../src/app.js'
import { postgresCpuDelta, readMachineCpuMs, readPostgresCpu } from './children.js'
import { withClient } from './db.js'
import { ALL_OPERATIONS, BenchFailure, OPERATIONS, call, type Operation, type Phase } from './graph-data.js'
import { hitText } from './graph-report.js'
import { BATCH, TOOL, dbUrl, log, settings } from './graph-settings.js'
import { fmt, percentile, prng } from './shared/stats.js'

export interface Measurement {
  op: string
  size: number
  round: number
  entitiesBefore: number
  entitiesAfter: number
  latencies: number[]
  seconds: number
  rate: number
  p50: number
  p99: number
  hits: number
  /** CPU ms of this process (app + the in-process load loops) and of our Postgres processes. */
  nodeMs: number
  pgMs: number
  /** Cores used meanwhile by everything else on the machine (other people's work; > 0.25 is flagged). */
  otherCores: number
  cacheHits: number
  cacheLookups: number
}

/** Hot-cache lookups so far, from the service's own counter (mcp_memory_cache_requests_total). */
async function cacheCounts(app: App): Promise<{ hit: number; miss: number }> {
  const counts = { hit: 0, miss: 0 }
  for (const v of (await app.metrics.cacheRequests.get()).values) {
    if (v.labels.result === 'hit') counts.hit += v.value
    else if (v.labels.result === 'miss') counts.miss += v.value
  }
  return counts
}

function cpuSample() {
  return { node: process.cpuUsage(), pg: readPostgresCpu(settings.database), machine: readMachineCpuMs(), at: performance.now() }
}

function cpuDelta(before: ReturnType<typeof cpuSample>, after: ReturnType<typeof cpuSample>) {
  const nodeMs = (after.node.user + after.node.system - before.node.user - before.node.system) / 1000
  const pgMs = postgresCpuDelta(before.pg, after.pg)
  const machineMs = after.machine.busy + after.machine.irq - before.machine.busy - before.machine.irq
  const elapsedMs = after.at - before.at
  return { nodeMs, pgMs, otherCores: Math.max(0, machineMs - nodeMs - pgMs) / elapsedMs }
}

/** `concurrency` closed loops for `seconds`; latencies in ms. */
export async function drive(app: App, op: Operation, phase: Phase, seconds: number, seed: number) {
  const latencies: number[] = []
  let hits = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  await Promise.all(Array.from({ length: settings.concurrency }, async (_, loop) => {
    const random = prng(seed * 1000 + loop)
    while (performance.now() < deadline) {
      const t0 = performance.now()
      const found = await op.run(app, phase, random)
      latencies.push(performance.now() - t0)
      hits += found
    }
  }))
  return { latencies, hits, seconds: (performance.now() - started) / 1000 }
}

export async function countEntities(): Promise<number> {
  return withClient(dbUrl, async (client) => {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM memories WHERE tool = $1 AND type = 'kg.entity'`, [TOOL])
    return Number(rows[0]!.n)
  })
}

/**
 * Put the graph back as it was seeded, so that every round and both sizes start from the same data:
 * - the observations add_observations added are removed through `DELETE /v1/observations` (1,000
 *   deletions per call), so each entity gets its seeded content back under its id, and the hot
 *   cache stays coherent;
 * - the entities create_entities added are deleted in SQL (their names never recur; the LRU may
 *   still hold them, never to be read again);
 * - then VACUUM ANALYZE, which also clears the dead row versions of the round (autovacuum is off on
 *   the bench machine).
 * Without this, the small graph would absorb every added observation (about 20 per entity after
 * three rounds) and be compared with larger entities than the large one's.
 */
export async function restore(app: App, phase: Phase): Promise<{ created: number; observations: number }> {
  const deletions = [...phase.added].map(([entityName, observations]) => ({ entityName, observations }))
  phase.added.clear()
  let next = 0
  await Promise.all(Array.from({ length: settings.seedParallel }, async () => {
    while (next < deletions.length) {
      const chunk = deletions.slice(next, next + BATCH)
      next += BATCH
      await call(app, { method: 'DELETE', url: '/v1/observations', payload: { deletions: chunk } })
    }
  }))
  const created = await withClient(dbUrl, async (client) => {
    const { rowCount } = await client.query(`DELETE FROM memories WHERE tool = $1 AND type = 'kg.entity' AND key LIKE 'entity:created-%'`, [TOOL])
    // Every seeded entity has its 3 observations again.
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM memories WHERE tool = $1 AND type = 'kg.entity' AND jsonb_array_length(metadata->'observations') <> 3`, [TOOL])
    if (Number(rows[0]!.n) !== 0) throw new BenchFailure(`restore: ${rows[0]!.n} entities do not have their 3 seeded observations`)
    return rowCount ?? 0
  })
  await maintain()
  return { created, observations: deletions.reduce((a, d) => a + d.observations.length, 0) }
}

/** One round: every operation once (warm-up, then the measured run), then the seeded graph restored. */
export async function measureRound(app: App, phase: Phase, round: number): Promise<Measurement[]> {
  const out: Measurement[] = []
  for (const op of OPERATIONS) {
    const index = ALL_OPERATIONS.indexOf(op)
    const entitiesBefore = await countEntities()
    // The same random sequences at both sizes (the same search queries in the same order).
    if (settings.warmup > 0) await drive(app, op, phase, settings.warmup, round * 100 + index * 10 + 1)
    const cacheBefore = await cacheCounts(app)
    const cpuBefore = cpuSample()
    const run = await drive(app, op, phase, settings.seconds, round * 100 + index * 10 + 2)
    const cpu = cpuDelta(cpuBefore, cpuSample())
    const cacheAfter = await cacheCounts(app)
    const sorted = run.latencies.sort((a, b) => a - b)
    const m: Measurement = {
      op: op.name, size: phase.size, round, entitiesBefore, entitiesAfter: await countEntities(),
      latencies: sorted, seconds: run.seconds, rate: sorted.length / run.seconds,
      p50: percentile(sorted, 50), p99: percentile(sorted, 99), hits: run.hits,
      nodeMs: cpu.nodeMs, pgMs: cpu.pgMs, otherCores: cpu.otherCores,
      cacheHits: cacheAfter.hit - cacheBefore.hit,
      cacheLookups: cacheAfter.hit + cacheAfter.miss - cacheBefore.hit - cacheBefore.miss,
    }
    out.push(m)
    const n = Math.max(1, sorted.length)
    log(`  ${op.name.padEnd(16)} ${fmt(m.rate, 1).padStart(8)} req/s  p50 ${m.p50.toFixed(2)} ms  p99 ${m.p99.toFixed(2)} ms  ` +
      `CPU/req node ${fmt((m.nodeMs * 1000) / n)} µs pg ${fmt((m.pgMs * 1000) / n)} µs, other cores ${m.otherCores.toFixed(2)}, ` +
      `cache hits ${hitText(m.cacheHits, m.cacheLookups)} (${fmt(sorted.length)} requests in ${m.seconds.toFixed(1)} s; ` +
      `entities ${fmt(entitiesBefore)} → ${fmt(m.entitiesAfter)}` +
      `${op.name === 'search_nodes' || op.name === 'open_nodes' ? `; ${(m.hits / n).toFixed(2)} entities per answer` : ''})`)
  }
  const restored = await restore(app, phase)
  log(`  restored the seeded graph: removed ${fmt(restored.created)} created entities and ${fmt(restored.observations)} added observations`)
  return out
}

export async function maintain(): Promise<void> {
  if (!settings.analyze) return
  const t0 = performance.now()
  await withClient(dbUrl, (client) => client.query('VACUUM ANALYZE memories'))
  log(`VACUUM ANALYZE memories (${((performance.now() - t0) / 1000).toFixed(1)} s; stands in for autovacuum, off on this machine)`)
}
