/**
 * Token budgets under the traffic split: the write primary decides (its lock, its evictions) and the
 * mirror receives the written entry and the tombstones of what was evicted, so both sides hold the
 * same entries; a failed mirror of an eviction is replayed from the outbox. Registrations live on
 * the home side (blue until `complete`) and are copied to green.
 */
import t, { type Test } from 'tap'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import type { MemoryStore } from '../../src/storage/memory-store.js'
import type { TrafficSettings } from '../../src/traffic/stages.js'
import { createClock, expectAppError } from '../conformance/suite-kit.js'
import { makeEntry } from '../helpers/entries.js'
import { FaultyStore } from '../helpers/faulty-store.js'
import { repairWorker, settingsFor, splitOver } from '../helpers/traffic.js'

async function open(t: Test, settings: TrafficSettings | (() => TrafficSettings)) {
  const clock = createClock()
  const blue = new FaultyStore(createInMemoryStore({ now: clock.now }))
  const greenInner = createInMemoryStore({ now: clock.now })
  const green = new FaultyStore(greenInner)
  const parts = splitOver(blue, green, settings, { now: clock.now })
  await parts.split.init()
  t.teardown(async () => {
    green.failing = false
    await parts.split.close()
  })
  const repair = repairWorker(parts.split, clock.now)
  return { ...parts, blue, green, greenInner, clock, repair }
}

const ids = async (store: MemoryStore, tool: string) =>
  (await store.query({ access: { tool, grantedTools: [], includeShared: false }, tools: [tool] }, null, 100)).items.map((e) => e.id).sort()

const budget = { maxTokens: 30, policy: 'evict' as const, order: 'oldest' as const }

t.test('dual-write: evictions on the primary reach the mirror as tombstones', async (t) => {
  const o = await open(t, settingsFor('dualwrite'))
  const tool = 'tool-budget'
  const written = []
  for (let i = 0; i < 5; i++) {
    const entry = makeEntry({ tool, tokens: 10, createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)) })
    written.push(await o.split.writeWithinBudget({ op: 'create', entry, options: { dedupe: false } }, budget))
  }
  const evicted = written.flatMap((w) => w.evicted.map((e) => e.id))
  t.equal(evicted.length, 2, 'two of five entries of 10 tokens were evicted to stay within 30')
  t.strictSame(await ids(o.green, tool), await ids(o.blue, tool), 'green holds exactly what blue holds')
  t.equal((await o.green.stats([tool])).tokens, 30)
  for (const id of evicted) t.equal((await o.green.mirrorRecord(tool, id))?.kind, 'tombstone', 'green remembers each eviction')
  t.equal((await o.split.outboxStats()).pending, 0, 'every mirror landed: no outbox rows left')
})

t.test('an eviction whose mirror failed is replayed by the outbox repair', async (t) => {
  const o = await open(t, settingsFor('dualwrite'))
  const tool = 'tool-budget-repair'
  const first = makeEntry({ tool, tokens: 20 })
  await o.split.writeWithinBudget({ op: 'create', entry: first, options: { dedupe: false } }, budget)
  o.green.failing = true
  const second = makeEntry({ tool, tokens: 20 })
  const result = await o.split.writeWithinBudget({ op: 'create', entry: second, options: { dedupe: false } }, budget)
  t.strictSame(result.evicted.map((e) => e.id), [first.id], 'blue evicted the first entry')
  t.ok(await o.greenInner.get(tool, first.id), 'green still has it while it is failing')
  t.equal((await o.split.outboxStats()).pending, 2, 'one outbox row for the written entry, one for the eviction')
  o.green.failing = false
  o.clock.advance(1_500)
  t.equal(await o.repair.runOnce(), 2, 'both rows replayed')
  t.strictSame(await ids(o.green, tool), [second.id], 'green now holds what blue holds')
})

t.test('registrations live on blue and are copied to green; at complete green is home', async (t) => {
  let settings = settingsFor('dualwrite')
  const o = await open(t, () => settings)
  const at = new Date('2026-11-01T00:00:00Z')
  const record = {
    tool: 'tool-reg', displayName: 'R', maxTokens: 100, overBudget: 'reject' as const, evictionOrder: 'lru' as const,
    defaultTtlSeconds: null, readers: [], version: 1, createdAt: at, updatedAt: at,
  }
  t.equal((await o.split.registerTool(record)).created, true)
  t.match(await o.blue.getTool('tool-reg'), { maxTokens: 100 })
  t.match(await o.green.getTool('tool-reg'), { maxTokens: 100 }, 'copied to green')
  await o.split.putTool({ ...record, maxTokens: 200 })
  t.match(await o.green.getTool('tool-reg'), { maxTokens: 200 }, 'changes are copied too')
  o.green.failing = true
  await o.split.putTool({ ...record, maxTokens: 300 })
  t.match(await o.blue.getTool('tool-reg'), { maxTokens: 300 }, 'a failing green does not fail the registry write')
  o.green.failing = false
  settings = settingsFor('complete')
  t.match(await o.split.getTool('tool-reg'), { maxTokens: 200 }, 'at complete the registry is read from green (the backfill copy catches up what it missed)')
})

t.test('green as write primary: a budget refusal is an answer, not a failure (no fallback to blue)', async (t) => {
  const o = await open(t, settingsFor('live', { greenWritePercent: 100, greenReadPercent: 100, shadowReadPercent: 0 }))
  const tool = 'tool-budget-green'
  const reject = { maxTokens: 30, policy: 'reject' as const, order: 'oldest' as const }
  await o.split.writeWithinBudget({ op: 'create', entry: makeEntry({ tool, tokens: 20 }), options: { dedupe: false } }, reject)
  const refused = makeEntry({ tool, tokens: 20 })
  await expectAppError(t, o.split.writeWithinBudget({ op: 'create', entry: refused, options: { dedupe: false } }, reject), 'token_budget_exceeded')
  t.equal(await o.blue.get(tool, refused.id), null, 'blue did not take the refused write over')
  t.equal(o.observer.count({ role: 'fallback' }), 0, 'no fallback')
  t.equal(o.observer.count({ failed: true }), 0, 'no operation counted as failed')
  t.equal((await o.green.stats([tool])).tokens, 20)
  t.equal((await o.blue.stats([tool])).tokens, 20, 'both sides hold the one accepted entry')
  await o.split.flushOutboxAcks()
  t.equal((await o.green.outboxStats()).pending, 0, 'the refused write left no outbox row')
})
