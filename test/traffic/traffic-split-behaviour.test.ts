/**
 * Behaviour of the traffic split (design §7) over in-memory sides that fail or stall on demand:
 * sticky routing, dual-write, mirror failures repaired through the outbox, green-primary fallback,
 * shadow reads, green initialisation retries and close. These test the split's logic, not a database.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import type { OutboxRepairWorker } from '../../src/traffic/outbox-repair.js'
import { bucketOf } from '../../src/traffic/routing.js'
import type { TrafficSettings } from '../../src/traffic/stages.js'
import { createClock, expectAppError, type TestClock } from '../conformance/suite-kit.js'
import { makeEntry } from '../helpers/entries.js'
import { FaultyStore, type FaultyStoreOptions } from '../helpers/faulty-store.js'
import { repairWorker, settingsFor, splitOver, type OperationRecord } from '../helpers/traffic.js'

interface Opened extends ReturnType<typeof splitOver> {
  blue: FaultyStore
  green: FaultyStore
  clock: TestClock
  repair: OutboxRepairWorker
  /** The operations the observer recorded since the last call (or since opening). */
  since(): OperationRecord[]
}

/** A split over two fresh in-memory stores on one test clock, initialised, closed at the end of `t`. */
async function open(
  t: Test,
  settings: TrafficSettings,
  options: NonNullable<Parameters<typeof splitOver>[3]> & { green?: FaultyStoreOptions } = {},
): Promise<Opened> {
  const clock = createClock()
  const blue = new FaultyStore(createInMemoryStore({ now: clock.now }))
  const green = new FaultyStore(createInMemoryStore({ now: clock.now }), options.green)
  const parts = splitOver(blue, green, settings, { now: clock.now, ...options })
  await parts.split.init()
  t.teardown(async () => {
    blue.resume()
    green.resume()
    blue.failing = false
    green.failing = false
    await parts.split.close()
  })
  const repair = repairWorker(parts.split, clock.now)
  let mark = 0
  const since = () => {
    const ops = parts.observer.operations.slice(mark)
    mark = parts.observer.operations.length
    return ops
  }
  return { ...parts, blue, green, clock, repair, since }
}

/** Waits (bounded) for background work such as shadow compares or the green init retry. */
async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(5)
  }
}

/** Each id's mirror record (entry or tombstone) on green equals blue's. */
async function assertSidesEqual(t: Test, o: Opened, entries: Array<Pick<MemoryEntry, 'tool' | 'id'>>): Promise<void> {
  for (const { tool, id } of entries) {
    const blue = await o.blue.mirrorRecord(tool, id)
    t.ok(blue, `blue holds ${id}`)
    t.strictSame(await o.green.mirrorRecord(tool, id), blue, `green's record of ${id} equals blue's`)
    t.strictSame(await o.green.get(tool, id), await o.blue.get(tool, id), `green's get of ${id} equals blue's`)
  }
}

const op = (side: 'blue' | 'green', kind: 'read' | 'write', role: OperationRecord['role'], failed = false): OperationRecord =>
  ({ side, kind, role, failed })

/** An update of `entry` with new content (the hash follows the content). */
const changed = (entry: MemoryEntry, content: string): MemoryEntry =>
  makeEntry({ ...entry, content, updatedAt: new Date(entry.updatedAt.getTime() + 1) })

t.test('routing: buckets below the write share write green first, below the read share read green, and stay put', async (t) => {
  const settings = settingsFor('live', { greenReadPercent: 50, greenWritePercent: 20, shadowReadPercent: 0 })
  const o = await open(t, settings)
  const pick = (test: (bucket: number) => boolean): string => {
    for (let i = 0; ; i++) if (test(bucketOf(settings.routingSalt, `tool-${i}`))) return `tool-${i}`
  }
  const cases = [
    { tool: pick((b) => b < 20), primary: 'green' as const, reads: 'green' as const, label: 'bucket < 20' },
    { tool: pick((b) => b >= 20 && b < 50), primary: 'blue' as const, reads: 'green' as const, label: 'bucket 20..49' },
    { tool: pick((b) => b >= 50), primary: 'blue' as const, reads: 'blue' as const, label: 'bucket >= 50' },
  ]
  for (const c of cases) {
    const mirror = c.primary === 'green' ? 'blue' : 'green'
    for (let round = 0; round < 3; round++) {
      const entry = makeEntry({ tool: c.tool })
      o.since()
      const created = await o.split.create(entry, { dedupe: false })
      t.equal(created.entry.version, 1)
      t.strictSame(o.since(), [op(c.primary, 'write', 'primary'), op(mirror, 'write', 'mirror')],
        `${c.label} (${c.tool}) round ${round}: written on ${c.primary} first, mirrored to ${mirror}`)
      const read = await o.split.get(c.tool, entry.id)
      t.equal(read?.id, entry.id)
      t.strictSame(o.since(), [op(c.reads, 'read', 'primary')], `${c.label} (${c.tool}) round ${round}: read from ${c.reads}`)
      const updated = await o.split.update(changed(entry, `round ${round} update`))
      t.equal(updated.version, 2)
      t.strictSame(o.since(), [op(c.primary, 'write', 'primary'), op(mirror, 'write', 'mirror')],
        `${c.label} (${c.tool}) round ${round}: the update follows the create`)
    }
  }
})

