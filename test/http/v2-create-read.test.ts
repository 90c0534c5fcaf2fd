/** POST /v2/memories, GET /v2/memories/:id, GET /v2/memories/by-hash/:hash; derived fields and expiry. */
import { createHash } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { MISSING_ID, assertProblem, call, create, listAll } from './helpers/http.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const sha256 = (s: string) => 'sha256:' + createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex')

t.test('POST creates: 201, Location, ETag "1", server-owned fields and defaults', async (t) => {
  const { server } = await buildTestApp(t)
  const res = await call(server, 'POST', '/v2/memories', { body: { content: 'the sky is blue' } })
  t.equal(res.status, 201)
  t.match(String(res.headers['content-type']), /^application\/json/)
  const e = res.json
  t.match(e.id, UUID_V7, 'id is a UUIDv7')
  t.equal(res.headers.location, `/v2/memories/${e.id}`)
  t.equal(res.headers.etag, '"1"')
  t.equal(res.headers['memory-deduplicated'], undefined, 'no dedupe header on a new entry')
  t.match(e, {
    tool: 'default', type: 'fact', key: null, content: 'the sky is blue', contentType: 'text/plain', metadata: {},
    tags: [], importance: 0.5, visibility: 'private', version: 1, expiresAt: null, lastAccessedAt: null, accessCount: 0,
  })
  t.equal(e.createdAt, e.updatedAt)
  t.equal(new Date(e.createdAt).toISOString(), e.createdAt, 'RFC 3339 timestamp')

  const got = await call(server, 'GET', res.headers.location as string)
  t.equal(got.status, 200)
  t.equal(got.headers.etag, '"1"')
  t.same(got.json, e, 'GET returns what POST returned')
})

t.test('dedupe: identical keyless content+type is 200 with Memory-Deduplicated; other type or a key is new', async (t) => {
  const { server } = await buildTestApp(t)
  const first = await call(server, 'POST', '/v2/memories', { body: { content: 'same words', tags: ['x'] } })
  t.equal(first.status, 201)
  const again = await call(server, 'POST', '/v2/memories', { body: { content: 'same words', tags: ['y'] } })
  t.equal(again.status, 200)
  t.equal(again.headers['memory-deduplicated'], 'true')
  t.equal(again.json.id, first.json.id, 'the existing entry is returned')
  t.same(again.json.tags, ['x'], 'the existing entry is not modified')
  t.equal(again.headers.location, `/v2/memories/${first.json.id}`)
  t.equal(again.headers.etag, '"1"')

  const otherType = await call(server, 'POST', '/v2/memories', { body: { content: 'same words', type: 'episode' } })
  t.equal(otherType.status, 201, 'a different type is a new entry')
  t.not(otherType.json.id, first.json.id)
  const keyed = await call(server, 'POST', '/v2/memories', { body: { content: 'same words', key: 'k' } })
  t.equal(keyed.status, 201, 'a keyed entry is never deduplicated')
  t.equal((await listAll(server)).length, 3)
})

t.test('key conflict on create is 409 key_conflict and stores nothing', async (t) => {
  const { server } = await buildTestApp(t)
  const a = await create(server, { content: 'one', key: 'profile' })
  const res = await call(server, 'POST', '/v2/memories', { body: { content: 'two', key: 'profile' } })
  assertProblem(t, res, 409, 'key_conflict')
  const all = await listAll(server)
  t.same(all.map((e) => e.id), [a.id])
  t.equal(all[0].content, 'one')
})

