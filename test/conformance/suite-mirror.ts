/** Conformance: applyMirror (dual-write and backfill): newer version wins, tombstones, any arrival order. */
import type { MemoryEntry, MirrorRecord, Tombstone } from '../../src/domain/memory/memory-entry.js'
import { DEFAULT_TOMBSTONE_RETENTION_MS, type MemoryStore } from '../../src/storage/memory-store.js'
import { makeEntry } from '../helpers/entries.js'
import type { StoreTest } from './suite-kit.js'

const entryRecord = (entry: MemoryEntry): MirrorRecord => ({ kind: 'entry', entry })
const tombstoneRecord = (tombstone: Tombstone): MirrorRecord => ({ kind: 'tombstone', tombstone })

function tombstoneOf(entry: MemoryEntry, version: number): Tombstone {
  return { tool: entry.tool, id: entry.id, version, deletedAt: new Date() }
}

export function mirrorTests(test: StoreTest): void {
  test('applyMirror stores a new entry exactly as given, version included', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), key: 'k', version: 5, accessCount: 4, lastAccessedAt: new Date(1_700_000_000_000) })
    t.equal(await store.applyMirror(entryRecord(entry)), 'applied')
    t.strictSame(await store.get(entry.tool, entry.id), entry, 'stored as given')
    t.strictSame(await store.findByKey(entry.tool, 'k'), entry, 'indexed by key')
  })

  test('applyMirror applies a newer version and ignores equal or older ones', async ({ t, store, tool }) => {
    const v2 = makeEntry({ tool: tool(), version: 2, content: 'second' })
    t.equal(await store.applyMirror(entryRecord(v2)), 'applied', 'first arrival')
    t.equal(await store.applyMirror(entryRecord({ ...v2, content: 'other v2' })), 'stale', 'equal version')
    t.equal(await store.applyMirror(entryRecord(makeEntry({ ...v2, version: 1, content: 'first' }))), 'stale', 'older version')
    t.strictSame(await store.get(v2.tool, v2.id), v2, 'v2 kept')
    const v3 = makeEntry({ ...v2, version: 3, content: 'third' })
    t.equal(await store.applyMirror(entryRecord(v3)), 'applied', 'newer version')
    t.strictSame(await store.get(v2.tool, v2.id), v3, 'v3 stored')
  })

  test('applyMirror over an entry created locally compares with its version', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool() })
    await store.create(entry, { dedupe: false })
    t.equal(await store.applyMirror(entryRecord({ ...entry, version: 1, content: 'x' })), 'stale', 'same version')
    const v2 = makeEntry({ ...entry, version: 2, content: 'mirrored v2' })
    t.equal(await store.applyMirror(entryRecord(v2)), 'applied', 'newer version')
    t.strictSame(await store.get(entry.tool, entry.id), v2)
  })

  test('a tombstone removes a lower version and blocks its resurrection', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), version: 3, key: 'k' })
    await store.applyMirror(entryRecord(entry))
    t.equal(await store.applyMirror(tombstoneRecord(tombstoneOf(entry, 4))), 'applied', 'tombstone applied')
    t.equal(await store.get(entry.tool, entry.id), null, 'entry removed')
    t.equal(await store.findByKey(entry.tool, 'k'), null, 'key index updated')
    t.equal(await store.applyMirror(entryRecord(entry)), 'stale', 'older entry arriving later is stale')
    t.equal(await store.applyMirror(entryRecord({ ...entry, version: 4 })), 'stale', 'entry at the tombstone version is stale')
    t.equal(await store.get(entry.tool, entry.id), null, 'still gone')
    t.equal(await store.applyMirror(tombstoneRecord(tombstoneOf(entry, 4))), 'stale', 'repeated tombstone')
    t.equal(await store.applyMirror(tombstoneRecord(tombstoneOf(entry, 2))), 'stale', 'older tombstone')
    const v5 = makeEntry({ ...entry, version: 5, content: 'revived by a newer version' })
    t.equal(await store.applyMirror(entryRecord(v5)), 'applied', 'entry newer than the tombstone')
    t.strictSame(await store.get(entry.tool, entry.id), v5)
  })

  test('a tombstone older than or equal to the stored entry is stale', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), version: 4 })
    await store.applyMirror(entryRecord(entry))
    t.equal(await store.applyMirror(tombstoneRecord(tombstoneOf(entry, 3))), 'stale', 'older')
    t.equal(await store.applyMirror(tombstoneRecord(tombstoneOf(entry, 4))), 'stale', 'equal')
    t.strictSame(await store.get(entry.tool, entry.id), entry, 'entry kept')
  })

  test('a tombstone arriving before its entry is remembered', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), version: 2 })
    t.equal(await store.applyMirror(tombstoneRecord(tombstoneOf(entry, 3))), 'applied', 'tombstone for an unseen id')
    t.equal(await store.applyMirror(entryRecord(entry)), 'stale', 'the older entry arrives later')
    t.equal(await store.applyMirror(entryRecord({ ...entry, version: 1 })), 'stale', 'and an even older one')
    t.equal(await store.get(entry.tool, entry.id), null, 'never resurrected')
  })

  test('mirrored histories converge whatever the arrival order', async ({ t, store: primary, otherStore, tool }) => {
    const records: MirrorRecord[] = []
    const kept = makeEntry({ tool: tool(), key: 'kept' })
    records.push(entryRecord((await primary.create(kept, { dedupe: false })).entry))
    records.push(entryRecord(await primary.update({ ...kept, content: 'kept v2' })))
    records.push(entryRecord(await primary.update({ ...makeEntry({ ...kept, content: 'kept v3' }), tags: ['x'] })))
    const dropped = makeEntry({ tool: tool('b'), key: 'dropped' })
    records.push(entryRecord((await primary.create(dropped, { dedupe: false })).entry))
    records.push(entryRecord(await primary.update({ ...dropped, content: 'dropped v2' })))
    records.push(tombstoneRecord((await primary.delete(dropped.tool, dropped.id))!))
    const orders = [records, [...records].reverse(), [1, 4, 5, 0, 2, 3].map((i) => records[i]!)]
    for (const [n, order] of orders.entries()) {
      const replica: MemoryStore = await otherStore()
      for (const record of order) await replica.applyMirror(record)
      t.strictSame(await replica.get(kept.tool, kept.id), await primary.get(kept.tool, kept.id), `order ${n}: kept entry`)
      t.equal(await replica.get(dropped.tool, dropped.id), null, `order ${n}: deleted entry absent`)
      const again = await Promise.all(records.map((r) => replica.applyMirror(r)))
      t.strictSame(again, records.map(() => 'stale'), `order ${n}: replaying everything is stale`)
    }
  })

  test('a mirrored entry displaces a stale holder of its key or keyless content', async ({ t, store, tool }) => {
    const oldHolder = makeEntry({ tool: tool(), key: 'k', version: 1 })
    await store.applyMirror(entryRecord(oldHolder))
    const newHolder = makeEntry({ tool: tool(), key: 'k', version: 1 })
    t.equal(await store.applyMirror(entryRecord(newHolder)), 'applied', 'the key moves to the mirrored entry')
    t.strictSame(await store.findByKey(tool(), 'k'), newHolder, 'findByKey names the new holder')
    t.equal(await store.get(oldHolder.tool, oldHolder.id), null, 'the displaced row is gone')
    const renamed = makeEntry({ ...oldHolder, key: 'k-old', version: 2 })
    t.equal(await store.applyMirror(entryRecord(renamed)), 'applied', 'its later version still applies')
    const first = makeEntry({ tool: tool(), content: 'same content', version: 1 })
    const second = makeEntry({ tool: tool(), content: 'same content', version: 1 })
    await store.applyMirror(entryRecord(first))
    t.equal(await store.applyMirror(entryRecord(second)), 'applied', 'keyless content moves too')
    t.strictSame(await store.findByHash(tool(), first.contentHash), [second], 'one keyless entry with the content')
  })

  test('purgeExpired forgets tombstones older than the retention, keeps younger ones', async ({ t, store, clock, tool }) => {
    // The retention trade-off: tombstones cannot be kept forever, so a mirror or backfill record older
    // than the retention (DEFAULT_TOMBSTONE_RETENTION_MS, 7 days, in these stores) can resurrect an
    // entry deleted before then. Mirrors and backfills must finish within the retention.
    const retention = DEFAULT_TOMBSTONE_RETENTION_MS
    const deletedLocally = makeEntry({ tool: tool() })
    await store.create(deletedLocally, { dedupe: false })
    await store.delete(deletedLocally.tool, deletedLocally.id)
    const mirroredAway = makeEntry({ tool: tool(), version: 2 })
    t.equal(await store.applyMirror(tombstoneRecord({ ...tombstoneOf(mirroredAway, 3), deletedAt: new Date(clock.now()) })),
      'applied', 'a mirrored tombstone')
    clock.advance(retention / 2)
    const young = makeEntry({ tool: tool() })
    await store.create(young, { dedupe: false })
    await store.delete(young.tool, young.id)
    clock.advance(retention / 2 - 1)
    await store.purgeExpired(clock.now(), 100)
    t.equal(await store.applyMirror(entryRecord(asVersion(deletedLocally, 1))), 'stale', 'one ms short of the retention: kept')
    clock.advance(1)
    t.equal(await store.purgeExpired(clock.now(), 100), 0, 'tombstones are not counted as purged entries')
    t.equal(await store.applyMirror(entryRecord(asVersion(young, 1))), 'stale', 'a younger tombstone is kept')
    t.equal(await store.applyMirror(entryRecord(asVersion(deletedLocally, 1))), 'applied',
      'a tombstone as old as the retention is gone: the older entry is applied again')
    t.equal(await store.applyMirror(entryRecord(mirroredAway)), 'applied', 'also for a mirrored tombstone')
    t.strictSame(await store.get(mirroredAway.tool, mirroredAway.id), mirroredAway, 'the entry is back')
  })
}

function asVersion(entry: MemoryEntry, version: number): MemoryEntry {
  return { ...entry, version }
}
