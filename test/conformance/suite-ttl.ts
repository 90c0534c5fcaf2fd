/** Conformance: expiry by the store's clock (`expiresAt <= now` is expired) and purgeExpired. */
import { makeEntry } from '../helpers/entries.js'
import { asCreated, expectAppError, ids, ownAccess, type StoreTest } from './suite-kit.js'

const MINUTE = 60_000

export function ttlTests(test: StoreTest): void {
  test('an entry is visible until expiresAt, then invisible to every read', async ({ t, store, clock, tool }) => {
    const word = `ephemeral${tool().replace(/[^a-z0-9]/g, '')}`
    const entry = makeEntry({
      tool: tool(), key: 'short-lived', content: `an ${word} memory`, tokens: 3, expiresAt: new Date(clock.now() + MINUTE),
    })
    await store.create(entry, { dedupe: false })
    const filter = { access: ownAccess(tool()) }
    const reads = async () => ({
      get: await store.get(entry.tool, entry.id),
      getById: await store.getById(entry.id),
      getMany: ids(await store.getMany(entry.tool, [entry.id])),
      findByKey: await store.findByKey(entry.tool, 'short-lived'),
      findByHash: ids(await store.findByHash(entry.tool, entry.contentHash)),
      query: ids((await store.query(filter, null, 10)).items),
      fulltext: ids((await store.search({ text: word, mode: 'fulltext', filter, limit: 10 })).map((h) => h.entry)),
      substring: ids((await store.search({ text: word, mode: 'substring', filter, limit: 10 })).map((h) => h.entry)),
      stats: (await store.stats()).tools.find((s) => s.tool === entry.tool)?.entries ?? 0,
      scan: ids(await store.scan({ tool: entry.tool, id: '00000000-0000-0000-0000-000000000000' }, 1000)).filter((id) => id === entry.id),
    })
    clock.advance(MINUTE - 1)
    t.strictSame(await reads(), {
      get: asCreated(entry), getById: asCreated(entry), getMany: [entry.id], findByKey: asCreated(entry),
      findByHash: [entry.id], query: [entry.id], fulltext: [entry.id], substring: [entry.id], stats: 1, scan: [entry.id],
    }, 'visible 1 ms before expiresAt')
    clock.advance(1)
    t.strictSame(await reads(), {
      get: null, getById: null, getMany: [], findByKey: null, findByHash: [], query: [], fulltext: [], substring: [], stats: 0, scan: [],
    }, 'invisible at expiresAt')
  })

  test('an expired entry\'s key and content can be reused by create', async ({ t, store, clock, tool }) => {
    const expiresAt = new Date(clock.now() + MINUTE)
    const keyed = makeEntry({ tool: tool(), key: 'reuse', expiresAt })
    const keyless = makeEntry({ tool: tool(), content: 'reusable content', expiresAt })
    await store.create(keyed, { dedupe: false })
    await store.create(keyless, { dedupe: true })
    clock.advance(MINUTE)
    const byKey = makeEntry({ tool: tool(), key: 'reuse' })
    t.equal((await store.create(byKey, { dedupe: false })).created, true, 'key reused')
    t.strictSame(await store.findByKey(tool(), 'reuse'), asCreated(byKey), 'findByKey names the new entry')
    const again = makeEntry({ tool: tool(), content: 'reusable content' })
    const deduped = await store.create(again, { dedupe: true })
    t.equal(deduped.created, true, 'an expired entry is not a dedupe target')
    t.equal(deduped.entry.id, again.id, 'the new entry is returned')
    const third = makeEntry({ tool: tool(), content: 'reusable content 2', expiresAt: new Date(clock.now() + MINUTE) })
    await store.create(third, { dedupe: false })
    clock.advance(MINUTE)
    t.equal((await store.create(makeEntry({ tool: tool(), content: 'reusable content 2' }), { dedupe: false })).created, true,
      'content reused without dedupe')
  })

  test('writes treat expired entries as absent', async ({ t, store, clock, tool }) => {
    const entry = makeEntry({ tool: tool(), key: 'slot', expiresAt: new Date(clock.now() + MINUTE) })
    await store.create(entry, { dedupe: false })
    clock.advance(MINUTE + 1)
    await expectAppError(t, store.update({ ...entry, expiresAt: null }), 'not_found', 'update of an expired entry')
    t.equal(await store.delete(entry.tool, entry.id), null, 'delete of an expired entry returns null')
    const replacement = { ...makeEntry({ tool: tool(), key: 'slot' }), key: 'slot' }
    const upserted = await store.upsertByKey(replacement, { expectVersion: 0 })
    t.equal(upserted.created, true, 'upsertByKey inserts')
    t.strictSame(upserted.entry, asCreated(replacement), 'as a new entry with version 1')
  })

  test('expiry can be removed or extended by update', async ({ t, store, clock, tool }) => {
    const entry = makeEntry({ tool: tool(), expiresAt: new Date(clock.now() + MINUTE) })
    await store.create(entry, { dedupe: false })
    await store.update({ ...entry, expiresAt: null })
    clock.advance(2 * MINUTE)
    t.equal((await store.get(entry.tool, entry.id))?.expiresAt, null, 'still visible after the old expiry')
  })

  test('purgeExpired removes entries expired at its argument, up to the limit', async ({ t, store, clock, tool }) => {
    const at = clock.now() + MINUTE
    const expiring = [1, 2, 3].map((n) => makeEntry({ tool: tool(), expiresAt: new Date(at - n) }))
    const later = makeEntry({ tool: tool(), expiresAt: new Date(at + MINUTE) })
    const forever = makeEntry({ tool: tool() })
    for (const e of [...expiring, later, forever]) await store.create(e, { dedupe: false })
    t.equal(await store.purgeExpired(clock.now() - 1, 10), 0, 'nothing expired yet')
    t.equal(await store.purgeExpired(at, 2), 2, 'limited to 2 (the argument, not the store clock, decides)')
    t.equal(await store.purgeExpired(at, 10), 1, 'the rest')
    t.equal(await store.purgeExpired(at, 10), 0, 'nothing left')
    t.strictSame(ids(await store.getMany(tool(), [later.id, forever.id])), [later.id, forever.id], 'others kept')
    clock.advance(MINUTE)
    const gone = await store.applyMirror({ kind: 'entry', entry: { ...expiring[0]!, expiresAt: null } })
    t.equal(gone, 'applied', 'a purged row is physically gone (a mirror of it applies as new)')
  })
}
