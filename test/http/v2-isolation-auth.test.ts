/** Tool isolation (local mode and API keys), scopes, and that keys never leak into responses. */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { type Res, as, assertProblem, bearer, call, create, listAll } from './helpers/http.js'

const MERGE = 'application/merge-patch+json'
const KEY_A = 'aaaaaaaaaaaaaaaa1'
const KEY_B = 'bbbbbbbbbbbbbbbb2'
const KEY_C = 'cccccccccccccccc3'
const KEYS = `tool-a=${KEY_A},tool-b=${KEY_B}:read,tool-c=${KEY_C}:read+write+read:tool-a`

t.test('local mode: X-Memory-Tool selects the tool, default is "default", bad values are 400', async (t) => {
  const { server } = await buildTestApp(t)
  t.equal((await create(server, { content: 'mine' })).tool, 'default')
  t.equal((await create(server, { content: 'mine' }, as('tool-a'))).tool, 'tool-a')
  t.equal((await create(server, { content: 'mine' }, as('Tool_A.v2'))).tool, 'Tool_A.v2')
  for (const bad of ['bad tool', '-leading', 'x'.repeat(65), 'a/b', 'ünï', '']) {
    const res = await call(server, 'GET', '/v2/memories', { headers: as(bad) })
    assertProblem(t, res, 400, 'validation_failed', JSON.stringify(bad).slice(0, 20))
  }
  const post = await call(server, 'POST', '/v2/memories', { body: { content: 'x' }, headers: as('no way') })
  assertProblem(t, post, 400, 'validation_failed', 'on a write')
  t.equal((await listAll(server)).length, 1, 'each tool sees only its own')
})

t.test('another tool gets 404 (not 403) for a private entry and cannot change it', async (t) => {
  const { server } = await buildTestApp(t)
  const A = as('tool-a')
  const B = as('tool-b')
  const e = await create(server, { content: 'a secret of A', key: 'secret', tags: ['s'] }, A)
  const url = `/v2/memories/${e.id}`
  assertProblem(t, await call(server, 'GET', url, { headers: B }), 404, 'not_found', 'GET by id')
  assertProblem(t, await call(server, 'GET', '/v2/memories/by-key/secret', { headers: B }), 404, 'not_found', 'GET by key')
  const byHash = await call(server, 'GET', `/v2/memories/by-hash/${e.contentHash}`, { headers: B })
  t.equal(byHash.status, 200, 'by-hash lists the caller\'s own entries only')
  t.same(byHash.json.items, [], 'A\'s entry is not among them')
  assertProblem(t, await call(server, 'PUT', url, { body: { content: 'hijack' }, headers: B }), 404, 'not_found', 'PUT')
  // Under If-Match an absent entry is a failed precondition; for B, A's entry is absent — the
  // answer must be exactly the one for an id that exists nowhere.
  const conditional = await call(server, 'PUT', url, { body: { content: 'hijack' }, headers: { ...B, 'if-match': '"1"' } })
  assertProblem(t, conditional, 412, 'version_conflict', 'PUT If-Match: as if absent')
  t.equal(conditional.json.currentVersion, null, 'no version of A\'s entry leaks')
  const nowhere = await call(server, 'PUT', `/v2/memories/01890a5d-ac96-774b-bcce-b302099a8057`, { body: { content: 'hijack' }, headers: { ...B, 'if-match': '"1"' } })
  t.same({ ...conditional.json, instance: null }, { ...nowhere.json, instance: null }, 'same body as for an id that does not exist')
  assertProblem(t, await call(server, 'PATCH', url, { contentType: MERGE, body: { content: 'hijack' }, headers: B }), 404, 'not_found', 'PATCH')
  assertProblem(t, await call(server, 'DELETE', url, { headers: B }), 404, 'not_found', 'DELETE')
  assertProblem(t, await call(server, 'DELETE', '/v2/memories/by-key/secret', { headers: B }), 404, 'not_found', 'DELETE by key')
  const batch = await call(server, 'POST', '/v2/memories/batch', {
    headers: B, body: { operations: [{ op: 'get', id: e.id }, { op: 'delete', id: e.id }, { op: 'patch', id: e.id, patch: { content: 'x' } }] },
  })
  t.same(batch.json.results.map((r: any) => r.status), [404, 404, 404], 'batch ops too')
  t.same(await listAll(server, B), [], 'not listed')
  t.same((await call(server, 'POST', '/v2/search', { headers: B, body: { query: 'secret' } })).json.items, [], 'not found by search')
  t.same((await call(server, 'GET', '/v2/memories?tool=tool-a', { headers: B })).json.items, [], 'not listed with tool=tool-a')

  const ownKey = await call(server, 'PUT', '/v2/memories/by-key/secret', { body: { content: 'B\'s own' }, headers: B })
  t.equal(ownKey.status, 201, 'keys are per tool: B creates its own entry')
  t.not(ownKey.json.id, e.id)
  const dupe = await call(server, 'POST', '/v2/memories', { body: { content: 'a secret of A' }, headers: B })
  t.equal(dupe.status, 201, 'dedupe is per tool')
  const after = await call(server, 'GET', url, { headers: A })
  t.same(after.json, e, 'A\'s entry is untouched')
})

