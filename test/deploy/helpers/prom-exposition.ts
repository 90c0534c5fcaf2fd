/**
 * The Prometheus text exposition of the app: which series names it declares (`# TYPE` lines,
 * histograms as their `_bucket`/`_sum`/`_count` series) and which samples it holds.
 */
import { buildTestApp } from '../../helpers/build-app.js'

export interface Sample {
  name: string
  /** The raw `{…}` part, '' without labels. */
  labels: string
  value: number
}

export interface Exposition {
  /** Declared metric family → type (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>
  samples: Sample[]
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)/.exec(line)
    if (type) types.set(type[1]!, type[2]!)
    if (line === '' || line.startsWith('#')) continue
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line)
    if (sample) samples.push({ name: sample[1]!, labels: sample[2] ?? '', value: Number(sample[3]) })
  }
  return { types, samples }
}

/**
 * Series names a query may use: counters and gauges by their name; histograms only as
 * `_bucket`/`_sum`/`_count` (the bare name has no series); summaries as name, `_sum`, `_count`.
 */
export function exportedNames(exposition: Exposition): Set<string> {
  const names = new Set<string>()
  for (const [name, type] of exposition.types) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix)
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix)
    else names.add(name)
  }
  return names
}

export function samplesOf(exposition: Exposition, name: string): Sample[] {
  return exposition.samples.filter((s) => s.name === name)
}

/** What a freshly built app (in-memory store, no traffic) exports at its first scrape. */
export async function freshAppExposition(t: { teardown(fn: () => unknown): void }): Promise<Exposition> {
  const app = await buildTestApp(t)
  const res = await app.server.inject({ method: 'GET', url: '/metrics' })
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`)
  return parseExposition(res.body)
}
