/** Conformance: single-entry reads and writes (create, get*, find*, update, upsertByKey, delete). */
import { isAppError } from '../../src/errors/app-error.js'
import { makeEntry } from '../helpers/entries.js'
import { asCreated, expectAppError, ids, type StoreTest } from './suite-kit.js'

/** `extensions.currentVersion` of the version_conflict `promise` rejects with ('no conflict' otherwise). */
async function currentVersionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'no conflict',
    (err: unknown) => (isAppError(err) && err.code === 'version_conflict' ? err.extensions?.currentVersion : String(err)),
  )
}

export function crudTests(test: StoreTest): void {
  test('create then get round-trips every field', async ({ t, store, clock, tool }) => {
    const entry = makeEntry({
      tool: tool(),
      type: 'preference.ui',
      key: 'theme/colour',
      content: '# Dark mode ✓\nUser prefers "dark" themes — naïve café 🌙',
      contentType: 'text/markdown',
      metadata: { source: 'chat', nested: { n: 1, list: [true, null, 'x'] } },
      tags: ['ui', 'pref:theme'],
      importance: 0.25,
      visibility: 'shared',
      tokens: 17,
      version: 7,
      createdAt: new Date(clock.now() - 5_000),
      updatedAt: new Date(clock.now() - 1_000),
      expiresAt: new Date(clock.now() + 3_600_000),
      lastAccessedAt: new Date(clock.now() - 500),
      accessCount: 3,
    })
    const result = await store.create(entry, { dedupe: true })
    t.equal(result.created, true, 'created')
    t.strictSame(result.entry, asCreated(entry), 'create returns the entry with version 1')
    t.strictSame(await store.get(entry.tool, entry.id), asCreated(entry), 'get returns every field')
  })

  test('get returns null for a missing id and for another tool', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool() })
    await store.create(entry, { dedupe: false })
    t.equal(await store.get(entry.tool, makeEntry().id), null, 'missing id')
    t.equal(await store.get(tool('other'), entry.id), null, 'other tool')
  })

  test('returned entries are copies the caller may mutate', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), tags: ['a'], metadata: { k: 'v' } })
    const original = structuredClone(asCreated(entry))
    const { entry: created } = await store.create(entry, { dedupe: false })
    created.tags.push('mutated')
    created.metadata.k = 'mutated'
    entry.tags.push('input-mutated')
    const read = await store.get(entry.tool, entry.id)
    t.strictSame(read, original, 'stored state unaffected by mutations of input or output')
    read!.content = 'changed'
    t.strictSame(await store.get(entry.tool, entry.id), original, 'unaffected by mutating a read')
  })

  test('getById finds an entry whatever its tool', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool('owner') })
    await store.create(entry, { dedupe: false })
    t.strictSame(await store.getById(entry.id), asCreated(entry), 'found')
    t.equal(await store.getById(makeEntry().id), null, 'missing id')
  })

  test('getMany keeps the order of ids and skips missing and foreign ids', async ({ t, store, tool }) => {
    const [a, b, c] = [makeEntry({ tool: tool() }), makeEntry({ tool: tool() }), makeEntry({ tool: tool() })]
    const foreign = makeEntry({ tool: tool('b') })
    for (const e of [a!, b!, c!, foreign]) await store.create(e, { dedupe: false })
    const found = await store.getMany(tool(), [c!.id, makeEntry().id, a!.id, foreign.id, b!.id])
    t.strictSame(ids(found), [c!.id, a!.id, b!.id], 'order of ids, missing and foreign skipped')
    t.strictSame(found[0], asCreated(c!), 'whole entries')
    t.strictSame(await store.getMany(tool(), []), [], 'no ids, no entries')
  })

  test('findByHash returns the tool\'s entries with that hash, oldest first', async ({ t, store, tool }) => {
    const content = `shared content ${tool()}`
    const first = makeEntry({ tool: tool(), content, type: 'fact' })
    const second = makeEntry({ tool: tool(), content, type: 'episode' })
    const keyed = makeEntry({ tool: tool(), content, key: 'k1' })
    const elsewhere = makeEntry({ tool: tool('b'), content })
    const different = makeEntry({ tool: tool() })
    for (const e of [first, second, keyed, elsewhere, different]) await store.create(e, { dedupe: false })
    const found = await store.findByHash(tool(), first.contentHash)
    t.strictSame(ids(found), [first.id, second.id, keyed.id], 'same tool and hash, oldest first')
    t.strictSame(found[0], asCreated(first), 'whole entries')
    t.strictSame(await store.findByHash(tool('none'), first.contentHash), [], 'no entries for another tool')
  })

  test('findByKey returns the tool\'s entry with that key', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), key: 'profile/name' })
    await store.create(entry, { dedupe: false })
    t.strictSame(await store.findByKey(tool(), 'profile/name'), asCreated(entry), 'found')
    t.equal(await store.findByKey(tool(), 'profile/other'), null, 'other key')
    t.equal(await store.findByKey(tool('b'), 'profile/name'), null, 'same key, other tool')
  })

  test('keys are unique per tool', async ({ t, store, tool }) => {
    const a = makeEntry({ tool: tool(), key: 'same' })
    const b = makeEntry({ tool: tool('b'), key: 'same' })
    t.equal((await store.create(a, { dedupe: false })).created, true, 'first tool')
    t.equal((await store.create(b, { dedupe: false })).created, true, 'same key in another tool is fine')
    const clash = makeEntry({ tool: tool(), key: 'same' })
    await expectAppError(t, store.create(clash, { dedupe: true }), 'key_conflict', 'same key in one tool')
    t.equal(await store.get(clash.tool, clash.id), null, 'the clashing entry was not stored')
    t.strictSame(await store.findByKey(tool(), 'same'), asCreated(a), 'the key still names the first entry')
  })

  test('dedupe returns the existing keyless entry with the same type and content', async ({ t, store, tool }) => {
    const first = makeEntry({ tool: tool(), content: 'I like tea' })
    await store.create(first, { dedupe: true })
    const again = makeEntry({ tool: tool(), content: 'I like tea', tags: ['x'] })
    const result = await store.create(again, { dedupe: true })
    t.equal(result.created, false, 'not created')
    t.strictSame(result.entry, asCreated(first), 'the first entry is returned')
    t.equal(await store.get(again.tool, again.id), null, 'nothing inserted')
    const otherType = await store.create(makeEntry({ tool: tool(), content: 'I like tea', type: 'preference' }), { dedupe: true })
    t.equal(otherType.created, true, 'another type is a new entry')
    const otherTool = await store.create(makeEntry({ tool: tool('b'), content: 'I like tea' }), { dedupe: true })
    t.equal(otherTool.created, true, 'another tool is a new entry')
  })

  test('without dedupe, duplicate keyless content is duplicate_content', async ({ t, store, tool }) => {
    const first = makeEntry({ tool: tool(), content: 'duplicate me' })
    await store.create(first, { dedupe: false })
    const again = makeEntry({ tool: tool(), content: 'duplicate me' })
    await expectAppError(t, store.create(again, { dedupe: false }), 'duplicate_content')
    t.equal(await store.get(again.tool, again.id), null, 'nothing inserted')
  })

  test('keyed entries never dedupe or conflict on content', async ({ t, store, tool }) => {
    const keyless = makeEntry({ tool: tool(), content: 'same text' })
    await store.create(keyless, { dedupe: false })
    const keyed = await store.create(makeEntry({ tool: tool(), content: 'same text', key: 'k1' }), { dedupe: true })
    t.equal(keyed.created, true, 'keyed entry with the content of a keyless one is created')
    const keyed2 = await store.create(makeEntry({ tool: tool(), content: 'same text', key: 'k2' }), { dedupe: false })
    t.equal(keyed2.created, true, 'two keyed entries may share content')
    t.equal((await store.findByHash(tool(), keyless.contentHash)).length, 3, 'three entries share the hash')
  })

  test('create on an id that already exists is version_conflict', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool() })
    await store.create(entry, { dedupe: false })
    const again = makeEntry({ ...entry, content: 'other content' })
    await expectAppError(t, store.create(again, { dedupe: false }), 'version_conflict')
    t.strictSame(await store.get(entry.tool, entry.id), asCreated(entry), 'unchanged')
  })

  test('update replaces fields, bumps the version, keeps identity, createdAt and access data', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), key: 'k', accessCount: 2, lastAccessedAt: new Date(1_700_000_000_000) })
    await store.create(entry, { dedupe: false })
    const change = makeEntry({
      ...entry, content: 'rewritten', type: 'summary', key: 'k2', tags: ['new'], metadata: { a: 1 },
      importance: 0.9, visibility: 'shared', tokens: 1, updatedAt: new Date(entry.updatedAt.getTime() + 10),
      createdAt: new Date(0), lastAccessedAt: null, accessCount: 99, version: 42,
    })
    const updated = await store.update(change)
    const expected = { ...change, createdAt: entry.createdAt, lastAccessedAt: entry.lastAccessedAt, accessCount: 2, version: 2 }
    t.strictSame(updated, expected, 'returned entry')
    t.strictSame(await store.get(entry.tool, entry.id), expected, 'stored entry')
    t.equal(await store.findByKey(tool(), 'k'), null, 'the old key is free')
    t.equal((await store.update({ ...change, content: 'third' }, { expectVersion: 2 })).version, 3, 'matching expectVersion')
  })

  test('update with a stale expectVersion is version_conflict and changes nothing', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool() })
    await store.create(entry, { dedupe: false })
    await store.update({ ...entry, content: 'v2' })
    await expectAppError(t, store.update({ ...entry, content: 'v3' }, { expectVersion: 1 }), 'version_conflict')
    await expectAppError(t, store.update({ ...entry, content: 'v3' }, { expectVersion: 0 }), 'version_conflict', 'expectVersion 0')
    const stored = await store.get(entry.tool, entry.id)
    t.equal(stored?.version, 2, 'version unchanged')
    t.equal(stored?.content, 'v2', 'content unchanged')
  })

  test('update of a missing entry is not_found', async ({ t, store, tool }) => {
    await expectAppError(t, store.update(makeEntry({ tool: tool() })), 'not_found')
    const entry = makeEntry({ tool: tool() })
    await store.create(entry, { dedupe: false })
    await expectAppError(t, store.update({ ...entry, tool: tool('b') }), 'not_found', 'same id, other tool')
  })

  test('update respects key and keyless content uniqueness', async ({ t, store, tool }) => {
    const holder = makeEntry({ tool: tool(), key: 'taken' })
    const keyless = makeEntry({ tool: tool(), content: 'taken content' })
    const entry = makeEntry({ tool: tool() })
    for (const e of [holder, keyless, entry]) await store.create(e, { dedupe: false })
    await expectAppError(t, store.update({ ...entry, key: 'taken' }), 'key_conflict')
    await expectAppError(t, store.update(makeEntry({ ...entry, content: 'taken content' })), 'duplicate_content')
    t.equal((await store.get(entry.tool, entry.id))?.version, 1, 'unchanged by the failed updates')
    const keyed = await store.update(makeEntry({ ...entry, content: 'taken content', key: 'mine' }))
    t.equal(keyed.version, 2, 'a keyed entry may take content a keyless entry has')
    const same = await store.update(makeEntry({ ...keyless, tags: ['t'] }))
    t.equal(same.version, 2, 'an entry does not conflict with itself')
  })

  test('upsertByKey inserts, then replaces keeping id and createdAt', async ({ t, store, tool }) => {
    const first = makeEntry({ tool: tool(), key: 'slot' })
    const inserted = await store.upsertByKey({ ...first, key: 'slot' })
    t.equal(inserted.created, true, 'inserted')
    t.strictSame(inserted.entry, asCreated(first), 'inserted as given with version 1')
    const second = makeEntry({ tool: tool(), key: 'slot', content: 'replacement', createdAt: new Date(0) })
    const replaced = await store.upsertByKey({ ...second, key: 'slot' })
    t.equal(replaced.created, false, 'replaced')
    const expected = { ...second, id: first.id, createdAt: first.createdAt, version: 2 }
    t.strictSame(replaced.entry, expected, 'id and createdAt kept, version 2')
    t.strictSame(await store.findByKey(tool(), 'slot'), expected, 'findByKey sees the replacement')
    t.equal(await store.get(second.tool, second.id), null, 'the new id was not used')
  })

  test('upsertByKey honours expectVersion', async ({ t, store, tool }) => {
    const entry = { ...makeEntry({ tool: tool(), key: 'slot' }), key: 'slot' }
    await expectAppError(t, store.upsertByKey(entry, { expectVersion: 3 }), 'version_conflict', 'absent key, version 3')
    t.equal((await store.upsertByKey(entry, { expectVersion: 0 })).created, true, 'expectVersion 0 creates')
    await expectAppError(t, store.upsertByKey({ ...entry, content: 'x' }, { expectVersion: 0 }), 'version_conflict', 'create-only on an existing key')
    await expectAppError(t, store.upsertByKey({ ...entry, content: 'x' }, { expectVersion: 2 }), 'version_conflict', 'stale')
    t.equal((await store.findByKey(tool(), 'slot'))?.version, 1, 'unchanged')
    t.equal((await store.upsertByKey({ ...entry, content: 'y' }, { expectVersion: 1 })).entry.version, 2, 'matching version')
  })

  test('delete returns a tombstone; a second delete returns null', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), key: 'gone' })
    await store.create(entry, { dedupe: false })
    await store.update({ ...entry, content: 'v2' })
    const tombstone = await store.delete(entry.tool, entry.id)
    t.equal(tombstone?.tool, entry.tool, 'tombstone tool')
    t.equal(tombstone?.id, entry.id, 'tombstone id')
    t.equal(tombstone?.version, 3, 'version = stored + 1')
    t.ok(tombstone?.deletedAt instanceof Date, 'deletedAt is a Date')
    t.equal(await store.get(entry.tool, entry.id), null, 'gone')
    t.equal(await store.delete(entry.tool, entry.id), null, 'second delete')
    t.equal((await store.create(makeEntry({ tool: tool(), key: 'gone' }), { dedupe: false })).created, true, 'key reusable')
  })

  test('delete honours expectVersion', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool() })
    await store.create(entry, { dedupe: false })
    await expectAppError(t, store.delete(entry.tool, entry.id, { expectVersion: 2 }), 'version_conflict', 'stale')
    await expectAppError(t, store.delete(entry.tool, entry.id, { expectVersion: 0 }), 'version_conflict', 'must-not-exist')
    t.strictSame(await store.get(entry.tool, entry.id), asCreated(entry), 'kept')
    t.equal((await store.delete(entry.tool, entry.id, { expectVersion: 1 }))?.version, 2, 'matching version deletes')
    await expectAppError(t, store.delete(entry.tool, entry.id, { expectVersion: 1 }), 'version_conflict', 'absent with a version')
    t.equal(await store.delete(entry.tool, entry.id, { expectVersion: 0 }), null, 'absent with expectVersion 0')
  })

  test('version_conflict reports the current version, or null for an absent entry', async ({ t, store, tool }) => {
    const entry = makeEntry({ tool: tool(), key: 'k' })
    await store.create(entry, { dedupe: false })
    await store.update({ ...entry, content: 'v2' })
    t.equal(await currentVersionOf(store.update({ ...entry, content: 'v3' }, { expectVersion: 1 })), 2, 'update')
    t.equal(await currentVersionOf(store.upsertByKey({ ...entry, key: 'k' }, { expectVersion: 1 })), 2, 'upsertByKey')
    t.equal(await currentVersionOf(store.upsertByKey({ ...entry, key: 'k' }, { expectVersion: 0 })), 2, 'upsertByKey create-only')
    t.equal(await currentVersionOf(store.delete(entry.tool, entry.id, { expectVersion: 1 })), 2, 'delete')
    t.equal(await currentVersionOf(store.create({ ...entry, content: 'again' }, { dedupe: false })), 2, 'create on a taken id')
    const absent = makeEntry({ tool: tool(), key: 'absent' })
    t.equal(await currentVersionOf(store.delete(absent.tool, absent.id, { expectVersion: 1 })), null, 'delete of an absent entry')
    t.equal(await currentVersionOf(store.upsertByKey({ ...absent, key: 'absent' }, { expectVersion: 1 })), null,
      'upsertByKey of an absent key')
  })
}
