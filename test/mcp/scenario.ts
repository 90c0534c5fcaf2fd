/**
 * One MCP scenario, run through any connected SDK client (Streamable HTTP or stdio): the reference
 * knowledge-graph tools over every rule that shows in a short script (skip existing names, collapse
 * duplicates, direction, dangling relations, the atomic unknown-entity failure, storage order,
 * case-insensitive and empty search, delete cascade), the resource, and the v2 memory tools.
 * `runScenario` returns a transcript with server-made ids and times normalised, so two runs can be
 * compared with `t.same`; `GRAPH_EXPECTED` holds what the graph steps must answer.
 *
 * Also the plumbing the MCP tests share: serving `/mcp` on a test app and connecting clients.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { App } from '../../src/app.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Step {
  step: string
  isError: boolean
  text: string
  structured?: unknown
}

const A = { name: 'Alice', entityType: 'person', observations: ['likes tea'] }
const B = { name: 'Bob', entityType: 'person', observations: ['works at Acme'] }
const ACME = { name: 'Acme', entityType: 'company', observations: [] as string[] }
const CAROL = { name: 'Carol', entityType: 'person', observations: ['Drinks TEA daily'] }
const KNOWS = { from: 'Alice', to: 'Bob', relationType: 'knows' }
const KNOWN_BY = { from: 'Bob', to: 'Alice', relationType: 'knows' }
const WORKS = { from: 'Bob', to: 'Acme', relationType: 'works_at' }
const HAUNTS = { from: 'Ghost', to: 'Alice', relationType: 'haunts' }
const ALICE_2 = { ...A, observations: ['likes tea', 'plays chess'] }
const BOB_2 = { ...B, observations: ['works at Acme', 'likes tea'] }
const done = (what: string) => ({ success: true, message: `${what} deleted successfully` })

/** The structured result every graph step must give (errors: their message). */
export const GRAPH_EXPECTED: Record<string, unknown> = {
  'create_entities: new ones': { entities: [A, B, ACME] },
  'create_entities: existing names skipped, duplicates collapsed': { entities: [CAROL] },
  'create_relations: direction matters, dangling kept, duplicates collapsed': { relations: [KNOWS, KNOWN_BY, WORKS, HAUNTS] },
  'create_relations: existing triple skipped': { relations: [] },
  'add_observations: known contents skipped, later items see earlier ones': {
    results: [
      { entityName: 'Alice', addedObservations: ['plays chess'] },
      { entityName: 'Bob', addedObservations: ['likes tea'] },
      { entityName: 'Alice', addedObservations: [] },
    ],
  },
  'add_observations: unknown entity fails the whole call': 'Entity with name Nobody not found',
  'read_graph: nothing kept of the failed call': {
    entities: [ALICE_2, BOB_2, ACME, CAROL], relations: [KNOWS, KNOWN_BY, WORKS, HAUNTS],
  },
  'search_nodes: case-insensitive over names, types and observations': {
    entities: [ALICE_2, BOB_2, CAROL], relations: [KNOWS, KNOWN_BY, WORKS, HAUNTS],
  },
  'search_nodes: relation types are not searched': { entities: [], relations: [] },
  'search_nodes: an empty query matches every entity': {
    entities: [ALICE_2, BOB_2, ACME, CAROL], relations: [KNOWS, KNOWN_BY, WORKS, HAUNTS],
  },
  'open_nodes: storage order, unknown names skipped, touching relations': {
    entities: [BOB_2, ACME], relations: [KNOWS, KNOWN_BY, WORKS],
  },
  'delete_observations: unknown entity and observation are no-ops': done('Observations'),
  'delete_relations: exact matches only': done('Relations'),
  'delete_entities: cascade, also for names without an entity': done('Entities'),
  'read_graph: after the deletes': {
    entities: [{ ...ALICE_2, observations: ['plays chess'] }, ACME, CAROL],
    relations: [],
  },
}

