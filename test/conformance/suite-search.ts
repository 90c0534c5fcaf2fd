/**
 * Conformance: search. Only matching rules, relative ranking and tie order are pinned; score values
 * differ per backend (ts_rank_cd / word similarity in SQL, an approximation in memory). Test words
 * are chosen so that Postgres' English stemming and the in-memory normalisation agree.
 */
import type { EntryFilter, MemoryStore, SearchMode } from '../../src/storage/memory-store.js'
import { makeEntry } from '../helpers/entries.js'
import { asCreated, createAll, ids, newestFirst, ownAccess, sorted, type StoreTest, toolsFilter } from './suite-kit.js'


function searcher(store: MemoryStore, filter: EntryFilter) {
  return async (text: string, mode: SearchMode, limit = 100, extra: Partial<EntryFilter> = {}) =>
    store.search({ text, mode, filter: { ...filter, ...extra }, limit })
}


export function searchTests(test: StoreTest): void {
  test('fulltext finds entries containing every query word, case-insensitively', async ({ t, store, tool }) => {
    const [both, both2, zebraOnly, violinOnly] = await createAll(store, [
      makeEntry({ tool: tool(), content: 'The zebra plays a violin near the harbor' }),
      makeEntry({ tool: tool(), content: 'Violin lessons for a young zebra' }),
      makeEntry({ tool: tool(), content: 'zebra crossing at the harbor' }),
      makeEntry({ tool: tool(), content: 'violin concerto tonight' }),
    ])
    const search = searcher(store, toolsFilter([tool()]))
    const hits = await search('zebra violin', 'fulltext')
    t.strictSame(sorted(ids(hits.map((h) => h.entry))), sorted([both!.id, both2!.id]), 'entries with both words')
    t.ok(hits.every((h) => typeof h.score === 'number' && h.score > 0), 'positive scores')
    t.strictSame(hits.find((h) => h.entry.id === both!.id)?.entry, asCreated(both!), 'hits carry whole entries')
    t.strictSame(sorted(ids((await search('ZEBRA Violin', 'fulltext')).map((h) => h.entry))), sorted([both!.id, both2!.id]), 'case-insensitive')
    t.strictSame(sorted(ids((await search('violins', 'fulltext')).map((h) => h.entry))),
      sorted([both!.id, both2!.id, violinOnly!.id]), 'plural query matches the singular')
    t.strictSame(ids((await search('harbor crossing', 'fulltext')).map((h) => h.entry)), [zebraOnly!.id], 'another pair')
    t.strictSame(await search('xylophone', 'fulltext'), [], 'no match')
  })

  test('fulltext ranks an entry with more occurrences higher', async ({ t, store, tool }) => {
    const [once, thrice] = await createAll(store, [
      makeEntry({ tool: tool(), content: 'quokka meadow river stone' }),
      makeEntry({ tool: tool(), content: 'quokka quokka quokka meadow' }),
    ])
    const hits = await searcher(store, toolsFilter([tool()]))('quokka', 'fulltext')
    t.strictSame(ids(hits.map((h) => h.entry)), [thrice!.id, once!.id], 'more occurrences first')
    t.ok(hits[0]!.score > hits[1]!.score, 'with a higher score')
  })

  test('search respects filters and access', async ({ t, store, tool }) => {
    const [me, other] = [tool('me'), tool('other')]
    const [mine, myEpisode, theirPrivate, theirShared] = await createAll(store, [
      makeEntry({ tool: me, content: 'penguin report alpha' }),
      makeEntry({ tool: me, type: 'episode', content: 'penguin report delta' }),
      makeEntry({ tool: other, content: 'penguin report beta' }),
      makeEntry({ tool: other, visibility: 'shared', content: 'penguin report gamma' }),
    ])
    const search = searcher(store, { access: ownAccess(me, { includeShared: true }), tools: [me, other] })
    for (const mode of ['fulltext', 'substring'] as const) {
      const found = async (extra: Partial<EntryFilter> = {}) => sorted(ids((await search('penguin', mode, 100, extra)).map((h) => h.entry)))
      t.strictSame(await found(), sorted([mine!.id, myEpisode!.id, theirShared!.id]), `${mode}: own and shared, not private`)
      t.strictSame(await found({ types: ['episode'] }), [myEpisode!.id], `${mode}: type filter`)
      t.strictSame(await found({ tools: [other] }), [theirShared!.id], `${mode}: tools filter`)
      t.strictSame(await found({ access: ownAccess(me) }), sorted([mine!.id, myEpisode!.id]), `${mode}: without shared`)
      t.strictSame(await found({ access: ownAccess(me, { grantedTools: [other] }) }),
        sorted([mine!.id, myEpisode!.id, theirPrivate!.id, theirShared!.id]), `${mode}: granted tool`)
    }
  })

  test('substring search is case-insensitive and matches inside words', async ({ t, store, tool }) => {
    const [hello, cataclysm, catalog] = await createAll(store, [
      makeEntry({ tool: tool(), content: 'Hello World' }),
      makeEntry({ tool: tool(), content: 'a cataclysm happened' }),
      makeEntry({ tool: tool(), content: 'CATALOG of parts' }),
    ])
    const search = searcher(store, toolsFilter([tool()]))
    const found = async (text: string) => sorted(ids((await search(text, 'substring')).map((h) => h.entry)))
    t.strictSame(await found('LO wor'), [hello!.id], 'across a word boundary, any case')
    t.strictSame(await found('tacl'), [cataclysm!.id], 'inside a word')
    t.strictSame(await found('cAt'), sorted([cataclysm!.id, catalog!.id]), 'case-insensitive')
    t.strictSame(await found('dog'), [], 'no match')
    const hits = await search('cat', 'substring')
    t.ok(hits.every((h) => h.score >= 0 && h.score <= 1), 'scores in 0..1')
  })

  test('search treats wildcards, backslashes, quotes and hostile strings as plain text', async ({ t, store, tool }) => {
    const contents = {
      percent: '100% sure', noPercent: '100 percent sure', underscore: 'snake_case name', noUnderscore: 'snakeXcase name',
      backslash: 'C:\\temp\\file', noBackslash: 'C:tempfile', apostrophe: "it's Bob's", doubleQuote: 'say "hi" twice',
      hostile: "'; DROP TABLE memories; --", plain: 'plain text',
    }
    const byName = new Map<string, string>()
    for (const [name, content] of Object.entries(contents)) {
      const entry = makeEntry({ tool: tool(), content })
      await store.create(entry, { dedupe: false })
      byName.set(entry.id, name)
    }
    const search = searcher(store, toolsFilter([tool()]))
    const found = async (text: string, mode: SearchMode = 'substring') =>
      (await search(text, mode)).map((h) => byName.get(h.entry.id)!).sort()
    t.strictSame(await found('100%'), ['percent'], '100%')
    t.strictSame(await found('%'), ['percent'], '%')
    t.strictSame(await found('%%'), [], '%%')
    t.strictSame(await found('_'), ['underscore'], '_')
    t.strictSame(await found('e_c'), ['underscore'], 'e_c')
    t.strictSame(await found('\\'), ['backslash'], 'backslash')
    t.strictSame(await found('\\t'), ['backslash'], 'backslash t')
    t.strictSame(await found("'"), ['apostrophe', 'hostile'], 'single quote')
    t.strictSame(await found("'s"), ['apostrophe'], "'s")
    t.strictSame(await found('"hi"'), ['doubleQuote'], 'double quotes')
    t.strictSame(await found("'; DROP TABLE memories; --"), ['hostile'], 'hostile substring')
    t.strictSame(await found("'; DROP TABLE memories; --", 'fulltext'), ['hostile'], 'hostile fulltext')
    for (const odd of ['"unbalanced', 'a & b | !c', '(', ':*', "o'reilly", '\\', '%_%']) {
      t.ok(Array.isArray(await search(odd, 'fulltext')), `fulltext accepts ${JSON.stringify(odd)}`)
    }
    t.equal((await store.query(toolsFilter([tool()]), null, 50)).items.length, 10, 'every entry still there')
  })

  test('ties are broken by id descending and limit is respected', async ({ t, store, tool }) => {
    const entries = await createAll(store, ['one', 'two', 'three', 'four'].map((type) =>
      makeEntry({ tool: tool(), type, content: 'identical walrus text' })))
    const search = searcher(store, toolsFilter([tool()]))
    for (const [mode, text] of [['fulltext', 'walrus'], ['substring', 'walrus']] as const) {
      t.strictSame(ids((await search(text, mode)).map((h) => h.entry)), newestFirst(ids(entries)), `${mode}: equal scores, id desc`)
      t.strictSame(ids((await search(text, mode, 2)).map((h) => h.entry)), newestFirst(ids(entries)).slice(0, 2), `${mode}: limit`)
    }
  })

  test('search ranks own, granted and shared entries together; ties by id descending across sources', async ({ t, store, tool }) => {
    const [me, granted, other] = [tool('me'), tool('granted'), tool('other')]
    const owners = [other, me, granted, other, me, granted, me, other]
    const entries = await createAll(store, owners.map((owner, i) =>
      makeEntry({ tool: owner, type: `t${i}`, visibility: owner === other || i === 1 ? 'shared' : 'private', content: 'identical ocelot text' })))
    const better = await createAll(store, [
      makeEntry({ tool: other, visibility: 'shared', content: 'ocelot ocelot ocelot text' }),
      makeEntry({ tool: granted, content: 'ocelot ocelot ocelot note' }),
    ])
    const hidden = await createAll(store, [makeEntry({ tool: tool('hidden'), content: 'identical ocelot text' })])
    const search = searcher(store, {
      access: ownAccess(me, { grantedTools: [granted, me], includeShared: true }),
      tools: [me, granted, other, hidden[0]!.tool],
    })
    const hits = await search('ocelot', 'fulltext')
    t.strictSame(sorted(ids(hits.slice(0, 2).map((h) => h.entry))), sorted(ids(better)), 'the best matches first, whoever owns them')
    t.strictSame(ids(hits.slice(2).map((h) => h.entry)), newestFirst(ids(entries)), 'then equal scores by id descending')
    for (const limit of [1, 3, 5]) {
      t.strictSame(ids((await search('ocelot', 'fulltext', limit)).map((h) => h.entry)), ids(hits.map((h) => h.entry)).slice(0, limit),
        `fulltext limit ${limit} keeps the best across sources`)
    }
    const mine = new Set(ids([...entries, ...better, ...hidden]))
    const unfiltered = await store.search({ text: 'ocelot', mode: 'fulltext', filter: { access: ownAccess(me, { grantedTools: [granted], includeShared: true }) }, limit: 100 })
    t.strictSame(ids(unfiltered.map((h) => h.entry)).filter((id) => mine.has(id)), ids(hits.map((h) => h.entry)),
      'the same without a tools filter')
    const substring = await search('identical ocelot', 'substring')
    t.strictSame(ids(substring.map((h) => h.entry)), newestFirst(ids(entries)), 'substring: each entry once, ties by id descending')
    t.strictSame(ids((await search('identical ocelot', 'substring', 3)).map((h) => h.entry)), newestFirst(ids(entries)).slice(0, 3),
      'substring limit across sources')
  })
}
