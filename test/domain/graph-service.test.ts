/**
 * Golden tests of the knowledge-graph service (issue 5): every rule of the reference MCP memory
 * server that /v1 and the MCP tools promise, and the deliberate deviations, on the in-memory store
 * through a real MemoryManager (EntryBuilder with the real tokenizer).
 */
import t, { type Test } from 'tap'
import { GraphService, type GraphServiceOptions } from '../../src/domain/graph/graph-service.js'
import { entityInput, entityKey } from '../../src/domain/graph/graph-records.js'
import { prefilterNeedle } from '../../src/domain/graph/graph-search.js'
import type { Entity, KnowledgeGraph, Relation } from '../../src/domain/graph/knowledge-graph.js'
import type { Caller } from '../../src/domain/memory/caller.js'
import { EntryBuilder } from '../../src/domain/memory/entry-builder.js'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import { MemoryManager } from '../../src/domain/memory/memory-manager.js'
import { loadTokenCounter } from '../../src/domain/memory/token-counter.js'
import { AppError } from '../../src/errors/app-error.js'
import { DelegatingStore } from '../../src/storage/delegating-store.js'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import type { EntryFilter, MemoryStore, Page, WriteOptions } from '../../src/storage/memory-store.js'

const countTokens = await loadTokenCounter('o200k_base')

const A: Caller = { tool: 'tool-a', scopes: ['read', 'write'] }
const B: Caller = { tool: 'tool-b', scopes: ['read', 'write'] }

async function setup(options: GraphServiceOptions = {}, wrap: (store: MemoryStore) => MemoryStore = (s) => s) {
  const raw = createInMemoryStore()
  const store = wrap(raw)
  await store.init()
  const manager = new MemoryManager(store, new EntryBuilder({ maxContentBytes: 1024 * 1024, countTokens, now: Date.now }))
  return { store, manager, graph: new GraphService(manager, options) }
}

const entity = (name: string, entityType = 'person', observations: string[] = []): Entity => ({ name, entityType, observations })
const rel = (from: string, relationType: string, to: string): Relation => ({ from, to, relationType })
const names = (g: { entities: Entity[] }) => g.entities.map((e) => e.name)

/** A v2 entry written as /v2 would (keyless unless `key` is given). */
function v2Input(content: string, type = 'fact', metadata: Record<string, unknown> = {}) {
  return {
    type, key: null, content, contentType: 'text/plain' as const, metadata, tags: [], importance: 0.5,
    visibility: 'private' as const, expiresAt: null,
  }
}

/** The rejection of `promise` (fails the test when it resolves). */
async function rejection(t: Test, promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(() => null, (e: unknown) => e)
  t.ok(err instanceof AppError, 'rejects with an AppError')
  return err as AppError
}

t.test('create_entities: new ones in input order; existing names skipped, not merged', async (t) => {
  const { graph } = await setup()
  t.strictSame(await graph.createEntities(A, [entity('Zed', 'person', ['tall']), entity('Amy', 'person', ['kind'])]),
    [entity('Zed', 'person', ['tall']), entity('Amy', 'person', ['kind'])], 'both are new')
  t.strictSame(await graph.createEntities(A, [entity('Amy', 'robot', ['other']), entity('Bob', 'cat')]), [entity('Bob', 'cat')],
    'only the new one is returned')
  const read = await graph.readGraph(A)
  t.strictSame(read.entities, [entity('Zed', 'person', ['tall']), entity('Amy', 'person', ['kind']), entity('Bob', 'cat')],
    'Amy kept her type and observations; storage order, not alphabetical')
  t.strictSame(await graph.createEntities(A, []), [], 'an empty call adds nothing')
})

t.test('create_entities: duplicates in one call collapse, first wins; names compare exactly', async (t) => {
  const { graph } = await setup()
  const added = await graph.createEntities(A, [
    entity('Ann', 'person', ['a', 'b', 'a']), entity('Ann', 'robot', ['c']), entity('ann'), entity('Ann '), entity(' Ann'),
  ])
  t.strictSame(added, [entity('Ann', 'person', ['a', 'b']), entity('ann'), entity('Ann '), entity(' Ann')],
    'first Ann wins, its repeated observation collapses; case and whitespace make other names')
  t.strictSame(names(await graph.readGraph(A)), ['Ann', 'ann', 'Ann ', ' Ann'])
  const extra = { ...entity('Eve'), surplus: 'dropped' } as Entity
  t.strictSame(await graph.createEntities(A, [extra]), [entity('Eve')], 'only the model fields are kept')
})

