import t from 'tap'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import { makeEntry } from '../helpers/entries.js'
import { createClock, memoryStoreSuite } from '../conformance/memory-store.suite.js'

t.test('in-memory store conformance', async (t) => {
  memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) => createInMemoryStore({ now: clock.now }))
})

t.test('backend label is memory', async (t) => {
  t.equal(createInMemoryStore().backend, 'memory')
})

t.test('expiry uses Date.now when no clock is given', async (t) => {
  const store = createInMemoryStore()
  await store.init()
  const past = makeEntry({ expiresAt: new Date(Date.now() - 1) })
  const future = makeEntry({ expiresAt: new Date(Date.now() + 3_600_000) })
  await store.create(past, { dedupe: false })
  await store.create(future, { dedupe: false })
  t.equal(await store.get(past.tool, past.id), null, 'expired by the real clock')
  t.equal((await store.get(future.tool, future.id))?.id, future.id, 'not yet expired')
  await store.close()
})

t.test('a local delete is remembered like a mirrored tombstone', async (t) => {
  const store = createInMemoryStore({ now: createClock().now })
  const entry = makeEntry()
  await store.create(entry, { dedupe: false })
  const tombstone = await store.delete(entry.tool, entry.id)
  t.equal(await store.applyMirror({ kind: 'entry', entry: { ...entry, version: 1 } }), 'stale', 'older entry cannot resurrect it')
  t.equal(await store.applyMirror({ kind: 'tombstone', tombstone: tombstone! }), 'stale', 'its own tombstone is a repeat')
  t.equal(await store.applyMirror({ kind: 'entry', entry: { ...entry, version: 3 } }), 'applied', 'a newer version applies')
  await store.close()
})

t.test('version_conflict reports the current version, null when absent', async (t) => {
  const store = createInMemoryStore()
  const entry = makeEntry()
  await store.create(entry, { dedupe: false })
  const err = await store.update(entry, { expectVersion: 5 }).then(() => null, (e: unknown) => e)
  t.match(err, { code: 'version_conflict', detail: 'the entry is at version 1', extensions: { currentVersion: 1 } })
  const absent = await store.delete(entry.tool, makeEntry().id, { expectVersion: 1 }).then(() => null, (e: unknown) => e)
  t.match(absent, { code: 'version_conflict', detail: 'the entry does not exist', extensions: { currentVersion: null } })
  await store.close()
})

t.test('tombstone deletedAt comes from the store clock', async (t) => {
  const clock = createClock(1_700_000_000_000)
  const store = createInMemoryStore({ now: clock.now })
  const entry = makeEntry()
  await store.create(entry, { dedupe: false })
  clock.advance(5)
  t.equal((await store.delete(entry.tool, entry.id))?.deletedAt.getTime(), 1_700_000_000_005)
  await store.close()
})

t.test('init after close fails', async (t) => {
  const store = createInMemoryStore()
  await store.close()
  await t.rejects(store.init(), { code: 'backend_unavailable' })
})

t.test('a value that cannot be cloned is rejected and leaves nothing half-written', async (t) => {
  const store = createInMemoryStore({ now: createClock().now })
  const uncloneable = { fn: () => 1 } as unknown as Record<string, unknown>
  const entry = makeEntry({ key: 'k' })
  await t.rejects(store.create({ ...entry, metadata: uncloneable }, { dedupe: false }), 'create rejects')
  t.equal(await store.get(entry.tool, entry.id), null, 'no entry stored')
  t.equal(await store.findByKey(entry.tool, 'k'), null, 'no key indexed')
  await store.create(entry, { dedupe: false })
  await t.rejects(store.update({ ...entry, content: 'changed', metadata: uncloneable }), 'update rejects')
  t.same(await store.get(entry.tool, entry.id), { ...entry, version: 1 }, 'the entry is unchanged')
  await store.close()
})

t.test('tombstoneRetentionMs sets how long deletes are remembered', async (t) => {
  const clock = createClock()
  const store = createInMemoryStore({ now: clock.now, tombstoneRetentionMs: 1000 })
  const entry = makeEntry()
  await store.create(entry, { dedupe: false })
  await store.delete(entry.tool, entry.id)
  clock.advance(999)
  await store.purgeExpired(clock.now(), 10)
  t.equal(await store.applyMirror({ kind: 'entry', entry }), 'stale', 'kept before the retention')
  clock.advance(1)
  await store.purgeExpired(clock.now(), 10)
  t.equal(await store.applyMirror({ kind: 'entry', entry }), 'applied', 'forgotten at the retention')
  const forever = createInMemoryStore({ now: clock.now, tombstoneRetentionMs: Infinity })
  await forever.create(entry, { dedupe: false })
  await forever.delete(entry.tool, entry.id)
  clock.advance(100 * 365 * 86_400_000)
  await forever.purgeExpired(clock.now(), 10)
  t.equal(await forever.applyMirror({ kind: 'entry', entry }), 'stale', 'Infinity keeps tombstones')
  t.throws(() => createInMemoryStore({ tombstoneRetentionMs: -1 }), RangeError, 'a negative retention is refused')
  t.throws(() => createInMemoryStore({ tombstoneRetentionMs: Number.NaN }), RangeError, 'NaN is refused')
  await store.close()
  await forever.close()
})
