/**
 * Helpers for the access-control and tool-registry tests: comparing "absent" answers without the
 * identifier they name, and reading Prometheus samples from `/metrics`.
 */
import { type Headers, type Res, type Server, call } from './http.js'

/**
 * A response reduced to what tells "absent" from "hidden": status, content type, the headers that
 * could betray an entry (ETag, Location) and the body with `name` (the id, key or tool asked
 * for) replaced by a placeholder, so that two 404s for different names compare equal when nothing
 * else differs.
 */
export function absentShape(res: Res, name: string): string {
  return JSON.stringify({
    status: res.status,
    contentType: res.headers['content-type'],
    etag: res.headers.etag ?? null,
    location: res.headers.location ?? null,
    body: res.body.split(name).join('<NAME>'),
  })
}

/** One batch operation's problem with `name` replaced (for per-operation 404 comparisons). */
export function problemShape(problem: unknown, name: string): string {
  return JSON.stringify(problem).split(name).join('<NAME>')
}

/**
 * The value of the sample `name{labels}` (labels as written by prom-client, e.g. `owner="x"`), or
 * 0 when the series does not exist yet (a counter that was never incremented).
 */
export function sample(text: string, name: string, labels = ''): number {
  const series = labels ? `${name}{${labels}}` : name
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1))
  }
  return 0
}

/** GET /metrics with `headers` and return one sample (see `sample`); throws unless 200. */
export async function metric(server: Server, headers: Headers, name: string, labels = ''): Promise<number> {
  const res = await call(server, 'GET', '/metrics', { headers })
  if (res.status !== 200) throw new Error(`/metrics: ${res.status} ${res.body.slice(0, 200)}`)
  return sample(res.body, name, labels)
}
