/**
 * Conformance: long contents (kilobytes of markdown, multi-byte text) come back byte-identical
 * through every read and write, and stay findable. Stores that compress large contents (the SQL
 * store's `compression` option) must be indistinguishable from those that do not; the search
 * markers sit within the first 4 096 characters, which every store's substring search covers.
 */
import type { MemoryEntry, MirrorRecord } from '../../src/domain/memory/memory-entry.js'
import { makeEntry } from '../helpers/entries.js'
import { asCreated, ids, toolsFilter, type StoreTest } from './suite-kit.js'

const UNICODE_LINE = 'Unicode: naïve café — 漢字かな — שלום — emoji 🧭🌙 — combining e\u0301 — math ∑∞'

/** A markdown document of about `size` characters with `marker` as a word at about character `at`. */
export function longMarkdown(size: number, marker: string, at: number, seed = 1): string {
  const parts: string[] = [`# Notes ${seed}\n`]
  let length = parts[0]!.length
  for (let i = 0; length < size; i++) {
    const line = i % 7 === 3
      ? `${UNICODE_LINE} (${seed}.${i})\n`
      : `- item ${seed}.${i}: the service keeps **memories** for tools; entry ${i * 37 % 101} links to [doc ${i}](https://example.org/${i}).\n`
    if (length <= at && length + line.length > at) parts.push(`\n${marker} paragraph ${seed}\n`)
    parts.push(line)
    length += line.length
  }
  return parts.join('')
}

const entryRecord = (entry: MemoryEntry): MirrorRecord => ({ kind: 'entry', entry })

export function contentTests(test: StoreTest): void {
  test('long contents round-trip byte-identically through every read and write', async ({ t, store, tool, otherStore }) => {
    const entry = makeEntry({ tool: tool(), contentType: 'text/markdown', content: longMarkdown(6_000, 'narwhal', 3_000) })
    t.strictSame(await store.create(entry, { dedupe: true }), { entry: asCreated(entry), created: true }, 'create returns it')
    t.strictSame(await store.get(tool(), entry.id), asCreated(entry), 'get')
    t.strictSame(await store.getById(entry.id), asCreated(entry), 'getById')
    t.strictSame(await store.getMany(tool(), [entry.id, entry.id]), [asCreated(entry), asCreated(entry)], 'getMany')
    t.strictSame(await store.findByHash(tool(), entry.contentHash), [asCreated(entry)], 'findByHash')
    const again = await store.create(makeEntry({ tool: tool(), contentType: 'text/markdown', content: entry.content }), { dedupe: true })
    t.strictSame(again, { entry: asCreated(entry), created: false }, 'a deduplicated create returns the stored entry')
    t.strictSame((await store.query(toolsFilter([tool()]), null, 10)).items, [asCreated(entry)], 'query')

    const search = (text: string, mode: 'fulltext' | 'substring') => store.search({ text, mode, filter: toolsFilter([tool()]), limit: 10 })
    const fulltext = await search('narwhal', 'fulltext')
    t.strictSame(fulltext.map((h) => h.entry), [asCreated(entry)], 'fulltext finds a word in the middle, whole entry')
    t.strictSame(ids((await search('narwhal paragraph', 'substring')).map((h) => h.entry)), [entry.id], 'substring finds it too')
    t.strictSame(ids((await search('漢字かな', 'substring')).map((h) => h.entry)), [entry.id], 'multi-byte substring')

    const rewritten = makeEntry({ ...entry, content: longMarkdown(9_000, 'quetzal', 2_000, 2) })
    t.strictSame(await store.update(rewritten), { ...rewritten, version: 2 }, 'update returns the new content')
    t.strictSame(await store.get(tool(), entry.id), { ...rewritten, version: 2 }, 'and stores it')
    t.strictSame(await search('narwhal', 'fulltext'), [], 'the old content is no longer found')
    t.strictSame(ids((await search('quetzal', 'fulltext')).map((h) => h.entry)), [entry.id], 'the new one is')

    const keyed = { ...makeEntry({ tool: tool(), content: longMarkdown(5_000, 'ocelot', 100, 3) }), key: 'doc' }
    t.strictSame(await store.upsertByKey(keyed), { entry: asCreated(keyed), created: true }, 'upsertByKey inserts')
    const replacement = { ...makeEntry({ ...keyed, content: longMarkdown(5_000, 'ocelot', 200, 4) }), key: 'doc' }
    const upserted = await store.upsertByKey(replacement)
    t.strictSame(upserted, { entry: { ...replacement, version: 2 }, created: false }, 'upsertByKey replaces')
    t.strictSame(await store.findByKey(tool(), 'doc'), { ...replacement, version: 2 }, 'findByKey')

    // From just before the tool's first id: stores sharing a database hold other tests' rows too.
    const mine = (await store.scan({ tool: tool(), id: '00000000-0000-0000-0000-000000000000' }, 10)).filter((e) => e.tool === tool())
    t.strictSame(mine.map((e) => e.content).sort(), [rewritten.content, replacement.content].sort(), 'scan returns the contents')
    const replica = await otherStore()
    for (const e of mine) t.equal(await replica.applyMirror(entryRecord(e)), 'applied', `mirrored ${e.id}`)
    for (const e of mine) t.strictSame(await replica.get(e.tool, e.id), e, `the replica holds ${e.id} byte-identically`)
    t.strictSame(ids((await replica.search({ text: 'quetzal', mode: 'fulltext', filter: toolsFilter([tool()]), limit: 5 })).map((h) => h.entry)),
      [entry.id], 'and finds it')
  })
}
