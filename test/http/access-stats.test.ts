/** Reads update lastAccessedAt / accessCount in batches, never as part of the read itself. */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'

t.test('access statistics are written in batches off the request path', async (t) => {
  let now = Date.parse('2026-11-26T12:00:00Z')
  const app = await buildTestApp(t, { ACCESS_FLUSH_SECONDS: '3600' }, { now: () => now })
  const { server } = app
  const made = (await server.inject({ method: 'POST', url: '/v2/memories', payload: { content: 'read me', key: 'rk' } })).json()
  for (let i = 0; i < 3; i++) {
    now += 1000
    await server.inject({ method: 'GET', url: `/v2/memories/${made.id}` })
  }
  now += 1000
  await server.inject({ method: 'GET', url: '/v2/memories/by-key/rk' })
  const before = (await server.inject({ method: 'GET', url: `/v2/memories?limit=1` })).json().items[0]
  t.equal(before.accessCount, 0, 'nothing written by the reads themselves')
  await app.accessRecorder.flush()
  const after = (await server.inject({ method: 'GET', url: `/v2/memories?limit=1` })).json().items[0]
  t.equal(after.accessCount, 4, 'four reads (three by id, one by key), one batched write')
  t.equal(after.lastAccessedAt, new Date(now).toISOString())
  t.equal(after.version, 1, 'statistics are not a new version')
})