t.test('dualwrite: create, update and delete land on both sides identically', async (t) => {
  const o = await open(t, settingsFor('dualwrite'))
  const entry = makeEntry({ tool: 'tool-dw', tags: ['a'], metadata: { n: 1 } })

  const created = await o.split.create(entry, { dedupe: false })
  t.equal(created.created, true)
  const blueCreated = await o.blue.get(entry.tool, entry.id)
  t.equal(blueCreated?.version, 1)
  t.strictSame(await o.green.get(entry.tool, entry.id), blueCreated, 'green holds the same entry as blue after create')

  const updated = await o.split.update(changed(entry, 'updated content'), { expectVersion: 1 })
  t.equal(updated.version, 2)
  const blueUpdated = await o.blue.get(entry.tool, entry.id)
  t.equal(blueUpdated?.content, 'updated content')
  t.strictSame(await o.green.get(entry.tool, entry.id), blueUpdated, 'green holds the same entry as blue after update')

  const tombstone = await o.split.delete(entry.tool, entry.id, { expectVersion: 2 })
  t.equal(tombstone?.version, 3)
  t.equal(await o.blue.get(entry.tool, entry.id), null)
  t.equal(await o.green.get(entry.tool, entry.id), null, 'the delete reached green')
  const greenRecord = await o.green.mirrorRecord(entry.tool, entry.id)
  t.equal(greenRecord?.kind, 'tombstone', 'green remembers the delete as a tombstone')
  t.equal(greenRecord?.kind === 'tombstone' ? greenRecord.tombstone.version : null, 3, 'with the delete version')
  t.strictSame(greenRecord, await o.blue.mirrorRecord(entry.tool, entry.id), "green's tombstone equals blue's")
  t.strictSame(o.observer.syncFailures, [])
  t.equal((await o.split.outboxStats()).pending, 0)
})

t.test('a failing mirror never fails the request; the outbox repair catches green up', async (t) => {
  const o = await open(t, settingsFor('dualwrite'))
  const tool = 'tool-mf'
  const a = makeEntry({ tool })
  const b = makeEntry({ tool })
  o.green.failing = true

  t.equal((await o.split.create(a, { dedupe: false })).entry.version, 1)
  t.equal((await o.split.create(b, { dedupe: false })).entry.version, 1)
  t.equal((await o.split.update(changed(a, 'a, updated while green is down'))).version, 2)
  t.equal((await o.split.delete(tool, b.id))?.version, 2)
  t.strictSame(o.observer.syncFailures, ['green', 'green', 'green', 'green'], 'each failed mirror is counted')
  t.equal((await o.split.outboxStats()).pending, 4, "every failed mirror left a row in blue's outbox")
  t.equal(await o.blue.get(tool, a.id).then((e) => e?.version), 2, 'blue has the writes')

  t.equal(await o.repair.runOnce(), 0, 'rows are not due before the retry delay')
  o.green.failing = false
  o.clock.advance(1_500)
  const rows = await o.blue.outboxClaim('green', 100, 0) // lease 0: the rows stay due
  t.equal(rows.length, 4, 'the rows target green')
  t.ok(rows.every((r) => r.target === 'green' && r.tool === tool && r.attempts === 1 && r.lastError !== null), 'each row records the failure')
  t.strictSame(await o.blue.outboxClaim('blue', 100, 0), [])

  t.equal(await o.repair.runOnce(), 4, 'the repair replays every row')
  await assertSidesEqual(t, o, [a, b])
  t.equal(await o.green.get(tool, b.id), null, 'the delete reached green')
  t.equal(await o.green.get(tool, a.id).then((e) => e?.content), 'a, updated while green is down')
  t.equal((await o.split.outboxStats()).pending, 0, 'the outbox is empty')
  t.equal((await o.green.outboxStats()).pending, 0)
})

