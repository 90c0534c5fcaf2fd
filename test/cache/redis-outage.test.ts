/**
 * A real (private) Redis killed and restarted under the service: no request fails while it is
 * down, the hit ratio recovers afterwards, and an update made while it was down is never hidden
 * by the old value Redis still holds when it comes back (its append-only file keeps it).
 */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { PrivateRedis } from '../helpers/redis.js'
import { redisUnavailable } from '../helpers/redis.js'

const skip = await redisUnavailable()

/** The value of a counter or gauge sample on /metrics, 0 when absent. */
async function metric(server: Awaited<ReturnType<typeof buildTestApp>>['server'], sample: string): Promise<number> {
  const body = (await server.inject({ method: 'GET', url: '/metrics' })).body
  const line = body.split('\n').find((l) => l.startsWith(sample + ' '))
  return line ? Number(line.slice(sample.length + 1)) : 0
}

t.test('Redis outage and recovery', { skip: skip ?? false }, async (t) => {
  const redis = await PrivateRedis.start(t)
  const { server } = await buildTestApp(t, {
    REDIS_URL: redis.url, CACHE_COMMAND_TIMEOUT_MS: '50', CACHE_MAX_STALENESS_SECONDS: '3600', STATS_REFRESH_SECONDS: '3600',
  })
  const hits = 'mcp_memory_cache_requests_total{backend="memory",result="hit"}'
  const errors = 'mcp_memory_cache_requests_total{backend="memory",result="error"}'
  const pending = 'mcp_memory_cache_pending_invalidations{backend="memory"}'

  // Start from a connected cache (on a loaded machine the first connection can take a while).
  for (let i = 0; i < 200 && (await server.inject({ method: 'GET', url: '/readyz' })).json().cache !== 'up'; i++) {
    await new Promise((r) => setTimeout(r, 50))
  }
  const created = await server.inject({ method: 'POST', url: '/v2/memories', payload: { content: 'version one', key: 'k' } })
  const url = `/v2/memories/${created.json().id}`
  for (let i = 0; i < 5; i++) t.equal((await server.inject({ method: 'GET', url })).statusCode, 200)
  const hitsBefore = await metric(server, hits)
  t.ok(hitsBefore >= 5, `reads are served from Redis (${hitsBefore} hits)`)

  await redis.kill()
  const statuses: number[] = []
  for (let i = 0; i < 10; i++) statuses.push((await server.inject({ method: 'GET', url })).statusCode)
  const update = await server.inject({ method: 'PUT', url, payload: { content: 'version two', key: 'k' } })
  statuses.push(update.statusCode)
  for (let i = 0; i < 10; i++) {
    const read = await server.inject({ method: 'GET', url })
    statuses.push(read.statusCode)
    t.equal(read.json().content, 'version two', 'reads while down see the update')
  }
  statuses.push((await server.inject({ method: 'GET', url: '/v2/memories/by-key/k' })).statusCode)
  t.same([...new Set(statuses)], [200], 'no request failed while Redis was down')
  t.ok((await metric(server, errors)) > 0, 'cache errors were counted')
  t.equal((await server.inject({ method: 'GET', url: '/readyz' })).json().cache, 'down', '/readyz stays 200 and says the cache is down')
  t.ok((await metric(server, pending)) >= 1, 'the update left an invalidation pending')

  await redis.restart()
  // Until the pending invalidation is applied reads bypass Redis; every read must see version two.
  let recovered = false
  for (let i = 0; i < 100 && !recovered; i++) {
    const read = await server.inject({ method: 'GET', url })
    t.equal(read.json().content, 'version two', 'never the value Redis kept from before the outage')
    const byKey = await server.inject({ method: 'GET', url: '/v2/memories/by-key/k' })
    t.equal(byKey.json().content, 'version two')
    recovered = (await metric(server, pending)) === 0 && (await metric(server, hits)) > hitsBefore + 2
    if (!recovered) await new Promise((r) => setTimeout(r, 100))
  }
  t.ok(recovered, 'the cache came back by itself and serves hits again')
  const hitsAfter = await metric(server, hits)
  for (let i = 0; i < 5; i++) t.equal((await server.inject({ method: 'GET', url })).json().content, 'version two')
  t.equal(await metric(server, hits), hitsAfter + 5, 'the hit ratio recovered: every read is a hit again')
})
