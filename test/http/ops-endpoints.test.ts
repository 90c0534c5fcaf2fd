/** /healthz, /readyz, /metrics, /docs, /docs/json, unknown routes, request ids. */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import { AppError } from '../../src/errors/app-error.js'
import { assertProblem, call, create } from './helpers/http.js'

t.test('/healthz and /readyz', async (t) => {
  const { server } = await buildTestApp(t)
  const health = await call(server, 'GET', '/healthz')
  t.equal(health.status, 200)
  t.same(health.json, { status: 'ok' })
  const ready = await call(server, 'GET', '/readyz')
  t.equal(ready.status, 200)
  t.same(ready.json, { status: 'ready', backends: { memory: 'up' }, cache: 'up' }, 'the in-process cache is the default hot tier')
})

t.test('/readyz is 503 backend_unavailable when the store does not answer', async (t) => {
  const store = createInMemoryStore()
  let down = false
  const ping = store.ping.bind(store)
  store.ping = async () => {
    if (down) throw new AppError('backend_unavailable', 'store unreachable')
    return ping()
  }
  const { server } = await buildTestApp(t, {}, { store })
  t.equal((await call(server, 'GET', '/readyz')).status, 200)
  down = true
  const res = await call(server, 'GET', '/readyz')
  assertProblem(t, res, 503, 'backend_unavailable')
  t.equal((await call(server, 'GET', '/healthz')).status, 200, 'liveness does not depend on the store')
  const metrics = await call(server, 'GET', '/metrics')
  t.match(metrics.body, /^mcp_memory_backend_up\{backend="memory"\} 0$/m, 'backend_up drops to 0')
})

