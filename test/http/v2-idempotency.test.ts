/** Idempotency-Key on POST /v2/memories and POST /v2/memories/batch. */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { as, assertProblem, call, create, listAll } from './helpers/http.js'

const idem = (key: string, extra: Record<string, string> = {}) => ({ 'idempotency-key': key, ...extra })

t.test('a retry with the same key and body replays the first response and creates nothing', async (t) => {
  const { server } = await buildTestApp(t)
  const body = { content: 'pay the invoice', tags: ['todo'] }
  const first = await call(server, 'POST', '/v2/memories', { body, headers: idem('req-1') })
  t.equal(first.status, 201)
  t.equal(first.headers['idempotent-replayed'], undefined, 'the first response is not a replay')
  const retry = await call(server, 'POST', '/v2/memories', { body, headers: idem('req-1') })
  t.equal(retry.status, 201, 'the replay keeps the original status (not the 200 of dedupe)')
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.headers.location, first.headers.location)
  t.equal(retry.headers.etag, first.headers.etag)
  t.equal(retry.headers['memory-deduplicated'], undefined)
  t.same(retry.json, first.json, 'same body, same id')
  const third = await call(server, 'POST', '/v2/memories', { body, headers: idem('req-1') })
  t.equal(third.json.id, first.json.id)
  t.equal((await listAll(server)).length, 1, 'one entry')

  // The replay is the stored response, not a fresh read: it still shows version 1 after a change.
  await call(server, 'PATCH', `/v2/memories/${first.json.id}`, { body: { importance: 1 } })
  const later = await call(server, 'POST', '/v2/memories', { body, headers: idem('req-1') })
  t.equal(later.json.version, 1)
  t.equal(later.headers['idempotent-replayed'], 'true')
})

t.test('a keyed create is replayed too (without the key it would be a 409)', async (t) => {
  const { server } = await buildTestApp(t)
  const body = { content: 'profile', key: 'me' }
  const first = await call(server, 'POST', '/v2/memories', { body, headers: idem('k-keyed') })
  t.equal(first.status, 201)
  const retry = await call(server, 'POST', '/v2/memories', { body, headers: idem('k-keyed') })
  t.equal(retry.status, 201)
  t.equal(retry.json.id, first.json.id)
  assertProblem(t, await call(server, 'POST', '/v2/memories', { body }), 409, 'key_conflict', 'no key: conflict')
})

t.test('the same key with a different body is 422 idempotency_key_reused', async (t) => {
  const { server } = await buildTestApp(t)
  await call(server, 'POST', '/v2/memories', { body: { content: 'one' }, headers: idem('reuse') })
  for (const body of [{ content: 'two' }, { content: 'one', tags: ['x'] }, { content: 'one', type: 'episode' }]) {
    const res = await call(server, 'POST', '/v2/memories', { body, headers: idem('reuse') })
    assertProblem(t, res, 422, 'idempotency_key_reused', JSON.stringify(body))
  }
  const batch = await call(server, 'POST', '/v2/memories/batch', {
    body: { operations: [{ op: 'create', body: { content: 'one' } }] }, headers: idem('reuse'),
  })
  assertProblem(t, batch, 422, 'idempotency_key_reused', 'same key on another route')
  t.same((await listAll(server)).map((e) => e.content), ['one'])
})

t.test('the same request with its fields in another order is the same request', async (t) => {
  const { server } = await buildTestApp(t)
  const first = await call(server, 'POST', '/v2/memories', { body: '{"content":"ordered","tags":["a"],"importance":0.7}', headers: idem('order') })
  t.equal(first.status, 201)
  const retry = await call(server, 'POST', '/v2/memories', { body: '{"importance":0.7,"tags":["a"],"content":"ordered"}', headers: idem('order') })
  t.equal(retry.status, 201)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.json.id, first.json.id)
})

t.test('keys are per tool: tool B\'s request with A\'s key runs normally', async (t) => {
  const { server } = await buildTestApp(t)
  const body = { content: 'shared words' }
  const a = await call(server, 'POST', '/v2/memories', { body, headers: idem('same-key', as('tool-a')) })
  const b = await call(server, 'POST', '/v2/memories', { body, headers: idem('same-key', as('tool-b')) })
  t.equal(b.status, 201)
  t.equal(b.headers['idempotent-replayed'], undefined, 'not a replay of tool A\'s response')
  t.not(b.json.id, a.json.id)
  t.equal(b.json.tool, 'tool-b')
  const bDifferent = await call(server, 'POST', '/v2/memories', { body: { content: 'other' }, headers: idem('fresh', as('tool-b')) })
  t.equal(bDifferent.status, 201)
  const aSameKeyOtherBody = await call(server, 'POST', '/v2/memories', { body: { content: 'other' }, headers: idem('fresh', as('tool-a')) })
  t.equal(aSameKeyOtherBody.status, 201, 'tool B\'s use of a key does not block tool A')
  t.equal((await listAll(server, as('tool-a'))).length, 2)
  t.equal((await listAll(server, as('tool-b'))).length, 2)
})

