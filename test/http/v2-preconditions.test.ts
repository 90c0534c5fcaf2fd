/** If-Match lists and weak tags, batch preconditions, id normalisation, no-op patches, nesting limits. */
import t from 'tap'
import { MAX_JSON_DEPTH } from '../../src/domain/memory/memory-input.js'
import { buildTestApp } from '../helpers/build-app.js'
import { assertProblem, call, listAll } from './helpers/http.js'

t.test('If-Match lists match any strong tag; weak tags never match a write', async (t) => {
  const { server } = await buildTestApp(t)
  const made = await call(server, 'POST', '/v2/memories', { body: { content: 'v1' } })
  const url = `/v2/memories/${made.json.id}`
  await call(server, 'PUT', url, { body: { content: 'v2' } })
  await call(server, 'PUT', url, { body: { content: 'v3' } })
  const listed = await call(server, 'PUT', url, { body: { content: 'v4' }, headers: { 'if-match': '"999", "3"' } })
  t.equal(listed.status, 200, 'the second tag of the list matches')
  t.equal(listed.json.version, 4)
  const weak = await call(server, 'PUT', url, { body: { content: 'v5' }, headers: { 'if-match': 'W/"4"' } })
  assertProblem(t, weak, 412, 'version_conflict', 'weak tag')
  const otherId = await call(server, 'PUT', url, { body: { content: 'v5' }, headers: { 'if-match': '"00000000-0000-7000-8000-000000000000.4"' } })
  assertProblem(t, otherId, 412, 'version_conflict', 'an identity tag of another entry')
  const ownId = await call(server, 'PATCH', url, { body: { importance: 1 }, headers: { 'if-match': `"${made.json.id}.4"` } })
  t.equal(ownId.status, 200, 'the identity form of the right entry matches on id routes too')
  const notModified = await call(server, 'GET', url, { headers: { 'if-none-match': 'W/"5"' } })
  t.equal(notModified.status, 304, 'If-None-Match compares weakly')
})

t.test('batch: ifMatch "*" on a missing entry is 412, as on the single routes', async (t) => {
  const { server } = await buildTestApp(t)
  const missing = '01890a5d-ac96-774b-bcce-b302099a8057'
  const res = await call(server, 'POST', '/v2/memories/batch', {
    body: { operations: [
      { op: 'replace', id: missing, body: { content: 'x' }, ifMatch: '*' },
      { op: 'patch', id: missing, patch: { importance: 1 }, ifMatch: '*' },
      { op: 'delete', id: missing, ifMatch: '*' },
      { op: 'delete', id: missing },
    ] },
  })
  t.same(res.json.results.map((r: { status: number }) => r.status), [412, 412, 412, 404])
})

t.test('ids are case-insensitive: an uppercase UUID reads the entry', async (t) => {
  const { server } = await buildTestApp(t)
  const made = await call(server, 'POST', '/v2/memories', { body: { content: 'case' } })
  const got = await call(server, 'GET', `/v2/memories/${String(made.json.id).toUpperCase()}`)
  t.equal(got.status, 200)
  t.equal(got.json.id, made.json.id)
})

t.test('a patch that changes nothing keeps the version; ttlSeconds: null does not clear expiry', async (t) => {
  const { server } = await buildTestApp(t)
  const made = await call(server, 'POST', '/v2/memories', { body: { content: 'keep', ttlSeconds: 3600, tags: ['a'] } })
  const url = `/v2/memories/${made.json.id}`
  const empty = await call(server, 'PATCH', url, { body: {} })
  t.equal(empty.status, 200)
  t.equal(empty.json.version, 1, 'no new version for {}')
  t.equal(empty.headers.etag, '"1"')
  const same = await call(server, 'PATCH', url, { body: { tags: ['a'], content: 'keep' } })
  t.equal(same.json.version, 1, 'no new version when every value is already so')
  const nullTtl = await call(server, 'PATCH', url, { body: { ttlSeconds: null, importance: 0.7 } })
  t.equal(nullTtl.status, 200)
  t.equal(nullTtl.json.expiresAt, made.json.expiresAt, 'expiry kept')
  t.equal(nullTtl.json.version, 2)
})

t.test('metadata and patches nested deeper than the limit are 400 and store nothing', async (t) => {
  const { server } = await buildTestApp(t)
  const nest = (depth: number): unknown => {
    let v: unknown = 'leaf'
    for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v]
    return v
  }
  const okDepth = await call(server, 'POST', '/v2/memories', { body: { content: 'ok', metadata: { a: nest(MAX_JSON_DEPTH - 2) } } })
  t.equal(okDepth.status, 201, 'within the limit')
  for (const depth of [MAX_JSON_DEPTH + 1, 5000, 100_000]) {
    const body = `{"content":"deep ${depth}","metadata":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`
    assertProblem(t, await call(server, 'POST', '/v2/memories', { body }), 400, 'validation_failed', `metadata depth ${depth}`)
    const patch = `{"metadata":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`
    assertProblem(t, await call(server, 'PATCH', `/v2/memories/${okDepth.json.id}`, { body: patch }), 400, 'validation_failed', `patch depth ${depth}`)
  }
  t.equal((await listAll(server)).length, 1, 'nothing else stored')
  t.equal((await call(server, 'GET', `/v2/memories/${okDepth.json.id}`)).json.version, 1, 'and nothing changed')
})

t.test('/metrics needs the admin key or a metrics-scoped key once API keys are configured', async (t) => {
  const admin = 'admin-key-0123456789abcdef'
  const { server } = await buildTestApp(t, {
    MEMORY_API_KEYS: 'tool-a=aaaaaaaaaaaaaaaa1,prom=pppppppppppppppp1:metrics',
    MEMORY_ADMIN_KEY: admin,
  })
  assertProblem(t, await call(server, 'GET', '/metrics'), 401, 'unauthorized', 'no key')
  assertProblem(t, await call(server, 'GET', '/metrics', { headers: { authorization: 'Bearer aaaaaaaaaaaaaaaa1' } }), 401, 'unauthorized', 'a plain tool key')
  t.equal((await call(server, 'GET', '/metrics', { headers: { authorization: `Bearer ${admin}` } })).status, 200, 'admin key')
  t.equal((await call(server, 'GET', '/metrics', { headers: { authorization: 'Bearer pppppppppppppppp1' } })).status, 200, 'metrics scope')
})
