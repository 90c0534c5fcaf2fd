/** GET|PUT|DELETE /v2/memories/by-key/:key and POST /v2/memories/batch. */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { MISSING_ID, PROBLEM_TYPE, assertProblem, call, create, listAll } from './helpers/http.js'

const byKey = (key: string) => `/v2/memories/by-key/${encodeURIComponent(key)}`
/** By-key ETags name the entry and its version, since the key can move to another entry. */
const tagOf = (entry: { id: string; version: number }) => `"${entry.id}.${entry.version}"`

t.test('PUT by key creates (201) then replaces (200) keeping the id', async (t) => {
  const { server } = await buildTestApp(t)
  const first = await call(server, 'PUT', byKey('profile'), { body: { content: 'v1', tags: ['a'] } })
  t.equal(first.status, 201)
  t.equal(first.headers.etag, tagOf(first.json))
  t.equal(first.headers.location, `/v2/memories/${first.json.id}`)
  t.match(first.json, { key: 'profile', content: 'v1', version: 1 })
  const second = await call(server, 'PUT', byKey('profile'), { body: { content: 'v2' } })
  t.equal(second.status, 200)
  t.equal(second.headers.etag, `"${first.json.id}.2"`)
  t.equal(second.headers.location, undefined, 'no Location on replace')
  t.match(second.json, { id: first.json.id, key: 'profile', content: 'v2', version: 2, createdAt: first.json.createdAt })
  t.same(second.json.tags, [], 'a full replace')
  const got = await call(server, 'GET', byKey('profile'))
  t.equal(got.status, 200)
  t.equal(got.headers.etag, `"${first.json.id}.2"`)
  t.same(got.json, second.json)
  t.equal((await listAll(server)).length, 1)
  assertProblem(t, await call(server, 'PUT', byKey('profile'), { body: { content: 'x', key: 'other' } }), 400, 'validation_failed', 'key in body')
})

t.test('PUT by key preconditions: If-None-Match *, If-Match', async (t) => {
  const { server } = await buildTestApp(t)
  const created = await call(server, 'PUT', byKey('k'), { body: { content: 'v1' }, headers: { 'if-none-match': '*' } })
  t.equal(created.status, 201, 'If-None-Match: * creates when absent')
  const again = await call(server, 'PUT', byKey('k'), { body: { content: 'v2' }, headers: { 'if-none-match': '*' } })
  assertProblem(t, again, 412, 'version_conflict', 'If-None-Match: * on existing')
  const stale = await call(server, 'PUT', byKey('k'), { body: { content: 'v2' }, headers: { 'if-match': `"${created.json.id}.3"` } })
  assertProblem(t, stale, 412, 'version_conflict', 'stale If-Match')
  t.equal(stale.json.currentVersion, 1)
  const bare = await call(server, 'PUT', byKey('k'), { body: { content: 'v2' }, headers: { 'if-match': '"1"' } })
  assertProblem(t, bare, 412, 'version_conflict', 'a bare version tag does not identify the entry on by-key routes')
  const ok = await call(server, 'PUT', byKey('k'), { body: { content: 'v2' }, headers: { 'if-match': tagOf(created.json) } })
  t.equal(ok.status, 200)
  t.equal(ok.json.version, 2)
  const star = await call(server, 'PUT', byKey('k'), { body: { content: 'v3' }, headers: { 'if-match': '*' } })
  t.equal(star.status, 200, 'If-Match: * on existing')
  assertProblem(t, await call(server, 'PUT', byKey('absent'), { body: { content: 'x' }, headers: { 'if-match': '*' } }), 412, 'version_conflict', '* on absent')
  assertProblem(t, await call(server, 'PUT', byKey('absent'), { body: { content: 'x' }, headers: { 'if-match': '"1"' } }), 412, 'version_conflict', 'version on absent')
  const final = await call(server, 'GET', byKey('k'))
  t.match(final.json, { content: 'v3', version: 3 })
  assertProblem(t, await call(server, 'GET', byKey('absent')), 404, 'not_found', 'failed preconditions created nothing')
})

