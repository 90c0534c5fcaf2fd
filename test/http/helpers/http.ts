/**
 * Small helpers for the /v2 HTTP tests: JSON requests through `inject`, problem+json assertions,
 * and a snapshot of what a caller can see (to prove that a rejected request changed nothing).
 */
import type { App } from '../../../src/app.js'

export type Server = App['server']
export type Headers = Record<string, string>

export interface Res {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
  /** The parsed JSON body (undefined when the body is empty or not JSON). */
  json: any
}

/** An optional assertion message, the shape tap's `MessageExtra` accepts. */
type Msg = [] | [message: string]

/** The assertions the helpers use; node-tap's `t` satisfies it. */
export interface Assert {
  equal(found: unknown, wanted: unknown, ...msg: Msg): unknown
  match(found: unknown, pattern: RegExp | string, ...msg: Msg): unknown
}

export const PROBLEM_TYPE = 'urn:mcp-memory:problem:'

/** `X-Memory-Tool` for local mode. */
export const as = (tool: string): Headers => ({ 'x-memory-tool': tool })

/** `Authorization: Bearer <key>`. */
export const bearer = (key: string): Headers => ({ authorization: `Bearer ${key}` })

export interface Req {
  headers?: Headers
  /** Serialized as JSON unless it is a string (sent verbatim). */
  body?: unknown
  contentType?: string
}

export async function call(server: Server, method: string, url: string, req: Req = {}): Promise<Res> {
  const headers: Headers = { ...req.headers }
  let payload: string | undefined
  if (req.body !== undefined) {
    payload = typeof req.body === 'string' ? req.body : JSON.stringify(req.body)
    headers['content-type'] = req.contentType ?? 'application/json'
  } else if (req.contentType !== undefined) {
    headers['content-type'] = req.contentType
  }
  const res = await server.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) })
  let json: any
  try {
    json = res.body.length > 0 ? JSON.parse(res.body) : undefined
  } catch {
    json = undefined
  }
  return { status: res.statusCode, headers: res.headers, body: res.body, json }
}

/** Create an entry (expects 201) and return its wire JSON. */
export async function create(server: Server, body: Record<string, unknown>, headers: Headers = {}): Promise<any> {
  const res = await call(server, 'POST', '/v2/memories', { body, headers })
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`)
  return res.json
}

/** Every entry the caller can list, following cursors. */
export async function listAll(server: Server, headers: Headers = {}, query = ''): Promise<any[]> {
  const items: any[] = []
  let cursor: string | null = null
  for (let page = 0; page < 1000; page++) {
    const sep = query ? '&' : ''
    const url: string = `/v2/memories?${query}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const res = await call(server, 'GET', url, { headers })
    if (res.status !== 200) throw new Error(`list failed: ${res.status} ${res.body}`)
    items.push(...res.json.items)
    cursor = res.json.nextCursor
    if (!cursor) return items
  }
  throw new Error('list did not terminate')
}

/** Everything a caller can observe of the store: all listed entries and the stats. */
export async function snapshot(server: Server, headers: Headers = {}): Promise<string> {
  const stats = await call(server, 'GET', '/v2/stats', { headers })
  return JSON.stringify({ items: await listAll(server, headers), stats: stats.json })
}

/** Assert an RFC 9457 problem response with a catalogue code. */
export function assertProblem(t: Assert, res: Res, status: number, code: string, label = ''): void {
  const what = label ? `${label}: ` : ''
  t.equal(res.status, status, `${what}status ${status}`)
  t.match(String(res.headers['content-type']), /^application\/problem\+json/, `${what}problem+json`)
  t.equal(res.json?.type, PROBLEM_TYPE + code, `${what}type ${code}`)
  t.equal(res.json?.code, code, `${what}code ${code}`)
  t.equal(res.json?.status, status, `${what}body status`)
}

/** A deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** A syntactically valid UUIDv7 that no entry has. */
export const MISSING_ID = '01890a5d-ac96-774b-bcce-b302099a8057'