t.test('a failed request does not poison its key: the retry runs again', async (t) => {
  const { server } = await buildTestApp(t)
  const holder = await create(server, { content: 'holder', key: 'taken' })
  const body = { content: 'wants the key', key: 'taken' }
  const failed = await call(server, 'POST', '/v2/memories', { body, headers: idem('retry-me') })
  assertProblem(t, failed, 409, 'key_conflict', 'first attempt')
  const again = await call(server, 'POST', '/v2/memories', { body, headers: idem('retry-me') })
  assertProblem(t, again, 409, 'key_conflict', 'second attempt runs again')
  t.equal(again.headers['idempotent-replayed'], undefined, 'errors are not replayed')

  t.equal((await call(server, 'DELETE', `/v2/memories/${holder.id}`)).status, 204)
  const ok = await call(server, 'POST', '/v2/memories', { body, headers: idem('retry-me') })
  t.equal(ok.status, 201, 'after the cause is fixed, the same request succeeds')
  t.equal(ok.headers['idempotent-replayed'], undefined)
  const replay = await call(server, 'POST', '/v2/memories', { body, headers: idem('retry-me') })
  t.equal(replay.status, 201)
  t.equal(replay.headers['idempotent-replayed'], 'true', 'and from then on it is replayed')
  t.equal(replay.json.id, ok.json.id)

  const invalid = await call(server, 'POST', '/v2/memories', { body: { content: 'x', importance: 5 }, headers: idem('bad-first') })
  assertProblem(t, invalid, 400, 'validation_failed', 'invalid body')
  const fixed = await call(server, 'POST', '/v2/memories', { body: { content: 'x' }, headers: idem('bad-first') })
  t.equal(fixed.status, 201, 'a rejected body did not claim the key')
})

t.test('batch requests are replayed as a whole', async (t) => {
  const { server } = await buildTestApp(t)
  const body = { operations: [{ op: 'create', body: { content: 'b1' } }, { op: 'create', body: { content: 'b2' } }] }
  const first = await call(server, 'POST', '/v2/memories/batch', { body, headers: idem('batch-1') })
  t.same(first.json.results.map((r: any) => r.status), [201, 201])
  const retry = await call(server, 'POST', '/v2/memories/batch', { body, headers: idem('batch-1') })
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.same(retry.json, first.json, 'the same per-operation results, still 201s')
  t.equal((await listAll(server)).length, 2)
})

t.test('a remembered key lapses after IDEMPOTENCY_TTL_SECONDS', async (t) => {
  let fakeNow = Date.parse('2031-01-01T00:00:00Z')
  const { server } = await buildTestApp(t, { IDEMPOTENCY_TTL_SECONDS: '60' }, { now: () => fakeNow })
  await call(server, 'POST', '/v2/memories', { body: { content: 'first use' }, headers: idem('ttl-key') })
  fakeNow += 59_000
  assertProblem(t, await call(server, 'POST', '/v2/memories', { body: { content: 'second use' }, headers: idem('ttl-key') }), 422, 'idempotency_key_reused')
  fakeNow += 1_000
  const reused = await call(server, 'POST', '/v2/memories', { body: { content: 'second use' }, headers: idem('ttl-key') })
  t.equal(reused.status, 201, 'the key may be reused after its TTL')
})

t.test('concurrent requests with the same key create one entry', async (t) => {
  const { server } = await buildTestApp(t)
  const body = { content: 'raced', key: 'race' }
  const results = await Promise.all(Array.from({ length: 5 }, () => call(server, 'POST', '/v2/memories', { body, headers: idem('race-key') })))
  for (const res of results) {
    const ok = res.status === 201 || (res.status === 409 && res.json?.code === 'idempotency_in_progress')
    t.ok(ok, `201 or 409 idempotency_in_progress (got ${res.status} ${res.json?.code ?? ''})`)
  }
  const created = results.filter((r) => r.status === 201)
  t.ok(created.length >= 1, 'at least one succeeded')
  t.equal(new Set(created.map((r) => r.json.id)).size, 1, 'every success names the same entry')
  t.equal((await listAll(server)).length, 1, 'one entry')
})

t.test('malformed Idempotency-Key headers are 400', async (t) => {
  const { server } = await buildTestApp(t)
  for (const key of ['has space', 'ü-nicode', 'x'.repeat(256)]) {
    const res = await call(server, 'POST', '/v2/memories', { body: { content: 'x' }, headers: idem(key) })
    assertProblem(t, res, 400, 'validation_failed', JSON.stringify(key).slice(0, 20))
  }
  t.same(await listAll(server), [])
})