t.test('DELETE by key: 204 then 404; If-Match stale → 412', async (t) => {
  const { server } = await buildTestApp(t)
  const put = await call(server, 'PUT', byKey('gone'), { body: { content: 'x' } })
  const stale = await call(server, 'DELETE', byKey('gone'), { headers: { 'if-match': `"${put.json.id}.2"` } })
  assertProblem(t, stale, 412, 'version_conflict', 'stale')
  t.equal((await call(server, 'GET', byKey('gone'))).status, 200)
  const del = await call(server, 'DELETE', byKey('gone'), { headers: { 'if-match': tagOf(put.json) } })
  t.equal(del.status, 204)
  t.equal(del.body, '')
  assertProblem(t, await call(server, 'GET', byKey('gone')), 404, 'not_found', 'GET after delete')
  assertProblem(t, await call(server, 'DELETE', byKey('gone')), 404, 'not_found', 'DELETE again')
  const recreated = await call(server, 'PUT', byKey('gone'), { body: { content: 'back' } })
  t.equal(recreated.status, 201, 'the key is free again')
})

t.test('a by-key ETag never matches a re-created entry under the same key (no lost update)', async (t) => {
  const { server } = await buildTestApp(t)
  const seenByA = await call(server, 'PUT', byKey('k1'), { body: { content: 'A saw this' } })
  t.equal((await call(server, 'DELETE', byKey('k1'))).status, 204)
  const recreatedByB = await call(server, 'PUT', byKey('k1'), { body: { content: 'B wrote this' } })
  t.equal(recreatedByB.json.version, 1, 'same version number as the entry A saw')
  const late = await call(server, 'PUT', byKey('k1'), { body: { content: 'A overwrites' }, headers: { 'if-match': seenByA.headers.etag as string } })
  assertProblem(t, late, 412, 'version_conflict', 'A\'s tag names the deleted entry')
  const lateDelete = await call(server, 'DELETE', byKey('k1'), { headers: { 'if-match': seenByA.headers.etag as string } })
  assertProblem(t, lateDelete, 412, 'version_conflict', 'delete with the old tag')
  t.equal((await call(server, 'GET', byKey('k1'))).json.content, 'B wrote this')
})

t.test('keys with spaces, unicode and slashes work URL-encoded', async (t) => {
  const { server } = await buildTestApp(t)
  const keys = ['with space', 'a/b/c', 'ключ 🔑', 'x?y#z&w=1', '%41 not decoded twice', 'مفتاح', '.hidden', 'a..b', 'k'.repeat(256)]
  for (const key of keys) {
    const put = await call(server, 'PUT', byKey(key), { body: { content: `value of ${key}` } })
    t.equal(put.status, 201, `PUT ${key.slice(0, 20)}`)
    t.equal(put.json.key, key)
    const got = await call(server, 'GET', byKey(key))
    t.equal(got.status, 200)
    t.equal(got.json.key, key, 'key round-trips exactly')
    t.equal(got.json.content, `value of ${key}`)
    const listed = await call(server, 'GET', `/v2/memories?key=${encodeURIComponent(key)}`)
    t.same(listed.json.items.map((e: any) => e.id), [put.json.id], 'list by key')
  }
  t.equal((await listAll(server)).length, keys.length, 'all distinct')
  assertProblem(t, await call(server, 'PUT', byKey('k'.repeat(257)), { body: { content: 'x' } }), 400, 'validation_failed', 'key too long')
  t.equal((await call(server, 'DELETE', byKey('a/b/c'))).status, 204)
  assertProblem(t, await call(server, 'GET', byKey('a/b/c')), 404, 'not_found')
})