t.test('a shared entry is readable by every tool but writable only by its owner', async (t) => {
  const { server } = await buildTestApp(t)
  const A = as('tool-a')
  const B = as('tool-b')
  const e = await create(server, { content: 'public knowledge', visibility: 'shared', key: 'pub' }, A)
  const url = `/v2/memories/${e.id}`
  const got = await call(server, 'GET', url, { headers: B })
  t.equal(got.status, 200)
  t.same(got.json, e)
  t.same((await listAll(server, B)).map((x) => x.id), [e.id], 'listed for B')
  t.same((await listAll(server, B, 'tool=tool-a')).map((x) => x.id), [e.id])
  const hits = await call(server, 'POST', '/v2/search', { headers: B, body: { query: 'knowledge' } })
  t.same(hits.json.items.map((h: any) => h.entry.id), [e.id], 'found by search')
  assertProblem(t, await call(server, 'GET', '/v2/memories/by-key/pub', { headers: B }), 404, 'not_found', 'keys are per tool')
  assertProblem(t, await call(server, 'PUT', url, { body: { content: 'edit' }, headers: B }), 404, 'not_found', 'PUT')
  assertProblem(t, await call(server, 'PATCH', url, { contentType: MERGE, body: { visibility: 'private' }, headers: B }), 404, 'not_found', 'PATCH')
  assertProblem(t, await call(server, 'DELETE', url, { headers: B }), 404, 'not_found', 'DELETE')
  t.same((await call(server, 'GET', url, { headers: A })).json, e, 'unchanged')
  t.equal((await call(server, 'GET', '/v2/stats', { headers: B })).json.entries, 0, 'stats count own tools only')
  const priv = await call(server, 'PATCH', url, { contentType: MERGE, body: { visibility: 'private' }, headers: A })
  t.equal(priv.status, 200, 'the owner can make it private')
  assertProblem(t, await call(server, 'GET', url, { headers: B }), 404, 'not_found', 'then B no longer sees it')
})

