/** PUT, PATCH and DELETE /v2/memories/:id, with If-Match preconditions. */
import { createHash } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { MISSING_ID, assertProblem, call, create, listAll } from './helpers/http.js'

const MERGE = 'application/merge-patch+json'

t.test('PUT replaces every writable field; version +1; id and createdAt kept', async (t) => {
  let fakeNow = Date.parse('2031-01-01T00:00:00Z')
  const { server } = await buildTestApp(t, {}, { now: () => fakeNow })
  const e = await create(server, { content: 'v1', tags: ['a'], metadata: { m: 1 }, importance: 0.2, key: 'k' })
  fakeNow += 5_000
  const res = await call(server, 'PUT', `/v2/memories/${e.id}`, { body: { content: 'version two', type: 'summary' } })
  t.equal(res.status, 200)
  t.equal(res.headers.etag, '"2"')
  const r = res.json
  t.match(r, { id: e.id, tool: 'default', version: 2, content: 'version two', type: 'summary', key: null, importance: 0.5 })
  t.same(r.tags, [], 'omitted fields take their defaults (a full replace)')
  t.same(r.metadata, {})
  t.equal(r.createdAt, e.createdAt)
  t.equal(r.updatedAt, '2031-01-01T00:00:05.000Z')
  t.equal(r.contentHash, 'sha256:' + createHash('sha256').update('version two').digest('hex'), 'hash recomputed')
  t.same((await call(server, 'GET', `/v2/memories/${e.id}`)).json, r)
  t.equal((await listAll(server)).length, 1, 'no new entry')
})

t.test('PUT If-Match: match → 200, stale → 412 with currentVersion, * on missing → 412, garbage → 412', async (t) => {
  const { server } = await buildTestApp(t)
  const e = await create(server, { content: 'v1' })
  const url = `/v2/memories/${e.id}`
  const ok = await call(server, 'PUT', url, { body: { content: 'v2' }, headers: { 'if-match': '"1"' } })
  t.equal(ok.status, 200)
  t.equal(ok.json.version, 2)
  const stale = await call(server, 'PUT', url, { body: { content: 'v3?' }, headers: { 'if-match': '"1"' } })
  assertProblem(t, stale, 412, 'version_conflict', 'stale')
  t.equal(stale.json.currentVersion, 2)
  const weak = await call(server, 'PUT', url, { body: { content: 'v3' }, headers: { 'if-match': 'W/"2"' } })
  assertProblem(t, weak, 412, 'version_conflict', 'a weak ETag never matches If-Match (strong comparison)')
  const strong = await call(server, 'PUT', url, { body: { content: 'v3' }, headers: { 'if-match': '"2"' } })
  t.equal(strong.status, 200, 'the strong ETag of the current version matches')
  const star = await call(server, 'PUT', url, { body: { content: 'v4' }, headers: { 'if-match': '*' } })
  t.equal(star.status, 200, 'If-Match: * on an existing entry')
  t.equal(star.json.version, 4)
  const starMissing = await call(server, 'PUT', `/v2/memories/${MISSING_ID}`, { body: { content: 'x' }, headers: { 'if-match': '*' } })
  assertProblem(t, starMissing, 412, 'version_conflict', '* on missing')
  for (const garbage of ['abc', '4', '"x"', '""', '"-1"']) {
    const res = await call(server, 'PUT', url, { body: { content: 'never' }, headers: { 'if-match': garbage } })
    assertProblem(t, res, 412, 'version_conflict', `If-Match ${garbage}`)
  }
  const final = await call(server, 'GET', url)
  t.equal(final.json.version, 4)
  t.equal(final.json.content, 'v4', 'failed preconditions changed nothing')
  assertProblem(t, await call(server, 'PUT', `/v2/memories/${MISSING_ID}`, { body: { content: 'x' } }), 404, 'not_found', 'PUT unknown id')
  assertProblem(t, await call(server, 'PUT', '/v2/memories/nope', { body: { content: 'x' } }), 400, 'validation_failed', 'PUT bad id')
  t.same((await listAll(server)).map((x) => x.id), [e.id], 'PUT never creates')
})

