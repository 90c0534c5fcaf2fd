/**
 * The knowledge graph under concurrent calls on real Postgres (issue 5: "50 parallel create_entities
 * / add_observations calls on one tool: all kept"), where the reference server loses updates.
 * Also search_nodes through the SQL `contains` prefilter, whose case folding differs from JavaScript's.
 */
import t from 'tap'
import { GraphService } from '../../src/domain/graph/graph-service.js'
import type { Entity } from '../../src/domain/graph/knowledge-graph.js'
import type { Caller } from '../../src/domain/memory/caller.js'
import { EntryBuilder } from '../../src/domain/memory/entry-builder.js'
import { MemoryManager } from '../../src/domain/memory/memory-manager.js'
import { loadTokenCounter } from '../../src/domain/memory/token-counter.js'
import type { MemoryStore } from '../../src/storage/memory-store.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgSchemaStores } from '../helpers/sql-stores.js'

const unavailable = await postgresUnavailable()

const N = 50
const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const entity = (name: string, entityType = 'thing', observations: string[] = []): Entity => ({ name, entityType, observations })
const caller = (tool: string): Caller => ({ tool, scopes: ['read', 'write'] })

/** Every live entry of `tool` of `type` (straight from the store, so duplicates would show). */
async function entries(store: MemoryStore, tool: string, type: string) {
  const page = await store.query({ access: { tool, grantedTools: [], includeShared: false }, tools: [tool], types: [type] }, null, 10_000)
  return page.items
}