t.test('/metrics: route templates (never raw ids), operation timings, entry gauges', async (t) => {
  const { server } = await buildTestApp(t)
  const a = await create(server, { content: 'metric one' })
  const b = await create(server, { content: 'metric two', type: 'episode' })
  await create(server, { content: 'other tool' }, { 'x-memory-tool': 'tool-b' })
  await call(server, 'GET', `/v2/memories/${a.id}`)
  await call(server, 'GET', `/v2/memories/${b.id}`)
  await call(server, 'PUT', '/v2/memories/by-key/secret-key-name', { body: { content: 'k' } })
  await call(server, 'GET', `/v2/memories/by-hash/${a.contentHash}`)
  await call(server, 'GET', '/no/such/route/with-a-secret-looking-path')

  const res = await call(server, 'GET', '/metrics')
  t.equal(res.status, 200)
  t.match(String(res.headers['content-type']), /^text\/plain/)
  const text = res.body
  t.match(text, /^# TYPE mcp_memory_http_request_duration_seconds histogram$/m)
  t.match(text, /mcp_memory_http_request_duration_seconds_count\{method="GET",route="\/v2\/memories\/:id",status_code="200"\} 2/)
  t.match(text, /mcp_memory_http_request_duration_seconds_count\{method="POST",route="\/v2\/memories",status_code="201"\} 3/)
  t.match(text, /route="\/v2\/memories\/by-key\/:key"/)
  t.match(text, /route="\/v2\/memories\/by-hash\/:contentHash"/)
  t.match(text, /route="unmatched",status_code="404"/, 'unknown routes share one label')
  for (const raw of [a.id, b.id, 'secret-key-name', a.contentHash.slice(7), 'with-a-secret-looking-path']) {
    t.notOk(text.includes(raw), `no raw value ${raw.slice(0, 12)}… in the metrics`)
  }
  t.match(text, /^# TYPE mcp_memory_operation_duration_seconds histogram$/m)
  t.match(text, /mcp_memory_operation_duration_seconds_count\{op="create",backend="memory"\} 3/)
  t.match(text, /mcp_memory_operation_duration_seconds_count\{op="get",backend="memory"\} 2/)
  t.match(text, /^mcp_memory_entries\{tool="default",type="fact"\} 2$/m, 'entries gauge (fact + by-key entry)')
  t.match(text, /^mcp_memory_entries\{tool="default",type="episode"\} 1$/m)
  t.match(text, /^mcp_memory_entries\{tool="tool-b",type="fact"\} 1$/m)
  t.match(text, /^mcp_memory_tokens\{tool="default"\} \d+$/m)
  t.match(text, /^mcp_memory_process_cpu_user_seconds_total /m, 'default process metrics')
  t.notMatch(text, /route="\/metrics"/, 'scrapes are not counted')
})

t.test('/metrics counts batch operations by result', async (t) => {
  const { server } = await buildTestApp(t)
  await call(server, 'POST', '/v2/memories/batch', {
    body: { operations: [{ op: 'create', body: { content: 'x' } }, { op: 'get', id: '01890a5d-ac96-774b-bcce-b302099a8057' }] },
  })
  const text = (await call(server, 'GET', '/metrics')).body
  t.match(text, /^mcp_memory_batch_operations_total\{result="ok"\} 1$/m)
  t.match(text, /^mcp_memory_batch_operations_total\{result="error"\} 1$/m)
})

t.test('/docs serves Swagger UI and /docs/json an OpenAPI 3 document of the /v2 API', async (t) => {
  const { server } = await buildTestApp(t)
  const ui = await server.inject({ method: 'GET', url: '/docs' })
  t.ok(ui.statusCode === 200 || (ui.statusCode >= 300 && ui.statusCode < 400), `/docs answers (${ui.statusCode})`)
  const page = ui.statusCode === 200 ? ui : await server.inject({ method: 'GET', url: String(ui.headers.location) })
  t.equal(page.statusCode, 200)
  t.match(String(page.headers['content-type']), /text\/html/)
  t.match(page.body, /swagger/i)
  const res = await call(server, 'GET', '/docs/json')
  t.equal(res.status, 200)
  const doc = res.json
  t.match(doc.openapi, /^3\./)
  t.match(doc.info, { title: 'mcp-memory' })
  const paths = Object.keys(doc.paths)
  for (const p of ['/v2/memories', '/v2/memories/{id}', '/v2/memories/by-key/{key}', '/v2/memories/by-hash/{contentHash}',
    '/v2/memories/batch', '/v2/search', '/v2/stats']) {
    t.ok(paths.includes(p), `documents ${p}`)
  }
  t.same(Object.keys(doc.paths['/v2/memories/{id}']).sort(), ['delete', 'get', 'patch', 'put'])
  t.same(Object.keys(doc.paths['/v2/memories/by-key/{key}']).sort(), ['delete', 'get', 'put'])
  t.ok(doc.paths['/v2/memories'].post.requestBody, 'request bodies are documented')
  t.ok(doc.paths['/v2/memories'].post.responses['201'], '201 documented')
  t.notOk(paths.includes('/metrics'), '/metrics is hidden')
})

t.test('unknown routes are 404 route_not_found problems', async (t) => {
  const { server } = await buildTestApp(t)
  for (const [method, url] of [['GET', '/nope'], ['POST', '/v2'], ['GET', '/v2/memories/a/b'], ['DELETE', '/v2/stats'], ['GET', '/v1x/graph?q=1']]) {
    const res = await call(server, method!, url!)
    assertProblem(t, res, 404, 'route_not_found', `${method} ${url}`)
    t.equal(res.json.instance, url!.split('?')[0], 'instance is the path without the query')
  }
})

t.test('request ids: a sane X-Request-Id is echoed, anything else replaced', async (t) => {
  const { server } = await buildTestApp(t)
  const given = await call(server, 'GET', '/healthz', { headers: { 'x-request-id': 'abc-123.req:1' } })
  t.equal(given.headers['x-request-id'], 'abc-123.req:1')
  const hostile = await call(server, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id <script>' } })
  t.match(String(hostile.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'replaced by a UUID')
  const none = await call(server, 'GET', '/v2/memories/not-a-uuid')
  t.match(String(none.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'errors carry a request id too')
})
