/**
 * The blue/green runtime inside the real app: `/admin/traffic` and its auth, a TRAFFIC_CONFIG_FILE
 * change taking effect without restart (and an invalid one rejected, the last good kept), the Redis
 * kill switch moving traffic back to blue within about two seconds, and the traffic metrics.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import t from 'tap'
import { as, call, create } from '../http/helpers/http.js'
import { buildTestApp } from '../helpers/build-app.js'
import { REDIS_URL, redisUnavailable } from '../helpers/redis.js'

const ADMIN_KEY = 'admin-key-0123456789abcdef'
const admin = { authorization: `Bearer ${ADMIN_KEY}` }

async function configFile(t: { teardown(fn: () => unknown): void }, values: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'mcpmem-traffic-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'traffic.json')
  await writeFile(path, JSON.stringify(values))
  return path
}

t.test('/admin/traffic shows the effective state and needs the admin key', async (t) => {
  const app = await buildTestApp(t, {
    GREEN_STORE_URL: 'memory://', TRAFFIC_STAGE: 'dualwrite', MEMORY_ADMIN_KEY: ADMIN_KEY, MEMORY_API_KEYS: 'tool-a=tool-a-key-0123456789:read+write',
  })
  t.equal((await call(app.server, 'GET', '/admin/traffic')).status, 401, 'no key')
  const toolKey = await call(app.server, 'GET', '/admin/traffic', { headers: { authorization: 'Bearer tool-a-key-0123456789' } })
  t.equal(toolKey.status, 401, 'a tool key without the admin scope')
  t.match(toolKey.headers['content-type'], /application\/problem\+json/)
  const res = await call(app.server, 'GET', '/admin/traffic', { headers: admin })
  t.equal(res.status, 200)
  t.equal(res.json.effective.stage, 'dualwrite')
  t.equal(res.json.configured.source, 'env')
  t.match(res.json.configured.fingerprint, /^[0-9a-f]{16}$/)
  t.same(
    { read: res.json.effective.greenReadPercent, write: res.json.effective.greenWritePercent, dual: res.json.effective.dualWrite },
    { read: 0, write: 0, dual: true },
  )
  t.equal(res.json.guardLatch, null)
  t.same(res.json.outbox.pending, 0)
  t.same({ blue: res.json.sides.blue.up, green: res.json.sides.green.up, greenInit: res.json.sides.green.initialised }, { blue: true, green: true, greenInit: true })
  t.equal(res.headers['cache-control'], 'no-store')
  const ready = await call(app.server, 'GET', '/readyz')
  t.same([ready.status, ready.json.backends], [200, { blue: 'up', green: 'up' }], '/readyz reports both sides')
})

t.test('a config-file change takes effect without restart; an invalid one is rejected', async (t) => {
  const path = await configFile(t, { TRAFFIC_STAGE: 'dualwrite' })
  const app = await buildTestApp(t, { GREEN_STORE_URL: 'memory://', TRAFFIC_CONFIG_FILE: path, TRAFFIC_CONFIG_POLL_MS: '100' })
  const stage = async () => (await call(app.server, 'GET', '/admin/traffic')).json
  t.equal((await stage()).configured.source, 'file')
  t.equal((await stage()).effective.stage, 'dualwrite')

  await writeFile(path, 'TRAFFIC_STAGE: live\nTRAFFIC_GREEN_READ_PERCENT: "50"\nTRAFFIC_GREEN_WRITE_PERCENT: 10\n')
  await app.traffic!.source.reload()
  const live = await stage()
  t.same([live.effective.stage, live.effective.greenReadPercent, live.effective.greenWritePercent], ['live', 50, 10], 'YAML change applied')

  await writeFile(path, JSON.stringify({ TRAFFIC_STAGE: 'live', TRAFFIC_GREEN_READ_PERCENT: 10, TRAFFIC_GREEN_WRITE_PERCENT: 50 }))
  await app.traffic!.source.reload()
  const rejected = await stage()
  t.equal(rejected.effective.greenReadPercent, 50, 'the last good config stays')
  t.match(rejected.lastRejection.errors.join('\n'), /\[write-within-read\]/, 'the rejection names the rule')

  // The poller picks a change up by itself, too.
  await writeFile(path, JSON.stringify({ TRAFFIC_STAGE: 'shadow' }))
  const deadline = Date.now() + 5000
  while ((await stage()).effective.stage !== 'shadow' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  t.equal((await stage()).effective.stage, 'shadow', 'polled change applied')
  const metrics = (await call(app.server, 'GET', '/metrics')).body
  t.match(metrics, /mcp_memory_traffic_stage\{stage="shadow"\} 1/)
  t.match(metrics, /mcp_memory_traffic_stage\{stage="live"\} 0/)
})

t.test('traffic metrics count operations per side and role', async (t) => {
  const app = await buildTestApp(t, { GREEN_STORE_URL: 'memory://', TRAFFIC_STAGE: 'live' })
  const entry = await create(app.server, { type: 'fact', content: 'mirrored' }, as('metrics-tool'))
  t.equal((await call(app.server, 'GET', `/v2/memories/${entry.id}`, { headers: as('metrics-tool') })).status, 200)
  const body = (await call(app.server, 'GET', '/metrics')).body
  t.match(body, /mcp_memory_traffic_operations_total\{backend="green",kind="write",role="primary"\} 1/)
  t.match(body, /mcp_memory_traffic_operations_total\{backend="blue",kind="write",role="mirror"\} 1/)
  t.match(body, /mcp_memory_traffic_operations_total\{backend="green",kind="read",role="primary"\} [1-9]/)
  t.match(body, /mcp_memory_outbox_pending 0/)
  t.match(body, /mcp_memory_operation_duration_seconds_count\{op="create",backend="green"\} 1/, 'side stacks are labelled blue/green')
})

const noRedis = await redisUnavailable()

t.test('the kill switch moves traffic to blue within about two seconds', { skip: noRedis ?? false }, async (t) => {
  const key = `mcpmem:test:kill:${randomBytes(6).toString('hex')}`
  const redis = new Redis(REDIS_URL)
  t.teardown(async () => {
    await redis.del(key)
    redis.disconnect()
  })
  const app = await buildTestApp(t, {
    GREEN_STORE_URL: 'memory://', TRAFFIC_STAGE: 'live', REDIS_URL, TRAFFIC_KILL_SWITCH_KEY: key,
  })
  const effective = async () => (await call(app.server, 'GET', '/admin/traffic')).json.effective
  t.equal((await effective()).greenReadPercent, 100)
  await redis.set(key, 'blue')
  const started = Date.now()
  while ((await effective()).greenReadPercent !== 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 25))
  const took = Date.now() - started
  const after = await effective()
  t.same([after.stage, after.greenReadPercent, after.greenWritePercent, after.dualWrite], ['dualwrite', 0, 0, true], 'capped at dualwrite')
  t.ok(took <= 2500, `moved in ${took} ms (poll every 1 s)`)
  const metrics = (await call(app.server, 'GET', '/metrics')).body
  t.match(metrics, /mcp_memory_traffic_rollbacks_total\{reason="kill_switch"\} 1/)

  await redis.del(key)
  const cleared = Date.now()
  while ((await effective()).greenReadPercent !== 100 && Date.now() - cleared < 10_000) await new Promise((r) => setTimeout(r, 25))
  t.equal((await effective()).stage, 'live', 'clearing the key restores the configured stage')
})