t.test('PUT onto another entry\'s key is 409 key_conflict', async (t) => {
  const { server } = await buildTestApp(t)
  await create(server, { content: 'a', key: 'taken' })
  const b = await create(server, { content: 'b' })
  assertProblem(t, await call(server, 'PUT', `/v2/memories/${b.id}`, { body: { content: 'b', key: 'taken' } }), 409, 'key_conflict')
  t.equal((await call(server, 'GET', `/v2/memories/${b.id}`)).json.version, 1)
})

t.test('PATCH is a JSON merge patch with either content type', async (t) => {
  const { server } = await buildTestApp(t)
  const e = await create(server, {
    content: 'original', tags: ['a', 'b'], importance: 0.3, key: 'keep-me',
    metadata: { nested: { x: 1, y: 2, deep: { z: 3 } }, drop: true, keep: 'yes' },
  })
  const url = `/v2/memories/${e.id}`
  const res = await call(server, 'PATCH', url, {
    contentType: MERGE,
    body: { metadata: { nested: { y: null, w: 4, deep: { z2: 5 } }, drop: null }, tags: ['c'] },
  })
  t.equal(res.status, 200)
  t.equal(res.headers.etag, '"2"')
  t.same(res.json.metadata, { nested: { x: 1, w: 4, deep: { z: 3, z2: 5 } }, keep: 'yes' }, 'objects merge, null removes')
  t.same(res.json.tags, ['c'], 'arrays are replaced')
  t.match(res.json, { content: 'original', importance: 0.3, key: 'keep-me', version: 2 }, 'untouched fields kept')

  const json = await call(server, 'PATCH', url, { contentType: 'application/json', body: { content: 'changed text', key: null } })
  t.equal(json.status, 200, 'application/json is accepted too')
  t.match(json.json, { content: 'changed text', key: null, version: 3 })
  t.equal(json.json.contentHash, 'sha256:' + createHash('sha256').update('changed text').digest('hex'))
  t.equal(json.json.tokens, 2)

  const charset = await call(server, 'PATCH', url, { contentType: `${MERGE}; charset=utf-8`, body: { importance: 1 } })
  t.equal(charset.status, 200, 'a charset parameter is fine')
  t.equal(charset.json.importance, 1)
  const empty = await call(server, 'PATCH', url, { contentType: MERGE, body: {} })
  t.equal(empty.status, 200, 'an empty patch is accepted')
})

t.test('PATCH If-Match and invalid results change nothing', async (t) => {
  const fakeNow = Date.parse('2031-01-01T00:00:00Z')
  const { server } = await buildTestApp(t, {}, { now: () => fakeNow })
  const e = await create(server, { content: 'base', importance: 0.4 })
  const url = `/v2/memories/${e.id}`
  const stale = await call(server, 'PATCH', url, { contentType: MERGE, body: { importance: 0.6 }, headers: { 'if-match': '"9"' } })
  assertProblem(t, stale, 412, 'version_conflict', 'stale If-Match')
  t.equal(stale.json.currentVersion, 1)
  const ok = await call(server, 'PATCH', url, { contentType: MERGE, body: { importance: 0.6 }, headers: { 'if-match': '"1"' } })
  t.equal(ok.status, 200)
  t.equal(ok.json.version, 2)

  const before = (await call(server, 'GET', url)).json
  const invalid: [string, unknown][] = [
    ['importance 2', { importance: 2 }],
    ['content removed', { content: null }],
    ['type uppercase', { type: 'Fact' }],
    ['unknown field', { colour: 'red' }],
    ['server-owned field', { version: 10 }],
    ['tags not array', { tags: 'x' }],
    ['metadata not object', { metadata: [1] }],
  ]
  for (const [label, patch] of invalid) {
    assertProblem(t, await call(server, 'PATCH', url, { contentType: MERGE, body: patch }), 400, 'validation_failed', label)
  }
  assertProblem(t, await call(server, 'PATCH', url, { contentType: MERGE, body: [1, 2] }), 400, 'validation_failed', 'array patch')
  assertProblem(t, await call(server, 'PATCH', url, { contentType: MERGE, body: { contentType: 'application/json' } }), 422, 'invalid_content')
  t.same((await call(server, 'GET', url)).json, before, 'nothing changed')

  const ttl = await call(server, 'PATCH', url, { contentType: MERGE, body: { ttlSeconds: 60 } })
  t.equal(ttl.status, 200, 'ttlSeconds in a patch sets the expiry')
  t.equal(ttl.json.expiresAt, '2031-01-01T00:01:00.000Z')
  const noTtl = await call(server, 'PATCH', url, { contentType: MERGE, body: { expiresAt: null } })
  t.equal(noTtl.json.expiresAt, null, 'expiresAt: null removes the expiry')
  assertProblem(t, await call(server, 'PATCH', `/v2/memories/${MISSING_ID}`, { contentType: MERGE, body: {} }), 404, 'not_found')
  const star = await call(server, 'PATCH', url, { contentType: MERGE, body: { importance: 0.1 }, headers: { 'if-match': '*' } })
  t.equal(star.status, 200, 'If-Match: * on an existing entry')
  assertProblem(t, await call(server, 'PATCH', '/v2/memories/123', { contentType: MERGE, body: {} }), 400, 'validation_failed')
})