t.test('knowledge graph on Postgres', { skip: unavailable ?? false }, async (t) => {
  const make = await pgSchemaStores(t, await createTestDatabase(t, 'graph'))
  const store = await make({ now: Date.now })
  await store.init()
  t.teardown(() => store.close())
  const countTokens = await loadTokenCounter('o200k_base')
  const graph = new GraphService(new MemoryManager(store, new EntryBuilder({ maxContentBytes: 1024 * 1024, countTokens, now: Date.now })))

  t.test(`${N} parallel create_entities with distinct and overlapping names: each entity once`, async (t) => {
    const A = caller('conc-create')
    const calls = range(N).map((i) => [entity(`solo-${i}`), entity(`pair-${i % 10}`, `from-${i}`), entity('everyone', `from-${i}`)])
    const results = await Promise.all(calls.map((entities) => graph.createEntities(A, entities)))
    const expected = [...range(N).map((i) => `solo-${i}`), ...range(10).map((i) => `pair-${i}`), 'everyone'].sort()
    const read = await graph.readGraph(A)
    t.strictSame(read.entities.map((e) => e.name).sort(), expected, 'every distinct name once in the graph')
    t.equal((await entries(store, A.tool, 'kg.entity')).length, expected.length, 'and once in the store')
    const reported = results.flat().map((e) => e.name).sort()
    t.strictSame(reported, expected, 'each name reported newly added by exactly one call')
    for (const [i, added] of results.entries()) {
      t.ok(added.some((e) => e.name === `solo-${i}`), `call ${i} added its own name`)
      for (const e of added) t.strictSame(e, calls[i]!.find((c) => c.name === e.name), `call ${i} reports what it stored`)
    }
    for (const stored of read.entities) {
      const winner = results.findIndex((added) => added.some((e) => e.name === stored.name))
      const reportedType = calls[winner]!.find((c) => c.name === stored.name)!.entityType
      t.equal(stored.entityType, reportedType, `${stored.name}: the reporting call's version is kept`)
    }
  })

  t.test(`${N} identical create_entities and create_relations: exactly one newly added`, async (t) => {
    const A = caller('conc-same')
    const created = await Promise.all(range(N).map(() => graph.createEntities(A, [entity('Alice', 'person', ['one'])])))
    t.equal(created.filter((added) => added.length === 1).length, 1, 'one call added Alice')
    t.equal(created.filter((added) => added.length === 0).length, N - 1, 'the others skipped her')
    t.equal((await entries(store, A.tool, 'kg.entity')).length, 1, 'one entry')
    const relation = { from: 'Alice', to: 'Bob', relationType: 'knows' }
    const related = await Promise.all(range(N).map(() => graph.createRelations(A, [relation])))
    t.equal(related.filter((added) => added.length === 1).length, 1, 'one call added the relation')
    t.strictSame((await graph.readGraph(A)).relations, [relation])
    t.equal((await entries(store, A.tool, 'kg.relation')).length, 1, 'one entry')
  })

  t.test(`${N} parallel add_observations on one entity: every observation kept exactly once`, async (t) => {
    const A = caller('conc-observe')
    await graph.createEntities(A, [entity('hub', 'thing', ['seed'])])
    // Each call adds its own observation, its neighbour's (so pairs overlap) and one shared by all.
    const contents = (i: number) => [`obs-${i}`, `obs-${(i + 1) % N}`, 'common', 'seed']
    const results = await Promise.all(range(N).map((i) => graph.addObservations(A, [{ entityName: 'hub', contents: contents(i) }])))
    const [hub] = (await graph.openNodes(A, ['hub'])).entities
    const expected = ['seed', 'common', ...range(N).map((i) => `obs-${i}`)].sort()
    t.strictSame([...hub!.observations].sort(), expected, 'every observation once')
    t.equal(new Set(hub!.observations).size, hub!.observations.length, 'no duplicates')
    const reported = results.flatMap((r) => r[0]!.addedObservations).sort()
    t.strictSame(reported, expected.filter((o) => o !== 'seed'), 'each addition reported by exactly one call')
    for (const [i, r] of results.entries()) {
      t.equal(r[0]!.entityName, 'hub')
      t.ok(r[0]!.addedObservations.every((o) => contents(i).includes(o)), `call ${i} reports only its own contents`)
    }
    const [entry] = await entries(store, A.tool, 'kg.entity')
    t.equal(entry!.content, ['hub', 'thing', ...hub!.observations].join('\n'), 'the content follows the metadata')
  })

  t.test(`${N} parallel add_observations and delete_observations on several entities`, async (t) => {
    const A = caller('conc-mixed')
    await graph.createEntities(A, [entity('x', 'thing', ['gone-1', 'gone-2']), entity('y')])
    await Promise.all([
      ...range(N).map((i) => graph.addObservations(A, [{ entityName: 'x', contents: [`x-${i}`] }, { entityName: 'y', contents: [`y-${i}`] }])),
      graph.deleteObservations(A, [{ entityName: 'x', observations: ['gone-1'] }]),
      graph.deleteObservations(A, [{ entityName: 'x', observations: ['gone-2'] }]),
    ])
    const opened = await graph.openNodes(A, ['x', 'y'])
    t.strictSame([...opened.entities[0]!.observations].sort(), range(N).map((i) => `x-${i}`).sort(), 'x: all additions, both deletions')
    t.strictSame([...opened.entities[1]!.observations].sort(), range(N).map((i) => `y-${i}`).sort(), 'y: all additions')
  })

  t.test('search_nodes through the SQL prefilter follows JavaScript case rules', async (t) => {
    const A = caller('pg-search')
    await graph.createEntities(A, [
      entity('ΟΔΥΣΣΕΥΣ', 'hero'), entity('Kelvin', 'unit', ['300 \u212A']), entity('MÜLLER', 'person', ['100% sure']),
      entity('Plain', 'x', ['first line']), entity('Other', 'x', ['second line']),
    ])
    const names = async (query: string) => (await graph.searchNodes(A, query)).entities.map((e) => e.name)
    t.strictSame(await names('οδυσσευς'), ['ΟΔΥΣΣΕΥΣ'], 'final sigma (Postgres folds Σ to σ)')
    t.strictSame(await names('300 k'), ['Kelvin'], 'the Kelvin sign')
    t.strictSame(await names('müller'), ['MÜLLER'])
    t.strictSame(await names('0% S'), ['MÜLLER'], 'literal %, any case')
    t.strictSame(await names('LINE'), ['Plain', 'Other'], 'storage order')
    t.strictSame(await names('x\nfirst'), [], 'never across fields')
  })
})
