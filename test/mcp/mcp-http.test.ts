/**
 * `/mcp` over Streamable HTTP with the SDK's real client: the tool list (the reference's nine with
 * their annotations, the six v2 tools), the shared scenario, the resource, tool isolation through
 * `X-Memory-Tool`, API keys (401 without a valid one, scopes), 405 for GET/DELETE, and backend
 * failures answered without internals.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import t from 'tap'
import { packageVersion } from '../../src/mcp/package-version.js'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import { DelegatingStore } from '../../src/storage/delegating-store.js'
import type { EntryFilter, MemoryStore, ScanKey } from '../../src/storage/memory-store.js'
import { buildTestApp } from '../helpers/build-app.js'
import { GRAPH_EXPECTED, connect, httpClient, runScenario, serveMcp } from './scenario.js'

const ENV = { ACCESS_FLUSH_SECONDS: '3600' }

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false }
const DELETE = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false }
const REFERENCE_TOOLS: Record<string, { title: string; annotations: object; required: string[] }> = {
  create_entities: { title: 'Create Entities', annotations: WRITE, required: ['entities'] },
  create_relations: { title: 'Create Relations', annotations: WRITE, required: ['relations'] },
  add_observations: { title: 'Add Observations', annotations: WRITE, required: ['observations'] },
  delete_entities: { title: 'Delete Entities', annotations: DELETE, required: ['entityNames'] },
  delete_observations: { title: 'Delete Observations', annotations: DELETE, required: ['deletions'] },
  delete_relations: { title: 'Delete Relations', annotations: DELETE, required: ['relations'] },
  read_graph: { title: 'Read Graph', annotations: READ, required: [] },
  search_nodes: { title: 'Search Nodes', annotations: READ, required: ['query'] },
  open_nodes: { title: 'Open Nodes', annotations: READ, required: ['names'] },
}
const V2_TOOLS = ['memory_store', 'memory_get', 'memory_search', 'memory_update', 'memory_delete', 'memory_list', 'memory_context']

t.test('listTools: the nine reference tools with their titles, schemas and annotations, and the v2 tools', async (t) => {
  const app = await buildTestApp(t, ENV)
  const client = await httpClient(t, await serveMcp(t, app))
  t.match(client.getServerVersion(), { name: 'mcp-memory', version: packageVersion() })
  const { tools } = await client.listTools()
  t.same(tools.map((tool) => tool.name).sort(), [...Object.keys(REFERENCE_TOOLS), ...V2_TOOLS].sort())
  for (const tool of tools) {
    const reference = REFERENCE_TOOLS[tool.name]
    t.ok(tool.description, `${tool.name} has a description`)
    t.ok(tool.outputSchema, `${tool.name} has an output schema`)
    t.ok(tool.annotations, `${tool.name} has annotations`)
    if (!reference) continue
    t.equal(tool.title, reference.title, `${tool.name} title`)
    t.same(tool.annotations, reference.annotations, `${tool.name} annotations`)
    t.same(tool.inputSchema.required ?? [], reference.required, `${tool.name} required inputs`)
  }
  const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]))
  t.equal(byName.create_entities!.description, 'Create multiple new entities in the knowledge graph')
  t.match(byName.create_entities!.inputSchema.properties, {
    entities: { type: 'array', items: { type: 'object', required: ['name', 'entityType', 'observations'] } },
  })
  t.match(byName.delete_entities!.outputSchema, { properties: { success: { type: 'boolean' }, message: { type: 'string' } } })
  t.equal(byName.memory_get!.annotations!.readOnlyHint, true)
  t.equal(byName.memory_delete!.annotations!.destructiveHint, true)
  t.equal(byName.memory_store!.annotations!.readOnlyHint, false)
})

t.test('the scenario gives the reference answers as structured content and text', async (t) => {
  const app = await buildTestApp(t, ENV)
  const client = await httpClient(t, await serveMcp(t, app))
  const steps = await runScenario(client)
  const byStep = new Map(steps.map((s) => [s.step, s]))
  for (const [step, expected] of Object.entries(GRAPH_EXPECTED)) {
    const got = byStep.get(step)
    if (!got) {
      t.fail(`step missing: ${step}`)
      continue
    }
    if (typeof expected === 'string') {
      t.same({ isError: got.isError, text: got.text, structured: got.structured }, { isError: true, text: expected, structured: undefined }, step)
    } else {
      t.equal(got.isError, false, `${step}: no error`)
      t.same(got.structured, expected, step)
    }
  }
  // Text content: as the reference prints it.
  t.equal(byStep.get('create_entities: new ones')!.text, JSON.stringify((GRAPH_EXPECTED['create_entities: new ones'] as any).entities, null, 2))
  t.equal(byStep.get('read_graph: after the deletes')!.text, JSON.stringify(GRAPH_EXPECTED['read_graph: after the deletes'], null, 2))
  t.equal(byStep.get('delete_entities: cascade, also for names without an entity')!.text, 'Entities deleted successfully')
  const invalid = byStep.get('validation: a missing field is an error')!
  t.equal(invalid.isError, true)
  t.match(invalid.text, /entityType/)

  const resource = byStep.get('resource memory://knowledge-graph')!
  t.same(resource.structured, { uri: 'memory://knowledge-graph', mimeType: 'application/json' })
  t.same(JSON.parse(resource.text), GRAPH_EXPECTED['read_graph: after the deletes'], 'the resource is the graph')

  const stored = byStep.get('memory_store: new')!.structured as any
  t.match(stored, { deduplicated: false, entry: { id: '<id1>', tool: 'default', type: 'note', content: 'the deploy key rotates monthly', tags: ['ops'], version: 1, createdAt: '<time>' } })
  t.match(byStep.get('memory_store: same content deduplicated')!.structured, { deduplicated: true, entry: { id: '<id1>' } })
  t.match(byStep.get('memory_store: unknown fields rejected'), { isError: true, text: /colour/ })
  t.same(byStep.get('memory_get: by id')!.structured, { entry: stored.entry })
  t.match(byStep.get('memory_update: merge patch')!.structured, { entry: { id: '<id1>', version: 2, tags: ['ops', 'security'], importance: 0.9 } })
  t.match(byStep.get('memory_update: stale expectedVersion'), { isError: true })
  t.match(byStep.get('memory_search: fulltext')!.structured, { items: [{ entry: { id: '<id1>' }, score: Number }] })
  t.match(byStep.get('memory_list: by type')!.structured, { items: [{ id: '<id1>', version: 2 }], nextCursor: null })
  t.same(byStep.get('memory_delete: by id')!.structured, { success: true, message: 'Memory <id1> deleted' })
  t.match(byStep.get('memory_get: gone'), { isError: true, text: 'no memory with id <id1>' })

  const v2 = await app.server.inject({ method: 'GET', url: '/v2/memories?type=kg.entity' })
  t.equal(v2.json().items.length, 3, 'graph entities are v2 entries of the tool')
})

t.test('tool isolation through X-Memory-Tool: tool A\'s graph is invisible to tool B', async (t) => {
  const app = await buildTestApp(t, ENV)
  const url = await serveMcp(t, app)
  const a = await httpClient(t, url, { 'x-memory-tool': 'tool-a' })
  const b = await httpClient(t, url, { 'x-memory-tool': 'tool-b' })
  await a.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'Secret', entityType: 'plan', observations: ['only A knows'] }] } })
  await a.callTool({ name: 'create_relations', arguments: { relations: [{ from: 'Secret', to: 'Other', relationType: 'hides' }] } })
  const stored = await a.callTool({ name: 'memory_store', arguments: { content: 'A private note' } })
  const id = (stored.structuredContent as any).entry.id as string

  t.same((await b.callTool({ name: 'read_graph', arguments: {} })).structuredContent, { entities: [], relations: [] })
  t.same((await b.callTool({ name: 'search_nodes', arguments: { query: 'secret' } })).structuredContent, { entities: [], relations: [] })
  t.same((await b.callTool({ name: 'open_nodes', arguments: { names: ['Secret'] } })).structuredContent, { entities: [], relations: [] })
  const addB = await b.callTool({ name: 'add_observations', arguments: { observations: [{ entityName: 'Secret', contents: ['B was here'] }] } })
  t.match(addB, { isError: true, content: [{ text: 'Entity with name Secret not found' }] })
  await b.callTool({ name: 'delete_entities', arguments: { entityNames: ['Secret'] } })
  t.match(await b.callTool({ name: 'memory_get', arguments: { id } }), { isError: true })
  t.same((await b.callTool({ name: 'memory_list', arguments: {} })).structuredContent, { items: [], nextCursor: null })
  const resourceB = await b.readResource({ uri: 'memory://knowledge-graph' })
  t.same(JSON.parse((resourceB.contents[0] as { text: string }).text), { entities: [], relations: [] })

  const graphA = await a.callTool({ name: 'read_graph', arguments: {} })
  t.same(graphA.structuredContent, {
    entities: [{ name: 'Secret', entityType: 'plan', observations: ['only A knows'] }],
    relations: [{ from: 'Secret', to: 'Other', relationType: 'hides' }],
  }, 'B\'s calls changed nothing of A\'s')
  t.match((await a.callTool({ name: 'memory_get', arguments: { id } })).structuredContent, { entry: { tool: 'tool-a', content: 'A private note' } })
  const contextB = (await b.callTool({ name: 'memory_context', arguments: { maxTokens: 1000, query: 'private note' } })).structuredContent as any
  t.same(contextB.items, [], 'memory_context of B: nothing of A\'s')
  const contextA = (await a.callTool({ name: 'memory_context', arguments: { maxTokens: 1000, query: 'private note' } })).structuredContent as any
  t.ok(contextA.items.some((i: any) => i.entry.id === id), 'memory_context of A packs its note')
  t.ok(contextA.totalTokens <= 1000)
  t.match(await a.callTool({ name: 'memory_context', arguments: { maxTokens: 0 } }), { isError: true }, 'maxTokens 0 is refused')
})

t.test('with API keys: no key or a wrong key is 401, the key picks the tool and its scopes apply', async (t) => {
  const KEYS = 'tool-a=aaaaaaaaaaaaaaaa1,tool-r=rrrrrrrrrrrrrrrr2:read'
  const env = { ...ENV, MEMORY_API_KEYS: KEYS }
  const app = await buildTestApp(t, env)
  const url = await serveMcp(t, app)

  const refused: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong-key-0000000' }, { 'x-memory-tool': 'tool-a' }]
  for (const headers of refused) {
    const client = new Client({ name: 'no-key', version: '1' })
    await t.rejects(client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } })), /401|nauthorized/, `connect with ${JSON.stringify(headers)}`)
    await client.close()
  }
  const raw = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  })
  t.equal(raw.status, 401)
  t.match(raw.headers.get('content-type'), /application\/problem\+json/)
  t.match(raw.headers.get('www-authenticate'), /Bearer/)
  t.match(await raw.json(), { code: 'unauthorized', status: 401 })

  const writer = await httpClient(t, url, { authorization: 'Bearer aaaaaaaaaaaaaaaa1' })
  const created = await writer.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'K', entityType: 't', observations: [] }] } })
  t.same(created.structuredContent, { entities: [{ name: 'K', entityType: 't', observations: [] }] })
  t.match((await writer.callTool({ name: 'memory_store', arguments: { content: 'x' } })).structuredContent, { entry: { tool: 'tool-a' } })

  const reader = await httpClient(t, url, { authorization: 'Bearer rrrrrrrrrrrrrrrr2' })
  t.same((await reader.callTool({ name: 'read_graph', arguments: {} })).structuredContent, { entities: [], relations: [] }, 'its own (empty) graph')
  const denied = await reader.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'K', entityType: 't', observations: [] }] } })
  t.match(denied, { isError: true, content: [{ text: /lacks the "write" scope/ }] })
  t.match(await reader.callTool({ name: 'memory_store', arguments: { content: 'x' } }), { isError: true, content: [{ text: /write/ }] })
})

t.test('GET and DELETE /mcp are 405 problem+json (stateless: no stream, no session)', async (t) => {
  const app = await buildTestApp(t, ENV)
  await serveMcp(t, app)
  for (const method of ['GET', 'DELETE'] as const) {
    const res = await app.server.inject({ method, url: '/mcp' })
    t.equal(res.statusCode, 405, method)
    t.equal(res.headers.allow, 'POST')
    t.match(res.headers['content-type'], /application\/problem\+json/)
    t.match(res.json(), { code: 'method_not_allowed', status: 405 })
  }
})

/** Reads fail with an error whose message holds internals while `failing` is set. */
class LeakyStore extends DelegatingStore {
  failing = false
  private boom(): never {
    throw new Error('connect ECONNREFUSED 10.1.2.3:5432 user=admin password=hunter2')
  }
  override query(filter: EntryFilter, cursor: string | null, limit: number) {
    return this.failing ? this.boom() : super.query(filter, cursor, limit)
  }
  override scan(after: ScanKey | null, limit: number) {
    return this.failing ? this.boom() : super.scan(after, limit)
  }
  override findByKey(tool: string, key: string) {
    return this.failing ? this.boom() : super.findByKey(tool, key)
  }
}

