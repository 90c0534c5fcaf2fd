/** KillSwitch against the shared Redis: values map to caps, unknown values and outages never raise traffic. */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Redis } from 'ioredis'
import t from 'tap'
import { KillSwitch } from '../../src/traffic/kill-switch.js'
import type { Stage } from '../../src/traffic/stages.js'
import type { TrafficLog } from '../../src/traffic/traffic-config-source.js'
import { REDIS_URL, redisUnavailable } from '../helpers/redis.js'

const skip = await redisUnavailable()

function recorder(): TrafficLog & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = []
  const at = (level: string) => (_obj: object, msg: string) => void lines.push({ level, msg })
  return { lines, info: at('info'), warn: at('warn'), error: at('error') }
}

/** A client this file owns, plus a kill switch on a key no other test uses. */
async function setup(t: { teardown(fn: () => unknown): void }, pollMs = 60_000) {
  // No offline queue and no reconnect: a disconnected client fails GET at once (the outage test).
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, lazyConnect: true })
  redis.on('error', () => {}) // surfaced through the rejected commands
  await redis.connect()
  const admin = new Redis(REDIS_URL)
  const key = `mcpmem:test:kill-switch:${process.pid}:${randomBytes(4).toString('hex')}`
  const log = recorder()
  const ks = new KillSwitch({ redis, key, pollMs, log })
  t.teardown(async () => {
    ks.stop()
    await admin.del(key)
    admin.disconnect()
    redis.disconnect()
  })
  return { ks, admin, key, log, redis }
}

t.test('values map to caps; absent or empty means no cap', { skip: skip ?? false }, async (t) => {
  const { ks, admin, key } = await setup(t)
  const changes: [Stage | null, Stage | null][] = []
  ks.onChange((cap, previous) => changes.push([cap, previous]))
  await ks.poll()
  t.equal(ks.cap(), null, 'absent key: no cap')
  const cases: [string, Stage | null][] = [
    ['blue', 'dualwrite'], [' BLUE\n', 'dualwrite'], ['off', 'dualwrite'], ['dualwrite', 'dualwrite'],
    ['shadow', 'shadow'], ['Live', 'live'], ['rampdown', 'rampdown'], ['', null], ['  ', null],
  ]
  for (const [value, cap] of cases) {
    await admin.set(key, value)
    await ks.poll()
    t.equal(ks.cap(), cap, `${JSON.stringify(value)} caps at ${cap}`)
  }
  await admin.set(key, 'shadow')
  await ks.poll()
  await admin.del(key)
  await ks.poll()
  t.equal(ks.cap(), null, 'deleting the key lifts the cap')
  t.same(changes.slice(0, 2), [['dualwrite', null], ['shadow', 'dualwrite']], 'listeners get each change once, with the previous cap')
})

t.test('unknown values cap like blue and are warned about once per value', { skip: skip ?? false }, async (t) => {
  const { ks, admin, key, log } = await setup(t)
  for (const value of ['complete', 'complete', 'green', 'green', 'complete']) {
    await admin.set(key, value)
    await ks.poll()
    t.equal(ks.cap(), 'dualwrite', `${value}: read as blue`)
  }
  const warns = log.lines.filter((l) => l.level === 'warn' && /unknown value/.test(l.msg))
  t.equal(warns.length, 3, 'one warning per distinct value in a row')
  t.match(warns[0]?.msg, /unknown value/)
})

t.test('a Redis error keeps the last known cap and is logged once until recovery', { skip: skip ?? false }, async (t) => {
  const { ks, admin, key, log, redis } = await setup(t)
  await admin.set(key, 'blue')
  await ks.poll()
  t.equal(ks.cap(), 'dualwrite')

  await admin.del(key) // lifted while this instance cannot see it
  const ended = once(redis, 'end')
  redis.disconnect()
  await ks.poll()
  await ks.poll()
  t.equal(ks.cap(), 'dualwrite', 'an outage keeps the cap')
  t.equal(log.lines.filter((l) => l.level === 'error').length, 1, 'logged once')

  await ended
  await redis.connect()
  await ks.poll()
  t.equal(ks.cap(), null, 'recovery reads the key again')
  t.ok(log.lines.some((l) => l.msg === 'kill switch readable again'))
})

t.test('polls do not overlap', { skip: skip ?? false }, async (t) => {
  const { ks, admin, key } = await setup(t)
  await admin.set(key, 'shadow')
  const first = ks.poll()
  t.equal(ks.poll(), first, 'a poll while one runs joins it')
  await first
  t.equal(ks.cap(), 'shadow')
})

t.test('start polls on a timer', { skip: skip ?? false }, async (t) => {
  const { ks, admin, key } = await setup(t, 100)
  await ks.start()
  t.equal(ks.cap(), null)
  const engaged = new Promise<Stage | null>((resolve) => ks.onChange((cap) => resolve(cap)))
  await admin.set(key, 'shadow')
  // Not unref'ed: the poll timer is, so this keeps the process alive while waiting for it.
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)))
  t.equal(await Promise.race([engaged, timeout]), 'shadow', 'the timer saw the switch within 10 s')
  clearTimeout(timer)
})

t.test('a replica that cannot read the switch at start assumes it is set', async (t) => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  t.teardown(() => redis.disconnect())
  const log = recorder()
  const ks = new KillSwitch({ redis, key: 'mcpmem:test:unreachable', pollMs: 60_000, log })
  await ks.poll()
  t.equal(ks.cap(), 'dualwrite', 'capped at dualwrite until a first successful read')
  t.ok(log.lines.some((l) => l.level === 'error'), 'and says why')
})
