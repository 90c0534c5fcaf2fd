/**
 * `mcp-memory stdio` as a child process driven by the SDK's stdio client: the shared scenario gives
 * exactly the answers `/mcp` gives; MEMORY_FILE_PATH imports a reference memory.jsonl into an empty
 * graph (and only then), and a corrupt file stops start-up naming its line, importing nothing.
 */
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { formatMemoryJsonl } from '../../src/domain/graph/jsonl.js'
import type { KnowledgeGraph } from '../../src/domain/graph/knowledge-graph.js'
import { buildTestApp } from '../helpers/build-app.js'
import { ROOT } from '../helpers/serve-process.js'
import { connect, httpClient, runScenario, serveMcp } from './scenario.js'

const NODE_ARGS = ['--import', 'tsx', 'src/cli/main.ts', 'stdio']
const BASE_ENV = { ACCESS_FLUSH_SECONDS: '3600', LOG_LEVEL: 'info' }

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A client connected to a fresh `mcp-memory stdio` process; its stderr is collected. */
async function stdioClient(t: Teardown, env: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: NODE_ARGS,
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', ...BASE_ENV, ...env },
    stderr: 'pipe',
  })
  let stderr = ''
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const client = await connect(t, transport)
  return { client, stderr: () => stderr }
}

async function readGraph(client: Client): Promise<KnowledgeGraph> {
  const result = await client.callTool({ name: 'read_graph', arguments: {} })
  if (result.isError) throw new Error(`read_graph failed: ${JSON.stringify(result.content)}`)
  return result.structuredContent as unknown as KnowledgeGraph
}

t.test('the scenario over stdio answers exactly as over /mcp', async (t) => {
  const app = await buildTestApp(t, { ACCESS_FLUSH_SECONDS: '3600' })
  const http = await httpClient(t, await serveMcp(t, app))
  const httpTools = (await http.listTools()).tools.map((tool) => tool.name).sort()
  const overHttp = await runScenario(http)
  const { client, stderr } = await stdioClient(t, { STORE_URL: 'memory://' })
  t.match(client.getServerVersion(), { name: 'mcp-memory' })
  t.same((await client.listTools()).tools.map((tool) => tool.name).sort(), httpTools, 'the same tools as over /mcp')
  t.equal(httpTools.length, 16, 'nine graph tools, six memory tools and memory_context')
  const overStdio = await runScenario(client)
  t.equal(overStdio.length, overHttp.length)
  t.same(overStdio, overHttp, 'identical transcripts')
  t.match(stderr(), /mcp-memory stdio ready/, 'logs go to stderr')
})

const ENTITY_A = '{"type":"entity","name":"Ada Lovelace","entityType":"person","observations":["wrote the first program","née Byron"]}'
const ENTITY_B = '{"type":"entity","name":"Analytical Engine","entityType":"machine","observations":[]}'
const ENTITY_C = '{"type":"entity","name":"Babbage","entityType":"person","observations":["designed the engine"]}'
const RELATION_1 = '{"type":"relation","from":"Ada Lovelace","to":"Analytical Engine","relationType":"programmed"}'
const RELATION_2 = '{"type":"relation","from":"Babbage","to":"Nobody","relationType":"dangles towards"}'
/** A reference-format file with a blank line, an unknown line type and a trailing newline. */
const FILE = [ENTITY_A, '', ENTITY_B, '{"type":"comment","text":"not a graph item"}', ENTITY_C, RELATION_1, '   ', RELATION_2, ''].join('\n')
const KEPT = [ENTITY_A, ENTITY_B, ENTITY_C, RELATION_1, RELATION_2].join('\n')

t.test('MEMORY_FILE_PATH: a reference memory.jsonl is imported into an empty store', async (t) => {
  const dir = t.testdir({ 'memory.jsonl': FILE })
  const { client, stderr } = await stdioClient(t, { STORE_URL: 'memory://', MEMORY_FILE_PATH: join(dir, 'memory.jsonl') })
  const graph = await readGraph(client)
  t.same(graph.entities.map((e) => e.name), ['Ada Lovelace', 'Analytical Engine', 'Babbage'])
  t.equal(formatMemoryJsonl(graph), KEPT, 'export of what was read gives the file\'s kept lines')
  const resource = await client.readResource({ uri: 'memory://knowledge-graph' })
  t.same(JSON.parse((resource.contents[0] as { text: string }).text), graph)
  t.match(stderr(), /imported MEMORY_FILE_PATH/)
})

t.test('MEMORY_FILE_PATH on a persistent store: imported once per tool, never over an existing graph', async (t) => {
  const dir = t.testdir({ 'memory.jsonl': FILE })
  const env = { STORE_URL: `pglite://${join(dir, 'data')}`, MEMORY_FILE_PATH: join(dir, 'memory.jsonl') }
  const first = await stdioClient(t, env)
  t.equal(formatMemoryJsonl(await readGraph(first.client)), KEPT)
  await first.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['Babbage'] } })
  await first.client.close()

  const again = await stdioClient(t, env)
  const graph = await readGraph(again.client)
  t.same(graph.entities.map((e) => e.name), ['Ada Lovelace', 'Analytical Engine'], 'not imported again over the existing graph')
  t.same(graph.relations, [JSON.parse(RELATION_1)].map(({ type: _type, ...r }) => r))
  t.match(again.stderr(), /already has a knowledge graph/)
  await again.client.close()

  const other = await stdioClient(t, { ...env, MEMORY_TOOL: 'other-tool' })
  t.equal(formatMemoryJsonl(await readGraph(other.client)), KEPT, 'another tool\'s empty graph gets the file')
})

t.test('a corrupt MEMORY_FILE_PATH stops start-up with its line number and imports nothing', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'memory.jsonl')
  writeFileSync(file, [ENTITY_A, '', ENTITY_B, '{"type":"entity","name":"Broken",', RELATION_1].join('\n'))
  const store = `pglite://${join(dir, 'data')}`
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, NODE_ARGS, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...BASE_ENV, STORE_URL: store, MEMORY_FILE_PATH: file },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`stdio did not stop:\n${stderr}`))
    }, 60_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
  t.equal(run.code, 2, 'exit code 2')
  t.equal(run.stdout, '', 'nothing on stdout')
  t.match(run.stderr, /memory\.jsonl line 4: /, 'the bad line is named')
  t.match(run.stderr, /nothing was imported/)

  const { client } = await stdioClient(t, { STORE_URL: store })
  t.same(await readGraph(client), { entities: [], relations: [] }, 'no line of the file was kept')
})