t.test('a backend failure is an isError result without internals', async (t) => {
  const leaky = new LeakyStore(createInMemoryStore() as MemoryStore)
  const app = await buildTestApp(t, ENV, { store: leaky })
  const client = await connect(t, new StreamableHTTPClientTransport(await serveMcp(t, app)))
  await client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'E', entityType: 't', observations: [] }] } })
  leaky.failing = true
  for (const [name, args] of [['read_graph', {}], ['search_nodes', { query: 'e' }], ['open_nodes', { names: ['E'] }], ['memory_list', {}]] as const) {
    const result = await client.callTool({ name, arguments: args })
    t.equal(result.isError, true, `${name} is an error`)
    const text = (result.content as Array<{ text: string }>)[0]!.text
    t.notMatch(text, /ECONNREFUSED|10\.1\.2\.3|hunter2|password/, `${name}: no internals`)
    t.match(text, /unexpected error/i, `${name}: a generic message`)
  }
  await t.rejects(client.readResource({ uri: 'memory://knowledge-graph' }), /unexpected error/i)
  leaky.failing = false
  t.same((await client.callTool({ name: 'read_graph', arguments: {} })).structuredContent, {
    entities: [{ name: 'E', entityType: 't', observations: [] }], relations: [],
  }, 'served again once the backend is back')
})