export const GRAPH_STEPS: Array<[string, string, Record<string, unknown>]> = [
  ['create_entities: new ones', 'create_entities', { entities: [{ ...A, mood: 'ignored' }, B, ACME], extra: true }],
  ['create_entities: existing names skipped, duplicates collapsed', 'create_entities', {
    entities: [{ ...A, entityType: 'robot' }, CAROL, { ...CAROL, entityType: 'other' }],
  }],
  ['create_relations: direction matters, dangling kept, duplicates collapsed', 'create_relations', {
    relations: [KNOWS, KNOWN_BY, KNOWS, WORKS, HAUNTS],
  }],
  ['create_relations: existing triple skipped', 'create_relations', { relations: [KNOWS] }],
  ['add_observations: known contents skipped, later items see earlier ones', 'add_observations', {
    observations: [
      { entityName: 'Alice', contents: ['plays chess', 'likes tea'] },
      { entityName: 'Bob', contents: ['likes tea'] },
      { entityName: 'Alice', contents: ['plays chess'] },
    ],
  }],
  ['add_observations: unknown entity fails the whole call', 'add_observations', {
    observations: [{ entityName: 'Carol', contents: ['never kept'] }, { entityName: 'Nobody', contents: ['x'] }],
  }],
  ['read_graph: nothing kept of the failed call', 'read_graph', {}],
  ['search_nodes: case-insensitive over names, types and observations', 'search_nodes', { query: 'TEA' }],
  ['search_nodes: relation types are not searched', 'search_nodes', { query: 'works_at' }],
  ['search_nodes: an empty query matches every entity', 'search_nodes', { query: '' }],
  ['open_nodes: storage order, unknown names skipped, touching relations', 'open_nodes', { names: ['Acme', 'Nobody', 'Bob'] }],
  ['delete_observations: unknown entity and observation are no-ops', 'delete_observations', {
    deletions: [{ entityName: 'Alice', observations: ['likes tea', 'never said'] }, { entityName: 'Nobody', observations: ['x'] }],
  }],
  ['delete_relations: exact matches only', 'delete_relations', {
    relations: [WORKS, { from: 'Acme', to: 'Bob', relationType: 'works_at' }],
  }],
  ['delete_entities: cascade, also for names without an entity', 'delete_entities', { entityNames: ['Bob', 'Ghost', 'Nobody'] }],
  ['read_graph: after the deletes', 'read_graph', {}],
]

/** Runs the whole scenario on an empty tool; the transcript has ids and times normalised. */
export async function runScenario(client: Client): Promise<Step[]> {
  const steps: Step[] = []
  const call = async (step: string, name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args })
    const content = result.content as Array<{ type: string; text?: string }>
    const entry: Step = { step, isError: result.isError === true, text: content.map((c) => c.text ?? `<${c.type}>`).join('\n') }
    if (result.structuredContent !== undefined) entry.structured = result.structuredContent
    steps.push(entry)
    return entry
  }
  for (const [step, name, args] of GRAPH_STEPS) await call(step, name, args)
  await call('validation: a missing field is an error', 'create_entities', { entities: [{ name: 'X', observations: [] }] })

  const resource = await client.readResource({ uri: 'memory://knowledge-graph' })
  const first = resource.contents[0] as { uri: string; mimeType?: string; text?: string }
  steps.push({ step: 'resource memory://knowledge-graph', isError: false, text: first.text ?? '', structured: { uri: first.uri, mimeType: first.mimeType } })

  const stored = await call('memory_store: new', 'memory_store', { content: 'the deploy key rotates monthly', type: 'note', tags: ['ops'] })
  const id = (stored.structured as { entry: { id: string } }).entry.id
  await call('memory_store: same content deduplicated', 'memory_store', { content: 'the deploy key rotates monthly', type: 'note' })
  await call('memory_store: unknown fields rejected', 'memory_store', { content: 'x', colour: 'red' })
  await call('memory_get: by id', 'memory_get', { id })
  await call('memory_update: merge patch', 'memory_update', { id, patch: { tags: ['ops', 'security'], importance: 0.9 }, expectedVersion: 1 })
  await call('memory_update: stale expectedVersion', 'memory_update', { id, patch: { importance: 0.1 }, expectedVersion: 1 })
  await call('memory_search: fulltext', 'memory_search', { query: 'deploy key', types: ['note'] })
  await call('memory_list: by type', 'memory_list', { types: ['note'] })
  await call('memory_delete: by id', 'memory_delete', { id, expectedVersion: 2 })
  await call('memory_get: gone', 'memory_get', { id })
  return normalise(steps)
}

/** Server-made values (ids, hashes stay: they are content-derived) replaced by stable tokens. */
function normalise(steps: Step[]): Step[] {
  const ids = new Map<string, string>()
  const json = JSON.stringify(steps)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => {
      if (!ids.has(id)) ids.set(id, `<id${ids.size + 1}>`)
      return ids.get(id)!
    })
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
  return JSON.parse(json) as Step[]
}

/** Listens on a free port with the app's `/mcp` endpoint; returns its URL. */
export async function serveMcp(_t: Teardown, app: App): Promise<URL> {
  const server = app.server
  await server.listen({ host: '127.0.0.1', port: 0 })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return new URL(`http://127.0.0.1:${address.port}/mcp`)
}

/** A connected SDK client over Streamable HTTP, closed at teardown. */
export async function httpClient(t: Teardown, url: URL, headers: Record<string, string> = {}): Promise<Client> {
  return connect(t, new StreamableHTTPClientTransport(url, { requestInit: { headers } }))
}

export async function connect(t: Teardown, transport: Transport): Promise<Client> {
  const client = new Client({ name: 'mcp-memory-tests', version: '1.0.0' })
  await client.connect(transport)
  t.teardown(() => client.close())
  return client
}
