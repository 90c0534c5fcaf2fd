/**
 * Regressions from the review of the traffic split: each case was a way to lose an acknowledged
 * write or to crash, and must stay fixed.
 */
import t, { type Test } from 'tap'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import { bucketOf } from '../../src/traffic/routing.js'
import type { TrafficSettings } from '../../src/traffic/stages.js'
import { createClock, expectAppError } from '../conformance/suite-kit.js'
import { makeEntry } from '../helpers/entries.js'
import { FaultyStore } from '../helpers/faulty-store.js'
import { repairWorker, settingsFor, splitOver } from '../helpers/traffic.js'

async function open(t: Test, settings: TrafficSettings) {
  const clock = createClock()
  const blue = new FaultyStore(createInMemoryStore({ now: clock.now }))
  const green = new FaultyStore(createInMemoryStore({ now: clock.now }))
  const parts = splitOver(blue, green, settings, { now: clock.now })
  await parts.split.init()
  t.teardown(async () => {
    for (const s of [blue, green]) {
      s.resume()
      s.failing = false
      s.only = null
    }
    await parts.split.close()
  })
  const repair = repairWorker(parts.split, clock.now)
  return { ...parts, blue, green, clock, repair }
}

const edit = (e: MemoryEntry, content: string): MemoryEntry => ({ ...e, content, contentHash: `sha256:${Buffer.from(content).toString('hex').padEnd(64, '0').slice(0, 64)}` })

t.test('a failing green primary does not fall back to a blue that missed a write of the tool', async (t) => {
  const o = await open(t, settingsFor('live'))
  const entry = makeEntry({ tool: 'tool-r1' })
  await o.split.create(entry, { dedupe: false })
  // W1: green commits v2; its mirror to blue fails, so blue is behind for the tool.
  o.blue.only = new Set(['applyMirror'])
  o.blue.failing = true
  t.equal((await o.split.update(edit(entry, 'w1'))).version, 2)
  t.ok(o.split.stale.isStale('blue', entry.tool))
  o.blue.failing = false
  // W2: green fails. Blue would build "v2" from v1 and the sides would hold two different v2s.
  o.green.failing = true
  await expectAppError(t, o.split.update(edit(entry, 'w2')), 'backend_unavailable', 'refused instead of diverging')
  o.green.failing = false
  o.clock.advance(2_000)
  await o.repair.runOnce()
  t.equal((await o.blue.get(entry.tool, entry.id))?.content, 'w1', 'blue catches up with the acknowledged W1')
  t.notOk(o.split.stale.isStale('blue', entry.tool))
})

t.test('a primary write slower than the outbox grace still leaves a row when its mirror fails', async (t) => {
  const o = await open(t, settingsFor('live'))
  const entry = makeEntry({ tool: 'tool-r2' })
  await o.split.create(entry, { dedupe: false })
  o.green.only = new Set(['update'])
  o.green.pause()
  const slow = o.split.update(edit(entry, 'slow write'))
  await new Promise((r) => setTimeout(r, 10))
  // Meanwhile the repair worker takes the write-ahead row (past its grace) and replays v1.
  o.clock.advance(31_000)
  t.equal(await o.repair.runOnce(), 1, 'the write-ahead row was replayed early and removed')
  o.blue.only = new Set(['applyMirror'])
  o.blue.failing = true
  o.green.resume()
  t.equal((await slow).version, 2, 'the write is acknowledged')
  o.blue.failing = false
  await o.split.flushOutboxAcks()
  t.equal((await o.green.outboxStats()).pending, 1, 'its failed mirror left a fresh row')
  o.clock.advance(2_000)
  t.equal(await o.repair.runOnce(), 1)
  t.equal((await o.blue.get(entry.tool, entry.id))?.content, 'slow write', 'blue gets the acknowledged write')
})

t.test('under id routing, writes of one key meet on one primary', async (t) => {
  const settings = settingsFor('live', { greenReadPercent: 100, greenWritePercent: 50, routingKey: 'id' })
  const o = await open(t, settings)
  const tool = 'tool-r3'
  // Two creates of one key whose fresh ids fall in different halves of the buckets.
  let a = makeEntry({ tool, key: 'k1' })
  let b = makeEntry({ tool, key: 'k1' })
  while (bucketOf(settings.routingSalt, a.id) >= 50) a = makeEntry({ tool, key: 'k1' })
  while (bucketOf(settings.routingSalt, b.id) < 50) b = makeEntry({ tool, key: 'k1' })
  const results = await Promise.allSettled([o.split.create(a, { dedupe: false }), o.split.create(b, { dedupe: false })])
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one create of the key wins')
  t.equal((await o.blue.findByKey(tool, 'k1'))?.id, (await o.green.findByKey(tool, 'k1'))?.id, 'both sides agree on the holder')
})

t.test("the split store's applyMirror never leaves a rejection unhandled", async (t) => {
  const o = await open(t, settingsFor('dualwrite'))
  const unhandled: unknown[] = []
  const onUnhandled = (err: unknown) => unhandled.push(err)
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => void process.off('unhandledRejection', onUnhandled))
  o.blue.failing = true
  o.green.delayMs = 20
  await expectAppError(t, o.split.applyMirror({ kind: 'entry', entry: makeEntry({ tool: 'tool-r4' }) }), 'backend_unavailable')
  await new Promise((r) => setTimeout(r, 50))
  t.same(unhandled, [])
})