t.test('batch: mixed operations with per-operation statuses and problems', async (t) => {
  const { server } = await buildTestApp(t)
  const existing = await create(server, { content: 'existing', key: 'e' })
  const victim = await create(server, { content: 'to delete' })
  const res = await call(server, 'POST', '/v2/memories/batch', {
    body: {
      operations: [
        { op: 'create', body: { content: 'batch new' } },
        { op: 'create', body: { content: 'existing', key: 'e2' } },
        { op: 'create', body: { content: 'to delete' } },
        { op: 'get', id: existing.id },
        { op: 'get', id: MISSING_ID },
        { op: 'replace', id: existing.id, body: { content: 'replaced', key: 'e' }, ifMatch: '"7"' },
        { op: 'patch', id: existing.id, patch: { importance: 0.9 }, ifMatch: '"1"' },
        { op: 'delete', id: victim.id },
        { op: 'delete', id: victim.id },
        { op: 'create', body: { content: 'dup key', key: 'e' } },
        { op: 'replace', id: existing.id, body: { content: 'replaced', key: 'e' } },
      ],
    },
  })
  t.equal(res.status, 200)
  const r = res.json.results
  t.same(r.map((x: any) => x.status), [201, 201, 200, 200, 404, 412, 200, 204, 404, 409, 200])
  t.equal(r[0].entry.content, 'batch new')
  t.equal(r[2].deduplicated, true, 'dedupe is reported')
  t.equal(r[2].entry.id, victim.id)
  t.equal(r[3].entry.id, existing.id)
  for (const [i, code] of [[4, 'not_found'], [5, 'version_conflict'], [8, 'not_found'], [9, 'key_conflict']] as const) {
    t.equal(r[i].problem.type, PROBLEM_TYPE + code, `op ${i} problem ${code}`)
    t.equal(r[i].problem.status, r[i].status)
    t.equal(r[i].entry, undefined)
  }
  t.equal(r[5].problem.currentVersion, 1)
  t.equal(r[6].entry.importance, 0.9)
  t.equal(r[6].entry.version, 2)
  t.equal(r[7].entry, undefined, 'delete has no entry')
  t.match(r[10].entry, { content: 'replaced', version: 3 })

  const all = await listAll(server)
  t.same(all.map((e) => e.content).sort(), ['batch new', 'existing', 'replaced'].sort(), 'the store reflects the batch')
})

t.test('batch request validation: size limits and unknown operations are 400 for the whole batch', async (t) => {
  const { server } = await buildTestApp(t)
  const hundred = Array.from({ length: 100 }, (_, i) => ({ op: 'create', body: { content: `n${i}` } }))
  const ok = await call(server, 'POST', '/v2/memories/batch', { body: { operations: hundred } })
  t.equal(ok.status, 200, '100 operations are allowed')
  t.equal(ok.json.results.length, 100)
  const before = await listAll(server)
  const cases: [string, unknown][] = [
    ['101 operations', { operations: [...hundred, { op: 'get', id: MISSING_ID }] }],
    ['no operations', { operations: [] }],
    ['unknown op', { operations: [{ op: 'frobnicate', id: MISSING_ID }] }],
    ['missing op', { operations: [{ id: MISSING_ID }] }],
    ['bad body in one op', { operations: [{ op: 'create', body: { content: 'fine' } }, { op: 'create', body: { content: 'x', importance: 2 } }] }],
    ['bad id', { operations: [{ op: 'get', id: 'nope' }] }],
    ['extra field in op', { operations: [{ op: 'get', id: MISSING_ID, extra: true }] }],
    ['extra top-level field', { operations: [{ op: 'get', id: MISSING_ID }], atomic: true }],
    ['operations not array', { operations: { op: 'get' } }],
  ]
  for (const [label, body] of cases) {
    assertProblem(t, await call(server, 'POST', '/v2/memories/batch', { body }), 400, 'validation_failed', label)
  }
  t.same(await listAll(server), before, 'rejected batches ran no operation')
})
