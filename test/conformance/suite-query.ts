/** Conformance: query (filters, access, keyset pagination newest first, cursors). */
import type { EntryFilter, MemoryStore } from '../../src/storage/memory-store.js'
import { makeEntry } from '../helpers/entries.js'
import { createAll, expectAppError, ids, newestFirst, ownAccess, type StoreTest, toolsFilter } from './suite-kit.js'


/** Every page of `filter`, following cursors; `between` runs after each page. */
async function allPages(store: MemoryStore, filter: EntryFilter, limit: number, between?: () => Promise<void>) {
  const pages: string[][] = []
  let cursor: string | null = null
  do {
    const page = await store.query(filter, cursor, limit)
    pages.push(ids(page.items))
    cursor = page.nextCursor
    if (between) await between()
  } while (cursor !== null && pages.length < 100)
  return pages
}

export function queryTests(test: StoreTest): void {
  test('query filters by type, tags (all of), key and visibility', async ({ t, store, tool }) => {
    const [fact, pref, tagged, both, keyed, shared] = await createAll(store, [
      makeEntry({ tool: tool(), type: 'fact' }),
      makeEntry({ tool: tool(), type: 'preference' }),
      makeEntry({ tool: tool(), tags: ['red'] }),
      makeEntry({ tool: tool(), tags: ['red', 'blue', 'green'] }),
      makeEntry({ tool: tool(), key: 'the-key', type: 'episode' }),
      makeEntry({ tool: tool(), visibility: 'shared', type: 'preference' }),
    ])
    const q = async (extra: Partial<EntryFilter>) => ids((await store.query(toolsFilter([tool()], extra), null, 50)).items)
    t.strictSame(await q({}), newestFirst(ids([fact!, pref!, tagged!, both!, keyed!, shared!])), 'no criteria: all, newest first')
    t.strictSame(await q({ types: ['preference'] }), newestFirst([pref!.id, shared!.id]), 'one type')
    t.strictSame(await q({ types: ['preference', 'episode'] }), newestFirst([pref!.id, keyed!.id, shared!.id]), 'any of types')
    t.strictSame(await q({ tags: ['red'] }), newestFirst([tagged!.id, both!.id]), 'one tag')
    t.strictSame(await q({ tags: ['blue', 'red'] }), [both!.id], 'all of the tags')
    t.strictSame(await q({ tags: ['red', 'missing'] }), [], 'a missing tag excludes')
    t.strictSame(await q({ key: 'the-key' }), [keyed!.id], 'key')
    t.strictSame(await q({ visibility: 'shared' }), [shared!.id], 'shared')
    t.strictSame(await q({ visibility: 'private', types: ['preference'] }), [pref!.id], 'criteria combine')
  })

  test('query honours access: own tool, granted tools, shared only when included', async ({ t, store, tool }) => {
    const [me, granted, other] = [tool('me'), tool('granted'), tool('other')]
    const [mePrivate, meShared, grantedPrivate, grantedShared, otherPrivate, otherShared] = await createAll(store, [
      makeEntry({ tool: me }), makeEntry({ tool: me, visibility: 'shared' }),
      makeEntry({ tool: granted }), makeEntry({ tool: granted, visibility: 'shared' }),
      makeEntry({ tool: other }), makeEntry({ tool: other, visibility: 'shared' }),
    ])
    const all = [me, granted, other]
    const q = async (filter: EntryFilter) => ids((await store.query(filter, null, 50)).items)
    t.strictSame(await q({ access: ownAccess(me) }), newestFirst([mePrivate!.id, meShared!.id]), 'own entries only')
    t.strictSame(await q({ access: ownAccess(me, { includeShared: true }), tools: all }),
      newestFirst([mePrivate!.id, meShared!.id, grantedShared!.id, otherShared!.id]), 'plus shared entries')
    t.strictSame(await q({ access: ownAccess(me, { grantedTools: [granted] }), tools: all }),
      newestFirst([mePrivate!.id, meShared!.id, grantedPrivate!.id, grantedShared!.id]), 'plus granted tools (private too)')
    t.strictSame(await q({ access: ownAccess(me, { grantedTools: [granted], includeShared: true }), tools: all }),
      newestFirst([mePrivate!.id, meShared!.id, grantedPrivate!.id, grantedShared!.id, otherShared!.id]), 'everything readable')
    t.notOk((await q({ access: ownAccess(me, { includeShared: true }), tools: all })).includes(otherPrivate!.id),
      'another tool\'s private entry is never visible')
    t.strictSame(await q({ access: ownAccess(me, { includeShared: true }), tools: [other] }), [otherShared!.id],
      'tools intersects with access')
    t.strictSame(await q({ access: ownAccess(me), tools: [other] }), [], 'tools cannot widen access')
  })

  test('query pages newest first without skips or repeats while entries are inserted', async ({ t, store, tool }) => {
    const original = await createAll(store, Array.from({ length: 25 }, () => makeEntry({ tool: tool() })))
    let inserted = 0
    const pages = await allPages(store, toolsFilter([tool()]), 7, async () => {
      if (inserted === 0) await createAll(store, Array.from({ length: 10 }, () => makeEntry({ tool: tool() })))
      inserted += 1
    })
    t.strictSame(pages.map((p) => p.length), [7, 7, 7, 4], 'page sizes')
    t.strictSame(pages.flat(), newestFirst(ids(original)), 'every original entry exactly once, newest first')
    const fresh = await store.query(toolsFilter([tool()]), null, 100)
    t.equal(fresh.items.length, 35, 'a new listing sees the inserted entries')
    t.equal(fresh.nextCursor, null, 'no cursor when everything fits')
  })

  test('the last page has no cursor, also when it is exactly full', async ({ t, store, tool }) => {
    const entries = await createAll(store, Array.from({ length: 6 }, () => makeEntry({ tool: tool() })))
    const pages = await allPages(store, toolsFilter([tool()]), 3)
    t.strictSame(pages, [newestFirst(ids(entries)).slice(0, 3), newestFirst(ids(entries)).slice(3)], 'two full pages, no empty third')
    const empty = await store.query(toolsFilter([tool('none')]), null, 5)
    t.strictSame(empty, { items: [], nextCursor: null }, 'empty result')
  })

  test('entries deleted between pages are simply not listed', async ({ t, store, tool }) => {
    const entries = await createAll(store, Array.from({ length: 6 }, () => makeEntry({ tool: tool() })))
    const order = newestFirst(ids(entries))
    const first = await store.query(toolsFilter([tool()]), null, 2)
    await store.delete(tool(), order[1]!)
    await store.delete(tool(), order[2]!)
    const rest = await store.query(toolsFilter([tool()]), first.nextCursor, 10)
    t.strictSame(ids(first.items), order.slice(0, 2), 'first page')
    t.strictSame(ids(rest.items), order.slice(3), 'continues after the deleted cursor entry')
  })

  test('an invalid cursor is invalid_cursor', async ({ t, store, tool }) => {
    for (const cursor of ['not-a-cursor', 'eyJ2IjoxLCJpZCI6IngifQ', "'; DROP TABLE memories; --"]) {
      await expectAppError(t, store.query(toolsFilter([tool()]), cursor, 5), 'invalid_cursor', JSON.stringify(cursor))
    }
  })

  test('query pages across own, granted and shared entries newest first, each entry once', async ({ t, store, tool }) => {
    const [me, granted, other] = [tool('me'), tool('granted'), tool('other')]
    const owners = [me, granted, other, me, me, granted, other, other, me, granted, other, me]
    const entries = await createAll(store, owners.map((owner, i) =>
      makeEntry({ tool: owner, visibility: i % 3 === 0 ? 'shared' : 'private', type: i % 2 === 0 ? 'fact' : 'note' })))
    const readable = entries.filter((e) => e.tool !== other || e.visibility === 'shared')
    // A grant of the caller's own tool and a repeated grant must not list anything twice.
    const access = ownAccess(me, { grantedTools: [granted, me, granted], includeShared: true })
    const filter: EntryFilter = { access, tools: [me, granted, other] }
    for (const size of [1, 2, 5]) {
      const pages = await allPages(store, filter, size)
      t.strictSame(pages.flat(), newestFirst(ids(readable)), `pages of ${size}: every readable entry once, newest first`)
      t.ok(pages.slice(0, -1).every((p) => p.length === size), `pages of ${size}: full pages before the last`)
    }
    const facts = readable.filter((e) => e.type === 'fact')
    t.strictSame((await allPages(store, { ...filter, types: ['fact'] }, 2)).flat(), newestFirst(ids(facts)),
      'with a type filter')
    const shared = readable.filter((e) => e.visibility === 'shared')
    t.strictSame((await allPages(store, { ...filter, visibility: 'shared' }, 2)).flat(), newestFirst(ids(shared)),
      'shared only')
    t.strictSame((await allPages(store, { ...filter, visibility: 'private' }, 2)).flat(),
      newestFirst(ids(readable.filter((e) => e.visibility === 'private'))), 'private only')
    // Without a tools filter (the usual listing); other rows of a shared database are ignored.
    const mine = new Set(ids(entries))
    for (const size of [2, 50]) {
      const pages = await allPages(store, { access }, size)
      t.strictSame(pages.flat().filter((id) => mine.has(id)), newestFirst(ids(readable)),
        `no tools filter, pages of ${size}: every readable entry once, newest first`)
    }
    t.strictSame(await q(store, { ...filter, tools: [] }), [], 'an empty tools list matches nothing')
    t.strictSame(await q(store, { ...filter, types: [] }), [], 'an empty types list matches nothing')
  })
}

async function q(store: MemoryStore, filter: EntryFilter): Promise<string[]> {
  return ids((await store.query(filter, null, 50)).items)
}
