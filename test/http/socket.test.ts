/** The same contract over a real TCP socket with fetch (what clients actually see). */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'

const KEY_A = 'aaaaaaaaaaaaaaaa1'
const KEY_B = 'bbbbbbbbbbbbbbbb2'

interface Tap {
  teardown(fn: () => unknown): void
  match(found: unknown, pattern: RegExp, ...msg: [] | [string]): unknown
}

async function listen(t: Tap, env: Record<string, string> = {}) {
  const app = await buildTestApp(t, env)
  const address = await app.server.listen({ port: 0, host: '127.0.0.1' })
  t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/)
  return address
}

t.test('create, read, conditional read, update, delete over HTTP', async (t) => {
  const base = await listen(t)
  const created = await fetch(`${base}/v2/memories`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-memory-tool': 'sock' },
    body: JSON.stringify({ content: 'over the wire ✓', tags: ['net'] }),
  })
  t.equal(created.status, 201)
  t.equal(created.headers.get('etag'), '"1"')
  const location = created.headers.get('location')!
  const entry = await created.json() as { id: string; tool: string; content: string }
  t.equal(location, `/v2/memories/${entry.id}`)
  t.equal(entry.tool, 'sock')
  t.equal(entry.content, 'over the wire ✓')
  t.match(created.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)

  const got = await fetch(base + location, { headers: { 'x-memory-tool': 'sock' } })
  t.equal(got.status, 200)
  t.same(await got.json(), entry)
  const etag = got.headers.get('etag')!

  const notModified = await fetch(base + location, { headers: { 'x-memory-tool': 'sock', 'if-none-match': etag } })
  t.equal(notModified.status, 304)
  t.equal(await notModified.text(), '', '304 has no body on the wire')
  t.equal(notModified.headers.get('etag'), '"1"')
  const length = notModified.headers.get('content-length')
  t.ok(length === null || length === got.headers.get('content-length'),
    `a 304 sends no Content-Length, or that of the 200 (RFC 9110 §8.6); got ${length}`)

  const patched = await fetch(base + location, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json', 'x-memory-tool': 'sock', 'if-match': etag },
    body: JSON.stringify({ tags: ['net', 'patched'] }),
  })
  t.equal(patched.status, 200)
  t.equal(patched.headers.get('etag'), '"2"')
  const stale = await fetch(base + location, {
    method: 'DELETE', headers: { 'x-memory-tool': 'sock', 'if-match': etag },
  })
  t.equal(stale.status, 412)
  t.match(stale.headers.get('content-type'), /^application\/problem\+json/)
  t.match(await stale.json(), { code: 'version_conflict', currentVersion: 2 })

  const del = await fetch(base + location, { method: 'DELETE', headers: { 'x-memory-tool': 'sock', 'if-match': '"2"' } })
  t.equal(del.status, 204)
  t.equal(await del.text(), '')
  const gone = await fetch(base + location, { headers: { 'x-memory-tool': 'sock' } })
  t.equal(gone.status, 404)
  t.match(await gone.json(), { type: 'urn:mcp-memory:problem:not_found', status: 404 })
})

t.test('limits and errors over HTTP: 413, 415, 400, 404 are problem+json', async (t) => {
  const base = await listen(t, { BODY_LIMIT_BYTES: '4096', MAX_CONTENT_BYTES: '1024' })
  const post = (body: string, contentType = 'application/json') =>
    fetch(`${base}/v2/memories`, { method: 'POST', headers: { 'content-type': contentType }, body })

  const cases: [Promise<Response>, number, string][] = [
    [post(JSON.stringify({ content: 'x'.repeat(10_000) })), 413, 'payload_too_large'],
    [post(JSON.stringify({ content: 'x'.repeat(2_000) })), 413, 'content_too_large'],
    [post('<xml/>', 'application/xml'), 415, 'unsupported_media_type'],
    [post('{"content":'), 400, 'malformed_json'],
    [post('{"content":"x","__proto__":{"polluted":1}}'), 400, 'malformed_json'],
    [fetch(`${base}/v2/memories?limit=0`), 400, 'validation_failed'],
    [fetch(`${base}/nowhere`), 404, 'route_not_found'],
  ]
  for (const [pending, status, code] of cases) {
    const res = await pending
    t.equal(res.status, status, `${code}: ${status}`)
    t.match(res.headers.get('content-type'), /^application\/problem\+json/)
    t.match(await res.json(), { type: `urn:mcp-memory:problem:${code}`, status, code })
  }
  const list = await fetch(`${base}/v2/memories`)
  t.same(await list.json(), { items: [], nextCursor: null }, 'nothing was stored')
})

t.test('a large body under the limit streams in fine; chunked bodies are limited too', async (t) => {
  const base = await listen(t, { BODY_LIMIT_BYTES: '65536', MAX_CONTENT_BYTES: '32768' })
  const content = '🧠'.repeat(8192) // 32768 bytes
  const ok = await fetch(`${base}/v2/memories`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content }) })
  t.equal(ok.status, 201)
  t.equal(((await ok.json()) as { content: string }).content, content)

  const chunks = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"content":"'))
      for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(4096)))
      controller.enqueue(new TextEncoder().encode('"}'))
      controller.close()
    },
  })
  const chunked = await fetch(`${base}/v2/memories`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half',
  } as RequestInit & { duplex: 'half' })
  t.equal(chunked.status, 413, 'a chunked body over the limit')
  t.match(await chunked.json(), { code: 'payload_too_large' })
})

t.test('API keys over HTTP: 401 without a key, tool from the key, no key echoed', async (t) => {
  const base = await listen(t, { MEMORY_API_KEYS: `tool-a=${KEY_A},tool-b=${KEY_B}:read` })
  const anonymous = await fetch(`${base}/v2/memories`)
  t.equal(anonymous.status, 401)
  t.match(await anonymous.json(), { code: 'unauthorized' })
  const wrong = await fetch(`${base}/v2/memories`, { headers: { authorization: 'Bearer not-a-valid-key-at-all' } })
  t.equal(wrong.status, 401)
  const wrongText = JSON.stringify([...wrong.headers]) + (await wrong.text())
  t.notOk(wrongText.includes('not-a-valid-key-at-all'), 'a wrong key is not echoed')

  const created = await fetch(`${base}/v2/memories`, {
    method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'authenticated' }),
  })
  t.equal(created.status, 201)
  const createdText = JSON.stringify([...created.headers]) + (await created.text())
  t.match(createdText, /"tool":"tool-a"/)
  t.notOk(createdText.includes(KEY_A), 'the key is not echoed')
  const readOnly = await fetch(`${base}/v2/memories`, {
    method: 'POST', headers: { authorization: `Bearer ${KEY_B}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'nope' }),
  })
  t.equal(readOnly.status, 403)
  t.match(await readOnly.json(), { code: 'forbidden' })
  const health = await fetch(`${base}/healthz`)
  t.equal(health.status, 200, 'ops endpoints need no key')
  const metrics = await fetch(`${base}/metrics`)
  const metricsText = await metrics.text()
  t.notOk(metricsText.includes(KEY_A) || metricsText.includes(KEY_B), 'keys are not in the metrics')
})