t.test('write-ahead outbox: rows go before the write, landed mirrors and domain answers leave none', async (t) => {
  const o = await open(t, settingsFor('dualwrite'))
  const entry = makeEntry({ tool: 'tool-wa' })
  await o.split.create(entry, { dedupe: false })
  const outboxAdd = o.blue.calls.indexOf('outboxAdd')
  t.ok(outboxAdd >= 0 && outboxAdd < o.blue.calls.indexOf('create'), 'the outbox row is added on the primary before the write')
  t.equal((await o.split.outboxStats()).pending, 0, 'a mirrored write leaves no row once acks are flushed')

  await expectAppError(t, o.split.update(changed(entry, 'conflicting'), { expectVersion: 7 }), 'version_conflict')
  await expectAppError(t, o.split.delete(entry.tool, entry.id, { expectVersion: 7 }), 'version_conflict')
  t.equal((await o.split.outboxStats()).pending, 0, 'a write answered version_conflict leaves no row')
  t.equal((await o.green.get(entry.tool, entry.id))?.version, 1)

  // A backend failure of the primary write is ambiguous (it may have committed): the row stays.
  const lost = makeEntry({ tool: 'tool-wa' })
  o.blue.only = new Set(['create'])
  o.blue.failing = true
  await expectAppError(t, o.split.create(lost, { dedupe: false }), 'backend_unavailable')
  o.blue.failing = false
  t.equal((await o.split.outboxStats()).pending, 1, 'the write-ahead row of a failed primary write stays')
  o.clock.advance(31_000)
  t.equal(await o.repair.runOnce(), 1, 'once due, the row is replayed')
  t.equal(await o.green.get(lost.tool, lost.id), null, 'replaying a write that never happened brings nothing to green')
  t.equal((await o.split.outboxStats()).pending, 0)
})

t.test('green primary falls back to blue and loses nothing', async (t) => {
  const o = await open(t, settingsFor('live', { shadowReadPercent: 0 }))
  const tool = 'tool-fb'
  const before = makeEntry({ tool })
  await o.split.create(before, { dedupe: false })
  t.strictSame(o.since(), [op('green', 'write', 'primary'), op('blue', 'write', 'mirror')], 'green is the primary while healthy')
  t.equal((await o.split.outboxStats()).pending, 0)
  t.equal((await o.green.outboxStats()).pending, 0, "the landed mirror's row on green is removed (acks flushed)")

  o.green.failing = true
  const a = makeEntry({ tool })
  const created = await o.split.create(a, { dedupe: false })
  t.equal(created.entry.id, a.id)
  t.strictSame(o.since(), [op('green', 'write', 'primary', true), op('blue', 'write', 'fallback'), op('green', 'write', 'mirror', true)],
    'the write falls back to blue')
  const updated = await o.split.update(changed(before, 'updated while green is down'))
  t.equal(updated.version, 2)
  const doomed = makeEntry({ tool })
  await o.split.create(doomed, { dedupe: false })
  t.equal((await o.split.delete(tool, doomed.id))?.version, 2)
  o.since()

  t.ok(o.split.stale.isStale('green', tool), 'green is marked behind for the tool')
  const read = await o.split.get(tool, a.id)
  t.equal(read?.id, a.id, 'the read is served')
  t.strictSame(o.since(), [op('blue', 'read', 'fallback')], 'the read goes to blue without trying green, which is behind')
  t.equal((await o.split.get(tool, before.id))?.content, 'updated while green is down')

  o.green.failing = false
  o.clock.advance(1_500)
  t.equal(await o.repair.runOnce(), 4, 'every write made during the outage is replayed')
  t.notOk(o.split.stale.isStale('green', tool), 'the drained outbox clears the mark')
  await assertSidesEqual(t, o, [before, a, doomed])
  o.since()
  t.equal((await o.split.get(tool, before.id))?.content, 'updated while green is down', 'green serves the update made during the outage')
  t.equal(await o.split.get(tool, doomed.id), null)
  t.strictSame(o.since(), [op('green', 'read', 'primary'), op('green', 'read', 'primary')])
  t.equal((await o.split.outboxStats()).pending, 0)
  t.equal((await o.green.outboxStats()).pending, 0)
})