t.test('DELETE: 204 with no body, then 404; If-Match stale → 412; * on missing → 412', async (t) => {
  const { server } = await buildTestApp(t)
  const a = await create(server, { content: 'delete me' })
  const b = await create(server, { content: 'guarded' })
  const del = await call(server, 'DELETE', `/v2/memories/${a.id}`)
  t.equal(del.status, 204)
  t.equal(del.body, '')
  assertProblem(t, await call(server, 'GET', `/v2/memories/${a.id}`), 404, 'not_found', 'GET after delete')
  assertProblem(t, await call(server, 'DELETE', `/v2/memories/${a.id}`), 404, 'not_found', 'DELETE again')
  assertProblem(t, await call(server, 'DELETE', `/v2/memories/${a.id}`, { headers: { 'if-match': '*' } }), 412, 'version_conflict', '* on missing')

  const stale = await call(server, 'DELETE', `/v2/memories/${b.id}`, { headers: { 'if-match': '"2"' } })
  assertProblem(t, stale, 412, 'version_conflict', 'stale')
  t.equal(stale.json.currentVersion, 1)
  assertProblem(t, await call(server, 'DELETE', `/v2/memories/${b.id}`, { headers: { 'if-match': 'nonsense' } }), 412, 'version_conflict', 'garbage')
  t.equal((await call(server, 'GET', `/v2/memories/${b.id}`)).status, 200, 'still there')
  t.equal((await call(server, 'DELETE', `/v2/memories/${b.id}`, { headers: { 'if-match': '"1"' } })).status, 204)
  t.same(await listAll(server), [])
  assertProblem(t, await call(server, 'DELETE', '/v2/memories/not-an-id'), 400, 'validation_failed', 'bad id')

  const c = await create(server, { content: 'delete me', key: 'k' })
  t.equal(c.version, 1, 'content and key of deleted entries can be reused')
})

t.test('If-Match: * on a missing entry is 412 on every write route (as PUT /:id does)', async (t) => {
  const { server } = await buildTestApp(t)
  const star = { 'if-match': '*' }
  assertProblem(t, await call(server, 'PUT', `/v2/memories/${MISSING_ID}`, { body: { content: 'x' }, headers: star }), 412, 'version_conflict', 'PUT /:id')
  assertProblem(t, await call(server, 'DELETE', `/v2/memories/${MISSING_ID}`, { headers: star }), 412, 'version_conflict', 'DELETE /:id')
  assertProblem(t, await call(server, 'PUT', '/v2/memories/by-key/absent', { body: { content: 'x' }, headers: star }), 412, 'version_conflict', 'PUT /by-key')
  assertProblem(t, await call(server, 'PATCH', `/v2/memories/${MISSING_ID}`, { contentType: MERGE, body: { importance: 1 }, headers: star }), 412, 'version_conflict', 'PATCH /:id')
  assertProblem(t, await call(server, 'DELETE', '/v2/memories/by-key/absent', { headers: star }), 412, 'version_conflict', 'DELETE /by-key')
  t.same(await listAll(server), [])
})