t.test('API keys: 401 without or with a wrong key, 403 on writes for read-only keys', async (t) => {
  const { server } = await buildTestApp(t, { MEMORY_API_KEYS: KEYS })
  const responses: Res[] = []
  const req = async (method: string, url: string, init: Parameters<typeof call>[3] = {}) => {
    const res = await call(server, method, url, init)
    responses.push(res)
    return res
  }
  for (const headers of [{}, bearer('zzzzzzzzzzzzzzzzWRONG'), { authorization: KEY_A }, { authorization: `Basic ${KEY_A}` }, bearer(`${KEY_A}x`), bearer(KEY_A.slice(0, -1))]) {
    const res = await req('GET', '/v2/memories', { headers })
    assertProblem(t, res, 401, 'unauthorized', JSON.stringify(headers).slice(0, 40))
  }
  assertProblem(t, await req('POST', '/v2/memories', { body: { content: 'x' } }), 401, 'unauthorized', 'POST without a key')
  assertProblem(t, await req('POST', '/v2/memories', { body: '{not json', headers: bearer('zzzzzzzzzzzzzzzzWRONG') }), 401, 'unauthorized', 'auth before body parsing')
  const lower = await req('POST', '/v2/memories', { body: { content: 'from A' }, headers: { authorization: `bearer ${KEY_A}` } })
  t.equal(lower.status, 201, 'the scheme is case-insensitive')
  t.equal(lower.json.tool, 'tool-a')
  const spoof = await req('POST', '/v2/memories', { body: { content: 'spoof' }, headers: { ...bearer(KEY_A), 'x-memory-tool': 'tool-b' } })
  t.equal(spoof.json.tool, 'tool-a', 'X-Memory-Tool is ignored when keys are configured')

  const B = bearer(KEY_B)
  const id = lower.json.id
  const writes: [string, string, Parameters<typeof call>[3]][] = [
    ['POST', '/v2/memories', { body: { content: 'no' } }],
    ['PUT', `/v2/memories/${id}`, { body: { content: 'no' } }],
    ['PATCH', `/v2/memories/${id}`, { body: { content: 'no' }, contentType: MERGE }],
    ['DELETE', `/v2/memories/${id}`, {}],
    ['PUT', '/v2/memories/by-key/k', { body: { content: 'no' } }],
    ['DELETE', '/v2/memories/by-key/k', {}],
  ]
  for (const [method, url, init] of writes) {
    assertProblem(t, await req(method, url, { ...init, headers: B }), 403, 'forbidden', `${method} ${url}`)
  }
  const batch = await req('POST', '/v2/memories/batch', { headers: B, body: { operations: [{ op: 'create', body: { content: 'no' } }] } })
  t.equal(batch.json.results[0].status, 403, 'batch write by a read-only key')
  t.equal((await req('GET', '/v2/memories', { headers: B })).status, 200, 'reads are allowed')
  t.equal((await req('POST', '/v2/search', { headers: B, body: { query: 'from' } })).status, 200)
  t.equal((await req('GET', '/v2/stats', { headers: B })).status, 200)
  t.same((await listAll(server, bearer(KEY_A))).map((e) => e.content).sort(), ['from A', 'spoof'])

  for (const res of responses) {
    const text = JSON.stringify(res.headers) + res.body
    for (const key of [KEY_A, KEY_B, KEY_C, 'zzzzzzzzzzzzzzzzWRONG']) t.notOk(text.includes(key), 'no key in the response')
  }
})

t.test('a read:<tool> scope grants reading that tool\'s private entries, not writing them', async (t) => {
  const { server } = await buildTestApp(t, { MEMORY_API_KEYS: KEYS })
  const A = bearer(KEY_A)
  const C = bearer(KEY_C)
  const e = await create(server, { content: 'A private note', key: 'note' }, A)
  const got = await call(server, 'GET', `/v2/memories/${e.id}`, { headers: C })
  t.equal(got.status, 200)
  t.same(got.json, e)
  t.same((await listAll(server, C, 'tool=tool-a')).map((x) => x.id), [e.id])
  t.same((await call(server, 'POST', '/v2/search', { headers: C, body: { query: 'private' } })).json.items.map((h: any) => h.entry.id), [e.id])
  t.same((await call(server, 'GET', '/v2/stats', { headers: C })).json.tools.map((s: any) => s.tool), ['tool-a'])
  assertProblem(t, await call(server, 'PUT', `/v2/memories/${e.id}`, { body: { content: 'x' }, headers: C }), 404, 'not_found', 'no write')
  assertProblem(t, await call(server, 'DELETE', `/v2/memories/${e.id}`, { headers: C }), 404, 'not_found', 'no delete')
  assertProblem(t, await call(server, 'GET', `/v2/memories/by-key/note`, { headers: C }), 404, 'not_found', 'by-key is the caller\'s own')

  const B = bearer(KEY_B)
  assertProblem(t, await call(server, 'GET', `/v2/memories/${e.id}`, { headers: B }), 404, 'not_found', 'tool-b has no grant')
  const own = await create(server, { content: 'C own' }, C)
  assertProblem(t, await call(server, 'GET', `/v2/memories/${own.id}`, { headers: A }), 404, 'not_found', 'grants are one-way')
})

t.test('401 responses carry a WWW-Authenticate challenge (RFC 9110 §11.6.1)', async (t) => {
  const { server } = await buildTestApp(t, { MEMORY_API_KEYS: KEYS })
  for (const headers of [{}, bearer('zzzzzzzzzzzzzzzzWRONG')]) {
    const res = await call(server, 'GET', '/v2/memories', { headers })
    t.equal(res.status, 401)
    t.match(String(res.headers['www-authenticate']), /^Bearer\b/, 'challenge names the Bearer scheme')
  }
})