t.test('blue as primary never falls back to green', async (t) => {
  const o = await open(t, settingsFor('dualwrite'))
  const entry = makeEntry({ tool: 'tool-bp' })
  o.blue.failing = true
  await expectAppError(t, o.split.create(entry, { dedupe: false }), 'backend_unavailable')
  t.equal(o.observer.count({ role: 'fallback' }), 0, 'no fallback')
  t.equal(o.observer.count({ side: 'green', kind: 'write' }), 0, 'green was not written')
  t.equal(await o.green.get(entry.tool, entry.id), null)
})

t.test('upsertByKey over an existing key: the repair replays the key holder', async (t) => {
  const o = await open(t, settingsFor('dualwrite'))
  const tool = 'tool-up'
  const holder = makeEntry({ tool, key: 'profile', content: 'first' })
  await o.split.create(holder, { dedupe: false })
  t.equal((await o.green.findByKey(tool, 'profile'))?.id, holder.id)

  o.green.failing = true
  const incoming = makeEntry({ tool, key: 'profile', content: 'second' }) as MemoryEntry & { key: string }
  const result = await o.split.upsertByKey(incoming)
  t.equal(result.created, false)
  t.equal(result.entry.id, holder.id, 'the key holder keeps its id')
  t.equal(result.entry.version, 2)
  t.strictSame(o.observer.syncFailures, ['green'])

  t.equal((await o.split.outboxStats()).pending, 1)
  o.clock.advance(1_500)
  const rows = await o.blue.outboxClaim('green', 10, 0)
  t.equal(rows.length, 1)
  t.equal(rows[0]?.id, holder.id, 'after the failed mirror the row names the entry the write changed')
  t.equal(rows[0]?.key, 'profile', 'and the key')

  o.green.failing = false
  t.equal(await o.repair.runOnce(), 1)
  await assertSidesEqual(t, o, [holder])
  t.equal((await o.green.findByKey(tool, 'profile'))?.content, 'second', 'green has the upserted content')
  t.equal(await o.green.get(tool, incoming.id), null, 'no entry under the unused id')
  t.equal((await o.split.outboxStats()).pending, 0)

  // A write-ahead row left by a crash names the caller's id, which the upsert did not use: the
  // replay finds the entry through the key.
  const third = makeEntry({ tool, key: 'profile', content: 'third' }) as MemoryEntry & { key: string }
  await o.blue.upsertByKey(third) // as if the process died before mirroring
  await o.blue.outboxAdd({ target: 'green', tool, id: third.id, key: 'profile' }, 0)
  t.equal(await o.repair.runOnce(), 1)
  t.equal((await o.green.findByKey(tool, 'profile'))?.content, 'third', 'replayed through the key holder')
  await assertSidesEqual(t, o, [holder])
})