t.test('GET by id: ETag, If-None-Match 304 with an empty body, 404 and 400 problems', async (t) => {
  const { server } = await buildTestApp(t)
  const e = await create(server, { content: 'cached thing' })
  const url = `/v2/memories/${e.id}`
  for (const inm of ['"1"', 'W/"1"', '"7", "1"', '*']) {
    const res = await call(server, 'GET', url, { headers: { 'if-none-match': inm } })
    t.equal(res.status, 304, `If-None-Match ${inm} → 304`)
    t.equal(res.body, '', 'empty body')
    t.equal(res.headers.etag, '"1"')
  }
  const miss = await call(server, 'GET', url, { headers: { 'if-none-match': '"2"' } })
  t.equal(miss.status, 200, 'non-matching If-None-Match → 200')
  t.equal(miss.json.id, e.id)

  const unknown = await call(server, 'GET', `/v2/memories/${MISSING_ID}`)
  assertProblem(t, unknown, 404, 'not_found')
  t.equal(unknown.json.instance, `/v2/memories/${MISSING_ID}`)
  t.type(unknown.json.title, 'string')
  t.type(unknown.json.detail, 'string')
  for (const bad of ['not-a-uuid', '12345', `${e.id}x`, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz']) {
    assertProblem(t, await call(server, 'GET', `/v2/memories/${bad}`), 400, 'validation_failed', bad)
  }
})

t.test('contentHash is sha256 of the UTF-8 content; tokens use o200k_base', async (t) => {
  const { server } = await buildTestApp(t)
  for (const content of ['hello world', 'héllo wörld 🌍', 'line\nbreak\ttab', 'שלום עולם', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢']) {
    const e = await create(server, { content })
    t.equal(e.contentHash, sha256(content), `hash of ${JSON.stringify(content)}`)
    t.match(e.contentHash, /^sha256:[0-9a-f]{64}$/)
    t.ok(e.tokens > 0, 'tokens > 0 for non-empty content')
    t.ok(Number.isInteger(e.tokens))
  }
  const hw = (await listAll(server)).find((e) => e.content === 'hello world')
  t.equal(hw.tokens, 2, '"hello world" is 2 tokens with o200k_base')
})

t.test('GET by-hash returns the caller\'s entries with that hash; malformed hashes are 400', async (t) => {
  const { server } = await buildTestApp(t)
  const a = await create(server, { content: 'hash me' })
  const b = await create(server, { content: 'hash me', type: 'episode' })
  await create(server, { content: 'something else' })
  const res = await call(server, 'GET', `/v2/memories/by-hash/${sha256('hash me')}`)
  t.equal(res.status, 200)
  t.same(res.json.items.map((e: any) => e.id).sort(), [a.id, b.id].sort())
  const none = await call(server, 'GET', `/v2/memories/by-hash/${sha256('never stored')}`)
  t.equal(none.status, 200)
  t.same(none.json.items, [])
  const good = sha256('hash me')
  for (const bad of ['abc', good.slice(7), good.toUpperCase(), good.replace('sha256:', 'md5:'), `${good}0`, 'sha256:' + 'g'.repeat(64)]) {
    assertProblem(t, await call(server, 'GET', `/v2/memories/by-hash/${encodeURIComponent(bad)}`), 400, 'validation_failed', bad)
  }
})

t.test('expiry: ttlSeconds sets expiresAt from the clock; expired entries are 404 and unlisted', async (t) => {
  let fakeNow = Date.parse('2031-03-04T05:06:07.000Z')
  const { server } = await buildTestApp(t, {}, { now: () => fakeNow })
  const e = await create(server, { content: 'short lived', key: 'tmp', ttlSeconds: 90 })
  t.equal(e.createdAt, '2031-03-04T05:06:07.000Z', 'timestamps come from the injected clock')
  t.equal(e.expiresAt, new Date(fakeNow + 90_000).toISOString(), 'expiresAt = now + ttl')
  const keeper = await create(server, { content: 'long lived', expiresAt: '2031-03-05T00:00:00Z' })
  t.equal(keeper.expiresAt, '2031-03-05T00:00:00.000Z')

  fakeNow += 89_000
  t.equal((await call(server, 'GET', `/v2/memories/${e.id}`)).status, 200, 'alive before expiry')
  fakeNow += 1_000
  assertProblem(t, await call(server, 'GET', `/v2/memories/${e.id}`), 404, 'not_found', 'at expiry')
  assertProblem(t, await call(server, 'GET', '/v2/memories/by-key/tmp'), 404, 'not_found', 'by key')
  t.same((await call(server, 'GET', `/v2/memories/by-hash/${e.contentHash}`)).json.items, [])
  t.same((await listAll(server)).map((x) => x.id), [keeper.id], 'only the live entry is listed')
  t.equal((await call(server, 'GET', '/v2/stats')).json.entries, 1)
  const recreated = await call(server, 'POST', '/v2/memories', { body: { content: 'short lived', key: 'tmp' } })
  t.equal(recreated.status, 201, 'an expired entry frees its key')
})

t.test('expiry input errors: past expiresAt, both expiresAt and ttlSeconds, bad ttl', async (t) => {
  const fakeNow = Date.parse('2031-03-04T05:06:07.000Z')
  const { server } = await buildTestApp(t, {}, { now: () => fakeNow })
  const past = await call(server, 'POST', '/v2/memories', { body: { content: 'x', expiresAt: '2031-03-04T05:06:06Z' } })
  assertProblem(t, past, 400, 'validation_failed', 'past expiresAt')
  t.same(past.json.errors.map((e: any) => e.pointer), ['/body/expiresAt'])
  const both = await call(server, 'POST', '/v2/memories', { body: { content: 'x', expiresAt: '2032-01-01T00:00:00Z', ttlSeconds: 60 } })
  assertProblem(t, both, 400, 'validation_failed', 'both')
  for (const ttlSeconds of [0, -5, 1.5, '60']) {
    assertProblem(t, await call(server, 'POST', '/v2/memories', { body: { content: 'x', ttlSeconds } }), 400, 'validation_failed', `ttl ${ttlSeconds}`)
  }
  assertProblem(t, await call(server, 'POST', '/v2/memories', { body: { content: 'x', expiresAt: 'tomorrow' } }), 400, 'validation_failed')
  t.same(await listAll(server), [], 'nothing stored')
})

t.test('contentType application/json must parse: invalid → 422 invalid_content, valid → 201', async (t) => {
  const { server } = await buildTestApp(t)
  const bad = await call(server, 'POST', '/v2/memories', { body: { content: '{"a": 1', contentType: 'application/json' } })
  assertProblem(t, bad, 422, 'invalid_content')
  t.same(await listAll(server), [])
  const ok = await call(server, 'POST', '/v2/memories', { body: { content: '{"a": [1, 2]}', contentType: 'application/json' } })
  t.equal(ok.status, 201)
  t.equal(ok.json.content, '{"a": [1, 2]}', 'JSON content is stored as given, not re-serialized')
  const md = await call(server, 'POST', '/v2/memories', { body: { content: '# Title\n\n*x*', contentType: 'text/markdown' } })
  t.equal(md.status, 201)
  t.equal(md.json.contentType, 'text/markdown')
})

t.test('all writable fields round-trip on create', async (t) => {
  const { server } = await buildTestApp(t, {}, { now: () => Date.parse('2031-01-01T00:00:00Z') })
  const body = {
    type: 'preference', key: 'editor', content: 'prefers vim', contentType: 'text/plain',
    metadata: { source: { app: 'ide', n: 3 }, list: [1, 'two', null] }, tags: ['editor', 'ui', 'editor'],
    importance: 0.9, visibility: 'shared', expiresAt: '2031-06-01T12:00:00+02:00',
  }
  const e = await create(server, body)
  t.match(e, { type: 'preference', key: 'editor', content: 'prefers vim', importance: 0.9, visibility: 'shared' })
  t.same(e.metadata, body.metadata)
  t.same(e.tags, ['editor', 'ui'], 'duplicate tags are collapsed')
  t.equal(e.expiresAt, '2031-06-01T10:00:00.000Z', 'offset normalised to UTC')
})
