/**
 * Summarises a V8 .cpuprofile: top functions by self time and by inclusive time (a function counted
 * once per sample however often it recurs), and self time by package/area.
 *
 *   node --import tsx bench/profile.ts FILE.cpuprofile [topN]
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

interface CpuNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: CpuNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface ProfileSummary {
  totalMs: number
  idleMs: number
  /** Samples in socket writev (syscall; on a busy small machine it also absorbs being descheduled). */
  writevMs: number
  /** Samples of the profiler's own start/stop handling, left out. */
  profilerMs: number
  selfTop: { fn: string; ms: number; pct: number }[]
  inclusiveTop: { fn: string; ms: number; pct: number }[]
  byArea: { area: string; ms: number; pct: number }[]
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)'])

function shortUrl(url: string): string {
  if (!url) return ''
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length)
  const src = url.search(/\/(src|bench)\//)
  if (src >= 0) return url.slice(src + 1)
  return url.replace(/^file:\/\//, '')
}

function label(node: CpuNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const name = functionName || '(anonymous)'
  if (SPECIAL.has(name) || !url) return name
  return `${name} ${shortUrl(url)}:${lineNumber + 1}`
}

/** `node_modules/<pkg>` (scoped too), `src/<dir>`, `node:<module>`, or a V8 pseudo-frame. */
function area(node: CpuNode): string {
  const { functionName, url } = node.callFrame
  if (SPECIAL.has(functionName)) return functionName
  if (!url) return '(native / V8 builtins)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm?.[1]) return nm[1]
  const src = /\/((?:src|bench)\/[^/]+)/.exec(url)
  if (src?.[1]) return src[1]
  if (url.startsWith('node:')) return url.split('/')[0] ?? url
  return url
}

export function summarize(profile: CpuProfile, topN = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const areas = new Map<string, number>()
  let total = 0
  let idle = 0
  let writev = 0
  let profiler = 0
  const isProfiler = (id: number) => {
    for (let cur: number | undefined = id, depth = 0; cur !== undefined && depth < 500; cur = parent.get(cur), depth++) {
      if (byId.get(cur)?.callFrame.url.endsWith('bench/child-ipc.ts')) return true
    }
    return false
  }
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    const node = byId.get(id)
    if (!node) return
    total += dt
    const name = label(node)
    if (name === '(idle)') {
      idle += dt
      return
    }
    if (name === 'writev') {
      writev += dt
      return
    }
    if (isProfiler(id)) {
      profiler += dt
      return
    }
    self.set(name, (self.get(name) ?? 0) + dt)
    areas.set(area(node), (areas.get(area(node)) ?? 0) + dt)
    const seen = new Set<string>()
    for (let cur: number | undefined = id, depth = 0; cur !== undefined && depth < 500; cur = parent.get(cur), depth++) {
      const n = byId.get(cur)
      if (!n) break
      const l = label(n)
      if (SPECIAL.has(l) || seen.has(l)) continue
      seen.add(l)
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt)
    }
  })
  const busy = total - idle - writev - profiler || 1
  const top = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, topN).map(([fn, ms]) => ({ fn, ms, pct: (100 * ms) / busy }))
  return {
    totalMs: total,
    idleMs: idle,
    writevMs: writev,
    profilerMs: profiler,
    selfTop: top(self),
    inclusiveTop: top(inclusive),
    byArea: top(areas).map(({ fn, ms, pct }) => ({ area: fn, ms, pct })),
  }
}

export function renderSummary(title: string, s: ProfileSummary): string {
  const pct = (ms: number) => `${((100 * ms) / (s.totalMs || 1)).toFixed(0)} %`
  const lines = [
    `CPU profile: ${title} — ${(s.totalMs / 1000).toFixed(1)} s sampled: ${pct(s.idleMs)} idle, ${pct(s.writevMs)} in socket writev ` +
      `(syscall; also absorbs time descheduled while Postgres runs), ${pct(s.profilerMs)} profiler; shares below are of the rest`,
  ]
  const block = (head: string, rows: { name: string; ms: number; pct: number }[]) => {
    lines.push(`  ${head}`)
    for (const r of rows) lines.push(`    ${r.pct.toFixed(1).padStart(5)} %  ${r.name}`)
  }
  block('self time by area', s.byArea.map((r) => ({ name: r.area, ms: r.ms, pct: r.pct })))
  block('top self time', s.selfTop.map((r) => ({ name: r.fn, ms: r.ms, pct: r.pct })))
  block('top inclusive time', s.inclusiveTop.map((r) => ({ name: r.fn, ms: r.ms, pct: r.pct })))
  return lines.join('\n')
}

export function summarizeFile(path: string, topN = 15): ProfileSummary {
  return summarize(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, topN)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2]
  if (!file) throw new Error('usage: bench/profile.ts FILE.cpuprofile [topN]')
  console.log(renderSummary(file, summarizeFile(file, Number(process.argv[3] ?? 15))))
}
