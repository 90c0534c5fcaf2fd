/**
 * Conformance: the `contains` criterion of `EntryFilter` (a literal, case-insensitive substring of
 * the content) in listings and search. Case folding is pinned for ASCII letters only: other letters
 * fold as the backend's locale does. Contents stay below 4 096 characters except where a test says
 * otherwise, so the compressed runs of the suite (which match on `content_head`) see whole contents.
 */
import type { EntryFilter } from '../../src/storage/memory-store.js'
import { makeEntry } from '../helpers/entries.js'
import { createAll, ids, newestFirst, ownAccess, sorted, type StoreTest, toolsFilter } from './suite-kit.js'



export function containsTests(test: StoreTest): void {
  test('contains: a case-insensitive literal substring, inside words and across lines', async ({ t, store, tool }) => {
    const [hello, cataclysm, catalog, lines] = await createAll(store, [
      makeEntry({ tool: tool(), content: 'Hello World' }),
      makeEntry({ tool: tool(), content: 'a cataclysm happened' }),
      makeEntry({ tool: tool(), content: 'CATALOG of parts' }),
      makeEntry({ tool: tool(), content: 'first line\nSecond line' }),
    ])
    const q = async (contains: string) => ids((await store.query(toolsFilter([tool()], { contains }), null, 50)).items)
    t.strictSame(await q('LO wor'), [hello!.id], 'across a word boundary, any case')
    t.strictSame(await q('tacl'), [cataclysm!.id], 'inside a word')
    t.strictSame(await q('cAt'), newestFirst([cataclysm!.id, catalog!.id]), 'case-insensitive, newest first')
    t.strictSame(await q('line\nsecond'), [lines!.id], 'a newline is a plain character')
    t.strictSame(await q('line second'), [], 'a space does not match a newline')
    t.strictSame(await q('Hello World!'), [], 'longer than the content')
    t.strictSame(await q('dog'), [], 'no match')
    t.strictSame(await q(''), newestFirst(ids([hello!, cataclysm!, catalog!, lines!])), 'the empty string matches every entry')
  })

  test('contains: %, _ and backslash are plain characters', async ({ t, store, tool }) => {
    const contents = {
      percent: '100% sure', noPercent: '100 percent sure', underscore: 'snake_case name', noUnderscore: 'snakeXcase name',
      backslash: 'C:\\temp\\file', noBackslash: 'C:tempfile', apostrophe: "it's Bob's", hostile: "'; DROP TABLE memories; --",
    }
    const byId = new Map<string, string>()
    for (const [name, content] of Object.entries(contents)) {
      const entry = makeEntry({ tool: tool(), content })
      await store.create(entry, { dedupe: false })
      byId.set(entry.id, name)
    }
    const found = async (contains: string) =>
      (await store.query(toolsFilter([tool()], { contains }), null, 50)).items.map((e) => byId.get(e.id)!).sort()
    t.strictSame(await found('100%'), ['percent'], '100%')
    t.strictSame(await found('%'), ['percent'], '%')
    t.strictSame(await found('%%'), [], '%%')
    t.strictSame(await found('_'), ['underscore'], '_')
    t.strictSame(await found('e_c'), ['underscore'], 'e_c')
    t.strictSame(await found('\\'), ['backslash'], 'backslash')
    t.strictSame(await found('\\t'), ['backslash'], 'backslash t')
    t.strictSame(await found("'s"), ['apostrophe'], "'s")
    t.strictSame(await found("'; DROP TABLE memories; --"), ['hostile'], 'hostile text')
    t.equal((await store.query(toolsFilter([tool()]), null, 50)).items.length, 8, 'every entry still there')
  })

  test('contains combines with types, tags, access and keyset pages', async ({ t, store, tool }) => {
    const [me, other] = [tool('me'), tool('other')]
    const entries = await createAll(store, [
      makeEntry({ tool: me, type: 'kg.entity', content: 'Alice\nperson\nlikes tea' }),
      makeEntry({ tool: me, type: 'kg.entity', content: 'Bob\nperson\nlikes coffee', tags: ['x'] }),
      makeEntry({ tool: me, type: 'fact', content: 'a person who likes tea' }),
      makeEntry({ tool: me, type: 'kg.entity', content: 'Carol\nrobot\nlikes oil' }),
      makeEntry({ tool: me, type: 'kg.entity', content: 'Dave\nPERSON\nlikes nothing' }),
      makeEntry({ tool: other, type: 'kg.entity', content: 'Eve\nperson\nlikes secrets' }),
      makeEntry({ tool: other, type: 'kg.entity', visibility: 'shared', content: 'Frank\nperson\nlikes sharing' }),
    ])
    const [alice, bob, fact, , dave, , frank] = entries
    const filter: EntryFilter = { access: ownAccess(me), tools: [me], types: ['kg.entity'], contains: 'person' }
    const wanted = newestFirst(ids([alice!, bob!, dave!]))
    t.strictSame(ids((await store.query(filter, null, 50)).items), wanted, 'type and content together')
    t.strictSame(ids((await store.query({ ...filter, tags: ['x'] }, null, 50)).items), [bob!.id], 'and a tag')
    t.strictSame(ids((await store.query({ ...filter, types: undefined }, null, 50)).items), newestFirst(ids([alice!, bob!, fact!, dave!])),
      'without the type')
    const withShared: EntryFilter = { ...filter, access: ownAccess(me, { includeShared: true }), tools: [me, other] }
    t.strictSame(ids((await store.query(withShared, null, 50)).items), newestFirst(ids([alice!, bob!, dave!, frank!])),
      'shared entries of others, never their private ones')
    const pages: string[][] = []
    let cursor: string | null = null
    do {
      const page = await store.query(filter, cursor, 2)
      pages.push(ids(page.items))
      cursor = page.nextCursor
    } while (cursor !== null && pages.length < 10)
    t.strictSame(pages, [wanted.slice(0, 2), wanted.slice(2)], 'pages of two hold only matches, in order')
  })

  test('contains also restricts search', async ({ t, store, tool }) => {
    const [both, onlyWord] = await createAll(store, [
      makeEntry({ tool: tool(), content: 'walrus colony near the pier' }),
      makeEntry({ tool: tool(), content: 'walrus alone' }),
    ])
    for (const mode of ['fulltext', 'substring'] as const) {
      const hits = await store.search({ text: 'walrus', mode, filter: toolsFilter([tool()], { contains: 'PIER' }), limit: 10 })
      t.strictSame(ids(hits.map((h) => h.entry)), [both!.id], `${mode}: only entries containing the text`)
      const all = await store.search({ text: 'walrus', mode, filter: toolsFilter([tool()], { contains: '' }), limit: 10 })
      t.strictSame(sorted(ids(all.map((h) => h.entry))), sorted([both!.id, onlyWord!.id]), `${mode}: the empty string restricts nothing`)
    }
  })

  test('contains finds text within the first 4 096 characters of a long content', async ({ t, store, tool }) => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(300)
    const [long, short] = await createAll(store, [
      makeEntry({ tool: tool(), content: `heading MARKER-17 ${filler}` }),
      makeEntry({ tool: tool(), content: 'marker-17 short' }),
    ])
    const q = async (contains: string) => ids((await store.query(toolsFilter([tool()], { contains }), null, 50)).items)
    t.ok(long!.content.length > 4096, 'the long content exceeds 4 096 characters')
    t.strictSame(await q('marker-17'), newestFirst([long!.id, short!.id]), 'found in both')
    t.strictSame(await q('heading marker'), [long!.id], 'only the long one')
  })
}