t.test('shadow reads', async (t) => {
  t.test('a difference that survives the re-check is one mismatch; equal entries match', async (t) => {
    const o = await open(t, settingsFor('shadow'))
    const tool = 'tool-sh'
    const a = makeEntry({ tool })
    const b = makeEntry({ tool })
    await o.split.create(a, { dedupe: false })
    await o.split.create(b, { dedupe: false })
    t.strictSame(o.observer.shadowResults, [])
    const stored = (await o.green.get(tool, a.id))!
    t.equal(await o.green.applyMirror({ kind: 'entry', entry: makeEntry({ ...stored, version: 2, content: 'planted only in green' }) }), 'applied')

    const blueGets = o.blue.callCount('get')
    const served = await o.split.get(tool, a.id)
    t.equal(served?.version, 1, 'the client gets blue')
    await waitFor(() => o.observer.shadowResults.length >= 1, 'the shadow compare of a')
    t.strictSame(o.observer.shadowResults, ['mismatch'])
    t.ok(o.blue.callCount('get') - blueGets >= 2, 'the mismatch was re-checked on the served side before it counted')

    t.equal((await o.split.get(tool, b.id))?.id, b.id)
    await waitFor(() => o.observer.shadowResults.length >= 2, 'the shadow compare of b')
    t.strictSame(o.observer.shadowResults, ['mismatch', 'match'])
  })

  t.test('a difference gone by the re-check is transient', async (t) => {
    const o = await open(t, settingsFor('shadow'), { recheckMs: 200 })
    const tool = 'tool-tr'
    const a = makeEntry({ tool })
    await o.split.create(a, { dedupe: false })
    const stored = (await o.green.get(tool, a.id))!
    const newer = makeEntry({ ...stored, version: 2, content: 'written to green first' })
    await o.green.applyMirror({ kind: 'entry', entry: newer })

    t.equal((await o.split.get(tool, a.id))?.version, 1)
    // The racing write reaches the served side right after the read: the sides agree again.
    await o.blue.applyMirror({ kind: 'entry', entry: newer })
    await waitFor(() => o.observer.shadowResults.length >= 1, 'the shadow compare')
    t.strictSame(o.observer.shadowResults, ['transient'])
  })

  t.test('a slow green times out without delaying the client', async (t) => {
    const o = await open(t, settingsFor('shadow'), { shadowDeadlineMs: 50 })
    const tool = 'tool-to'
    const a = makeEntry({ tool })
    await o.split.create(a, { dedupe: false })
    o.green.pause()
    const served = await o.split.get(tool, a.id)
    t.equal(served?.id, a.id)
    t.strictSame(o.observer.shadowResults, [], 'the read resolved while the shadow read was still running')
    t.ok(o.green.callCount('get') >= 1, 'the shadow read had started')
    await waitFor(() => o.observer.shadowResults.length >= 1, 'the shadow deadline')
    t.strictSame(o.observer.shadowResults, ['timeout'])
    o.green.resume()
  })

  t.test('shadow reads beyond maxInFlight are skipped', async (t) => {
    const o = await open(t, settingsFor('shadow'), { shadowMaxInFlight: 2, shadowDeadlineMs: 5_000 })
    const tool = 'tool-sk'
    const a = makeEntry({ tool })
    await o.split.create(a, { dedupe: false })
    o.green.pause()
    const reads = await Promise.all(Array.from({ length: 5 }, () => o.split.get(tool, a.id)))
    t.ok(reads.every((r) => r?.id === a.id), 'every read is served')
    t.strictSame(o.observer.shadowResults, ['skipped', 'skipped', 'skipped'], 'three of five are skipped while two are in flight')
    o.green.resume()
    await waitFor(() => o.observer.shadowResults.length >= 5, 'the two shadow compares in flight')
    t.strictSame(o.observer.shadowResults, ['skipped', 'skipped', 'skipped', 'match', 'match'])
  })
})

t.test('green that fails to initialise is retried; meanwhile its writes go to the outbox', async (t) => {
  const o = await open(t, settingsFor('dualwrite'), { greenInitRetryMs: 10, green: { failing: true, only: ['init'] } })
  t.equal(o.split.greenInitialised, false, 'split.init() resolved with green not initialised')
  const entry = makeEntry({ tool: 'tool-gi' })
  const created = await o.split.create(entry, { dedupe: false })
  t.equal(created.entry.version, 1, 'the write succeeds')
  t.strictSame(o.observer.syncFailures, ['green'])
  t.equal((await o.split.outboxStats()).pending, 1, 'its mirror waits in the outbox')
  t.equal(await o.green.get(entry.tool, entry.id), null)
  t.equal((await o.split.get(entry.tool, entry.id))?.id, entry.id, 'reads are served')

  o.green.failing = false
  await waitFor(() => o.split.greenInitialised, 'the green init retry')
  t.ok(o.green.callCount('init') >= 2, 'init was retried')
  o.clock.advance(1_500)
  t.equal(await o.repair.runOnce(), 1)
  await assertSidesEqual(t, o, [entry])
  t.equal((await o.split.outboxStats()).pending, 0)
})

t.test('close() is idempotent and closes both sides', async (t) => {
  const clock = createClock()
  const blue = new FaultyStore(createInMemoryStore({ now: clock.now }))
  const green = new FaultyStore(createInMemoryStore({ now: clock.now }))
  const { split } = splitOver(blue, green, settingsFor('dualwrite'))
  await split.init()
  await split.create(makeEntry({ tool: 'tool-cl' }), { dedupe: false })
  await split.close()
  await split.close()
  t.equal(blue.callCount('close'), 1, 'blue closed once')
  t.equal(green.callCount('close'), 1, 'green closed once')
  await expectAppError(t, blue.ping(), 'backend_unavailable', 'blue is closed')
  await expectAppError(t, green.ping(), 'backend_unavailable', 'green is closed')
})
