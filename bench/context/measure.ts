// Measuring of the context benchmark: one POST /v2/context checked against its budget, the sequential phase
// (latency percentiles, CPU per request) and the closed-loop throughput phase.
import type { App } from '../../src/app.js'
import { postgresCpuDelta, readMachineCpuMs, readPostgresCpu } from '../children.js'
import { fmt, percentile } from '../shared/stats.js'
import { BenchFailure, HEADERS, RARE_WORD, database, log, settings, type Case } from './settings.js'

interface ContextAnswer {
  items: Array<{ entry: { id: string; content: string }; score: number; tokens: number }>
  totalTokens: number
  maxTokens: number
  candidates: number
  omittedCount: number
}

export interface Shape { items: number; totalTokens: number; candidates: number; rareItems: number; bytes: number }

export async function contextCall(app: App, c: Case): Promise<Shape> {
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

function cpuSample() {
  return { node: process.cpuUsage(), pg: readPostgresCpu(database), machine: readMachineCpuMs(), at: performance.now() }
}

function cpuDelta(before: ReturnType<typeof cpuSample>, after: ReturnType<typeof cpuSample>) {
  const nodeMs = (after.node.user + after.node.system - before.node.user - before.node.system) / 1000
  const pgMs = postgresCpuDelta(before.pg, after.pg)
  const machineMs = after.machine.busy + after.machine.irq - before.machine.busy - before.machine.irq
  return { nodeMs, pgMs, otherCores: Math.max(0, machineMs - nodeMs - pgMs) / (after.at - before.at) }
}

export interface Result {
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

export async function measure(app: App, c: Case, size: number, warmup: number): Promise<Result> {
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
