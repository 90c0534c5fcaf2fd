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

t.test('version_conflict reports the current version', async (t) => {
  const store = createInMemoryStore()
  const entry = makeEntry()
  await store.create(entry, { dedupe: false })
  const err = await store.update(entry, { expectVersion: 5 }).then(() => null, (e: unknown) => e)
  t.match(err, { code: 'version_conflict', extensions: { currentVersion: 1 } })
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