t.test('entities and relations are v2 entries of the tool', async (t) => {
  const { graph, manager, store } = await setup()
  await graph.createEntities(A, [entity('Alice', 'person', ['likes tea', 'lives in Oslo'])])
  await graph.createRelations(A, [rel('Alice', 'knows', 'Bob')])
  const alice = (await store.findByKey('tool-a', 'entity:Alice'))!
  t.match(alice, {
    tool: 'tool-a', type: 'kg.entity', key: 'entity:Alice', contentType: 'text/plain', visibility: 'private', version: 1,
    content: 'alice\nperson\nlikes tea\nlives in oslo', // the lowercased search text
    metadata: { name: 'Alice', entityType: 'person', observations: ['likes tea', 'lives in Oslo'] },
  })
  t.match(alice.contentHash, /^sha256:[0-9a-f]{64}$/, 'hashed')
  t.ok(alice.tokens > 0, 'token-counted')
  const [relation] = (await manager.list(A, { types: ['kg.relation'] }, null, 10)).items
  t.match(relation, { type: 'kg.relation', content: 'Alice\nknows\nBob', metadata: { from: 'Alice', to: 'Bob', relationType: 'knows' } })
  t.match(relation!.key, /^relation:[0-9a-f]{64}$/, 'keyed by the hash of the triple')
  t.equal(relation!.tags.length, 2)
  t.ok(relation!.tags.some((tag) => /^kgf:[0-9a-f]{16}$/.test(tag)) && relation!.tags.some((tag) => /^kgt:[0-9a-f]{16}$/.test(tag)), 'end tags')
  const hits = await manager.search(A, { query: 'oslo', mode: 'substring', limit: 10 })
  t.strictSame(hits.map((h) => h.entry.id), [alice.id], '/v2 substring search finds an observation')
  const long = 'N'.repeat(300)
  await graph.createEntities(A, [entity(long)])
  t.match(entityKey(long), /^entity#[0-9a-f]{64}$/, 'a name too long for a key is hashed')
  t.strictSame(names(await graph.openNodes(A, [long])), [long], 'and found again by name')
  t.strictSame(await graph.createEntities(A, [entity(long, 'other')]), [], 'and skipped as existing')
})

t.test('create_relations: new only, direction matters, dedupe, dangling relations kept', async (t) => {
  const { graph } = await setup()
  t.strictSame(await graph.createRelations(A, [rel('A', 'likes', 'B'), rel('B', 'likes', 'A'), rel('A', 'likes', 'B'), rel('A', 'hates', 'B')]),
    [rel('A', 'likes', 'B'), rel('B', 'likes', 'A'), rel('A', 'hates', 'B')], 'reversed direction is new; the repeat collapses')
  t.strictSame(await graph.createRelations(A, [rel('A', 'likes', 'B'), rel('A', 'likes', 'C')]), [rel('A', 'likes', 'C')],
    'an existing triple is skipped')
  t.strictSame(await graph.readGraph(A), {
    entities: [], relations: [rel('A', 'likes', 'B'), rel('B', 'likes', 'A'), rel('A', 'hates', 'B'), rel('A', 'likes', 'C')], nextCursor: null,
  }, 'relations between names without entities are stored and returned, in insertion order')
})

t.test('add_observations: skips present contents, later items see earlier additions, duplicates collapse', async (t) => {
  const { graph } = await setup()
  await graph.createEntities(A, [entity('Alice', 'person', ['tea']), entity('Bob', 'person')])
  const results = await graph.addObservations(A, [
    { entityName: 'Alice', contents: ['tea', 'coffee', 'coffee', 'cake'] },
    { entityName: 'Bob', contents: ['chess'] },
    { entityName: 'Alice', contents: ['cake', 'juice'] },
  ])
  t.strictSame(results, [
    { entityName: 'Alice', addedObservations: ['coffee', 'cake'] },
    { entityName: 'Bob', addedObservations: ['chess'] },
    { entityName: 'Alice', addedObservations: ['juice'] },
  ], 'one result per item, in input order')
  t.strictSame((await graph.openNodes(A, ['Alice', 'Bob'])).entities,
    [entity('Alice', 'person', ['tea', 'coffee', 'cake', 'juice']), entity('Bob', 'person', ['chess'])])
  t.strictSame(await graph.addObservations(A, [{ entityName: 'Bob', contents: ['chess'] }]), [{ entityName: 'Bob', addedObservations: [] }],
    'nothing new: an empty list')
})

t.test('add_observations: an unknown entity fails the whole call and nothing is kept', async (t) => {
  const { graph, store } = await setup()
  await graph.createEntities(A, [entity('Alice', 'person', ['tea']), entity('Bob')])
  const before = (await store.findByKey('tool-a', 'entity:Alice'))!
  const err = await rejection(t, graph.addObservations(A, [
    { entityName: 'Alice', contents: ['coffee'] },
    { entityName: 'Ghost', contents: ['boo'] },
    { entityName: 'Bob', contents: ['x'] },
    { entityName: 'Phantom', contents: ['y'] },
  ]))
  t.equal(err.code, 'entity_not_found')
  t.equal(err.status, 404)
  t.equal(err.detail, 'Entity with name Ghost not found', 'the reference message, first unknown name')
  t.equal(err.message, 'Entity with name Ghost not found')
  const after = (await store.findByKey('tool-a', 'entity:Alice'))!
  t.equal(after.version, before.version, 'Alice was not rewritten')
  t.strictSame((await graph.readGraph(A)).entities, [entity('Alice', 'person', ['tea']), entity('Bob')], 'nothing kept')
  const caseErr = await rejection(t, graph.addObservations(A, [{ entityName: 'alice', contents: ['x'] }]))
  t.equal(caseErr.detail, 'Entity with name alice not found', 'names compare exactly')
})

t.test('add_observations: a change that would not fit fails before anything is written', async (t) => {
  const { graph } = await setup()
  await graph.createEntities(A, [entity('Alice'), entity('Bob')])
  const err = await rejection(t, graph.addObservations(A, [
    { entityName: 'Alice', contents: ['small'] },
    { entityName: 'Bob', contents: ['x'.repeat(70_000)] },
  ]))
  t.equal(err.code, 'content_too_large')
  t.strictSame((await graph.readGraph(A)).entities, [entity('Alice'), entity('Bob')], 'Alice did not get hers either')
  const nul = await rejection(t, graph.createEntities(A, [entity('ok'), entity('bad\u0000name')]))
  t.equal(nul.code, 'validation_failed')
  t.strictSame(nul.errors, [{ pointer: '/entities/1/name', message: 'must be well-formed Unicode without NUL characters' }])
  t.strictSame(names(await graph.readGraph(A)), ['Alice', 'Bob'], 'a bad item fails the call before any write')
})

t.test('delete_entities: cascades to relations from or to the names, even without entities', async (t) => {
  const { graph } = await setup()
  await graph.createEntities(A, [entity('Alice'), entity('Bob'), entity('Carol')])
  await graph.createRelations(A, [
    rel('Alice', 'knows', 'Bob'), rel('Bob', 'knows', 'Carol'), rel('Carol', 'knows', 'Alice'),
    rel('Ghost', 'haunts', 'Carol'), rel('Carol', 'fears', 'Ghost'), rel('Ghost', 'is', 'Ghost'), rel('Dan', 'knows', 'Eve'),
  ])
  await graph.deleteEntities(A, ['Alice', 'Ghost', 'Nobody', 'Alice'])
  t.strictSame(await graph.readGraph(A), {
    entities: [entity('Bob'), entity('Carol')], relations: [rel('Bob', 'knows', 'Carol'), rel('Dan', 'knows', 'Eve')], nextCursor: null,
  }, 'Alice, her relations and every relation of the entity-less Ghost are gone; unknown names ignored')
  await graph.deleteEntities(A, [])
  await graph.deleteEntities(A, ['Alice'])
  t.equal((await graph.readGraph(A)).entities.length, 2, 'repeating a delete is a no-op')
})

t.test('delete_observations: every occurrence; unknown entity or observation is a no-op', async (t) => {
  const { graph, manager, store } = await setup()
  // An entity holding a repeated observation, as an imported reference file may have it.
  await manager.putByKey(A, entityKey('Alice'), entityInput(entity('Alice', 'person', ['x', 'y', 'x', 'z'])), { kind: 'absent' })
  await graph.deleteObservations(A, [{ entityName: 'Alice', observations: ['x', 'missing'] }, { entityName: 'Ghost', observations: ['y'] }])
  t.strictSame((await graph.openNodes(A, ['Alice'])).entities, [entity('Alice', 'person', ['y', 'z'])], 'both x are gone')
  const version = (await store.findByKey('tool-a', 'entity:Alice'))!.version
  await graph.deleteObservations(A, [{ entityName: 'Alice', observations: ['nope'] }])
  t.equal((await store.findByKey('tool-a', 'entity:Alice'))!.version, version, 'nothing to delete writes nothing')
  await graph.deleteObservations(A, [{ entityName: 'Alice', observations: ['y'] }, { entityName: 'Alice', observations: ['z'] }])
  t.strictSame((await graph.openNodes(A, ['Alice'])).entities, [entity('Alice', 'person', [])], 'items of one entity combine')
  t.equal((await store.findByKey('tool-a', 'entity:Alice'))!.content, 'alice\nperson', 'the content follows')
})

t.test('delete_relations: exact matches only', async (t) => {
  const { graph } = await setup()
  await graph.createRelations(A, [rel('A', 'likes', 'B'), rel('B', 'likes', 'A'), rel('A', 'loves', 'B')])
  await graph.deleteRelations(A, [rel('A', 'likes', 'B'), rel('A', 'Likes', 'B'), rel('X', 'likes', 'Y'), rel('A', 'likes', 'B')])
  t.strictSame((await graph.readGraph(A)).relations, [rel('B', 'likes', 'A'), rel('A', 'loves', 'B')])
})

t.test('read_graph: entities then relations in insertion order, ignoring other entries', async (t) => {
  const { graph, manager } = await setup()
  t.strictSame(await graph.readGraph(A), { entities: [], relations: [], nextCursor: null }, 'an empty graph')
  await graph.createRelations(A, [rel('m', 'r1', 'n')])
  await graph.createEntities(A, [entity('m')])
  await manager.create(A, v2Input('not a graph item'))
  await manager.create(A, v2Input('hand-made', 'kg.entity', { name: 'x' }))
  await graph.createEntities(A, [entity('c'), entity('a')])
  await graph.createRelations(A, [rel('a', 'r2', 'c')])
  t.strictSame(await graph.readGraph(A), {
    entities: [entity('m'), entity('c'), entity('a')], relations: [rel('m', 'r1', 'n'), rel('a', 'r2', 'c')], nextCursor: null,
  }, 'malformed kg entries written through /v2 are not graph items')
})

t.test('read_graph paging: pages concatenate to the whole graph; cursors are checked', async (t) => {
  const { graph, manager } = await setup()
  const fact = (content: string) => manager.create(A, v2Input(content))
  for (const [i, name] of ['e1', 'e2', 'e3', 'e4', 'e5'].entries()) {
    await graph.createEntities(A, [entity(name)])
    await graph.createRelations(A, [rel(name, 'next', `e${i + 2}`)])
    await fact(`fact ${i}`)
    await graph.createEntities(B, [entity(`b${i}`)])
  }
  const whole = await graph.readGraph(A)
  for (const limit of [1, 2, 3, 5, 7, 10, 11]) {
    const pages: Array<{ entities: number; relations: number }> = []
    const all: KnowledgeGraph = { entities: [], relations: [] }
    let cursor: string | null = null
    do {
      const page = await graph.readGraph(A, { limit, cursor })
      t.ok(page.entities.length + page.relations.length <= limit, `limit ${limit} respected`)
      all.entities.push(...page.entities)
      all.relations.push(...page.relations)
      pages.push({ entities: page.entities.length, relations: page.relations.length })
      cursor = page.nextCursor
    } while (cursor !== null && pages.length < 20)
    t.strictSame(all, { entities: whole.entities, relations: whole.relations }, `limit ${limit}: same items, same order`)
    t.equal(pages.length, Math.ceil(10 / limit), `limit ${limit}: no empty trailing page`)
  }
  const first = await graph.readGraph(A, { limit: 4 })
  t.strictSame(names(first), ['e1', 'e2', 'e3', 'e4'])
  await graph.createEntities(A, [entity('late')])
  const rest = await graph.readGraph(A, { cursor: first.nextCursor })
  t.strictSame(names(rest), ['e5', 'late'], 'a cursor without a limit returns the rest, including later additions')
  t.equal(rest.relations.length, 5)
  t.equal(rest.nextCursor, null)
  t.equal((await rejection(t, graph.readGraph(A, { limit: 2, cursor: 'bogus' }))).code, 'invalid_cursor')
  const badPhase = Buffer.from('{"v":1,"p":"x","a":null}').toString('base64url')
  t.equal((await rejection(t, graph.readGraph(A, { limit: 2, cursor: badPhase }))).code, 'invalid_cursor')
  t.equal((await rejection(t, graph.readGraph(A, { limit: 0 }))).code, 'validation_failed')
  t.equal((await rejection(t, graph.readGraph(A, { limit: 1.5 }))).code, 'validation_failed')
})

t.test('search_nodes: case-insensitive over name, type and observations; storage order; relations of matches', async (t) => {
  const { graph } = await setup()
  await graph.createEntities(A, [
    entity('Zoe', 'Engineer', ['plays the VIOLIN']), entity('Adam', 'person', ['likes tea']), entity('Violet', 'person'),
    entity('Maya', 'violinist'), entity('Omar', 'person', ['loves music']),
  ])
  await graph.createRelations(A, [
    rel('Adam', 'knows', 'Zoe'), rel('Omar', 'violin_teacher_of', 'Adam'), rel('Maya', 'teaches', 'Ghost'), rel('Ghost', 'scares', 'Nobody'),
  ])
  const violin = await graph.searchNodes(A, 'ViOl')
  t.strictSame(names(violin), ['Zoe', 'Violet', 'Maya'], 'observation, name and type matches, in storage order')
  t.strictSame(violin.relations, [rel('Adam', 'knows', 'Zoe'), rel('Maya', 'teaches', 'Ghost')], 'relations from or to a match')
  t.strictSame(await graph.searchNodes(A, 'teacher_of'), { entities: [], relations: [] }, 'relation types are not searched')
  t.strictSame(names(await graph.searchNodes(A, 'ENGINEER')), ['Zoe'], 'entityType, any case')
  const all = await graph.searchNodes(A, '')
  t.strictSame(names(all), ['Zoe', 'Adam', 'Violet', 'Maya', 'Omar'], 'the empty query matches every entity')
  t.strictSame(all.relations, [rel('Adam', 'knows', 'Zoe'), rel('Omar', 'violin_teacher_of', 'Adam'), rel('Maya', 'teaches', 'Ghost')],
    'but not relations between names without entities')
  t.strictSame(await graph.searchNodes(A, 'person\nlikes'), { entities: [], relations: [] }, 'no match across two fields')
  t.strictSame(await graph.searchNodes(A, 'name'), { entities: [], relations: [] }, 'no match on storage field names')
  t.strictSame(names(await graph.searchNodes(A, 'kes t')), ['Adam'], 'inside an observation')
  t.strictSame(await graph.searchNodes(A, 'xylophone'), { entities: [], relations: [] }, 'no match')
})

t.test('search_nodes: literal text and Unicode case rules as JavaScript applies them', async (t) => {
  const { graph } = await setup()
  await graph.createEntities(A, [
    entity('MÜLLER', 'person'), entity('ΟΔΥΣΣΕΥΣ', 'hero'), entity('Kelvin', 'unit', ['300 \u212A']), entity('pct', 'x', ['100% sure']),
    entity('under', 'x', ['snake_case']),
  ])
  t.strictSame(names(await graph.searchNodes(A, 'müller')), ['MÜLLER'])
  t.strictSame(names(await graph.searchNodes(A, 'οδυσσευς')), ['ΟΔΥΣΣΕΥΣ'], 'final sigma')
  t.strictSame(names(await graph.searchNodes(A, '300 k')), ['Kelvin'], 'the Kelvin sign lowercases to k')
  t.strictSame(names(await graph.searchNodes(A, '%')), ['pct'], '% is literal')
  t.strictSame(names(await graph.searchNodes(A, 'e_c')), ['under'], '_ is literal')
})

t.test('search prefilter: the lowercased query over lowercased search text, index-served', async (t) => {
  t.equal(prefilterNeedle('Müller'), 'müller')
  t.equal(prefilterNeedle('Mike'), 'mike', 'i and k are kept: the folding is done in JavaScript on both sides')
  t.equal(prefilterNeedle(''), '')
  const { graph, store } = await setup({}, (inner) => new QuerySpy(inner))
  const spy = store as QuerySpy
  await graph.createEntities(A, Array.from({ length: 150 }, (_, i) => entity(`entity ${i}`, 'thing', [`observation ${i}`])))
  await graph.createEntities(A, [entity('Rare', 'thing', ['a walrus named Wally'])])
  spy.reset()
  t.strictSame(names(await graph.searchNodes(A, 'WALRUS')), ['Rare'])
  t.strictSame(spy.contains, ['walrus'], 'the store filters by content')
  t.ok(spy.entries < 5, `only candidates are read (${spy.entries} entries)`)
})

t.test('open_nodes: storage order, unknown names skipped, relations touching any found entity', async (t) => {
  const { graph } = await setup()
  await graph.createEntities(A, [entity('a'), entity('b'), entity('c'), entity('d')])
  await graph.createRelations(A, [rel('a', 'r', 'b'), rel('c', 'r', 'd'), rel('x', 'r', 'c'), rel('x', 'r', 'y'), rel('d', 'r', 'd')])
  const opened = await graph.openNodes(A, ['c', 'nobody', 'a', 'c'])
  t.strictSame(names(opened), ['a', 'c'], 'storage order, not request order; unknown skipped')
  t.strictSame(opened.relations, [rel('a', 'r', 'b'), rel('c', 'r', 'd'), rel('x', 'r', 'c')], 'from or to a found entity')
  t.strictSame(await graph.openNodes(A, ['x', 'y']), { entities: [], relations: [] }, 'names without entities open nothing')
  t.strictSame(await graph.openNodes(A, []), { entities: [], relations: [] })
})

t.test('the many-names path (all relations read once) gives the same answers', async (t) => {
  for (const tagLookupNames of [0, 32]) {
    const { graph } = await setup({ tagLookupNames, pageSize: 2 })
    await graph.createEntities(A, [entity('a'), entity('b'), entity('c')])
    await graph.createRelations(A, [rel('a', 'r', 'b'), rel('z', 'r', 'c'), rel('z', 'r', 'y'), rel('b', 'r', 'a')])
    t.strictSame((await graph.openNodes(A, ['b', 'c'])).relations, [rel('a', 'r', 'b'), rel('z', 'r', 'c'), rel('b', 'r', 'a')],
      `tagLookupNames ${tagLookupNames}`)
    await graph.deleteEntities(A, ['z', 'a'])
    t.strictSame((await graph.readGraph(A)).relations, [], `cascade, tagLookupNames ${tagLookupNames}`)
  }
})

t.test('tool isolation: one tool never sees or changes another tool\'s graph', async (t) => {
  const { graph } = await setup()
  await graph.createEntities(A, [entity('Alice', 'person', ['secret'])])
  await graph.createRelations(A, [rel('Alice', 'knows', 'Bob')])
  const reader: Caller = { tool: 'tool-b', scopes: ['read', 'write', 'read:tool-a', 'read:shared'] }
  t.strictSame(await graph.readGraph(reader), { entities: [], relations: [], nextCursor: null }, 'read_graph, even with a read grant')
  t.strictSame(await graph.searchNodes(reader, 'secret'), { entities: [], relations: [] }, 'search_nodes')
  t.strictSame(await graph.searchNodes(reader, ''), { entities: [], relations: [] }, 'empty search')
  t.strictSame(await graph.openNodes(reader, ['Alice']), { entities: [], relations: [] }, 'open_nodes')
  t.equal((await rejection(t, graph.addObservations(B, [{ entityName: 'Alice', contents: ['x'] }]))).code, 'entity_not_found')
  t.strictSame(await graph.createEntities(B, [entity('Alice', 'robot')]), [entity('Alice', 'robot')], 'the same name is new in B')
  await graph.deleteEntities(B, ['Alice'])
  t.strictSame(await graph.readGraph(A),
    { entities: [entity('Alice', 'person', ['secret'])], relations: [rel('Alice', 'knows', 'Bob')], nextCursor: null },
    'B\'s delete left A alone')
  const readOnly: Caller = { tool: 'tool-a', scopes: ['read'] }
  t.equal((await rejection(t, graph.createEntities(readOnly, [entity('x')]))).code, 'forbidden', 'writes need the write scope')
  t.equal((await rejection(t, graph.readGraph({ tool: 'tool-a', scopes: ['write'] }))).code, 'forbidden', 'reads need the read scope')
})

t.test('a key held through /v2 by something else is a key_conflict, not a skip', async (t) => {
  const { graph, manager } = await setup()
  const { key: _none, ...keyed } = v2Input('not an entity')
  await manager.putByKey(A, 'entity:Alice', keyed)
  t.equal((await rejection(t, graph.createEntities(A, [entity('Alice')]))).code, 'key_conflict')
  t.strictSame(await graph.openNodes(A, ['Alice']), { entities: [], relations: [] }, 'and it is not an entity')
})

t.test('add_observations under a concurrent writer: re-read, retry, report only its own additions', async (t) => {
  let interfere: (() => Promise<void>) | null = null
  const { graph, manager } = await setup({}, (inner) => new UpdateHook(inner, async () => {
    const run = interfere
    interfere = null
    if (run) await run()
  }))
  const other = new GraphService(manager)
  await graph.createEntities(A, [entity('Alice', 'person', ['tea'])])
  interfere = async () => void (await other.addObservations(A, [{ entityName: 'Alice', contents: ['coffee', 'cake'] }]))
  const results = await graph.addObservations(A, [{ entityName: 'Alice', contents: ['coffee', 'juice'] }])
  t.strictSame(results, [{ entityName: 'Alice', addedObservations: ['juice'] }], 'coffee was added by the other writer')
  t.strictSame((await graph.openNodes(A, ['Alice'])).entities[0]!.observations, ['tea', 'coffee', 'cake', 'juice'], 'nothing lost')

  await graph.createEntities(A, [entity('Bob'), entity('Carol')])
  let updates = 0
  interfere = async () => {
    updates++
    interfere = async () => void (await other.deleteEntities(A, ['Carol']))
  }
  const err = await rejection(t, graph.addObservations(A, [{ entityName: 'Bob', contents: ['b'] }, { entityName: 'Carol', contents: ['c'] }]))
  t.equal(updates, 1)
  t.equal(err.detail, 'Entity with name Carol not found', 'an entity deleted between the check and its write fails the call midway')
  t.strictSame((await graph.openNodes(A, ['Bob'])).entities[0]!.observations, ['b'], 'the entity written before it keeps its addition')

  interfere = async () => void (await other.deleteEntities(A, ['Bob']))
  await graph.deleteObservations(A, [{ entityName: 'Bob', observations: ['b'] }])
  t.strictSame(await graph.openNodes(A, ['Bob']), { entities: [], relations: [] }, 'delete_observations on a vanished entity is a no-op')
})

t.test('bounded retries end with backend_unavailable', async (t) => {
  const { graph, manager } = await setup({ maxAttempts: 3 }, (inner) => new UpdateHook(inner, async (entry) => {
    // Every write of this entity loses the race: bump it first.
    const current = await inner.get(entry.tool, entry.id)
    if (current) await inner.update({ ...current }, {})
  }))
  await manager.putByKey(A, entityKey('Alice'), entityInput(entity('Alice')), { kind: 'absent' })
  const err = await rejection(t, graph.addObservations(A, [{ entityName: 'Alice', contents: ['x'] }]))
  t.equal(err.code, 'backend_unavailable')
  t.match(err.detail, /did not settle/)
})

/** Runs `before` ahead of every `update` (the moment a concurrent writer can slip in). */
class UpdateHook extends DelegatingStore {
  constructor(inner: MemoryStore, private readonly before: (entry: MemoryEntry) => Promise<void>) {
    super(inner)
  }

  override async update(entry: MemoryEntry, options?: WriteOptions): Promise<MemoryEntry> {
    await this.before(entry)
    return this.inner.update(entry, options)
  }
}

/** Records the `contains` criteria of queries and how many entries they returned. */
class QuerySpy extends DelegatingStore {
  contains: string[] = []
  entries = 0

  reset(): void {
    this.contains = []
    this.entries = 0
  }

  override async query(filter: EntryFilter, cursor: string | null, limit: number): Promise<Page<MemoryEntry>> {
    if (filter.contains !== undefined) this.contains.push(filter.contains)
    const page = await this.inner.query(filter, cursor, limit)
    this.entries += page.items.length
    return page
  }
}
