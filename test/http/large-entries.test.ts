/**
 * `mcp_memory_large_entries_total` counts every stored entry above 100 KiB, whichever surface wrote
 * it (/v2, a batch and MCP share the manager's write path), and nothing for small entries or
 * for a dedupe hit that stored nothing.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { httpClient, serveMcp } from '../mcp/scenario.js'

t.test('large entries are counted once per stored write, from every surface', async (t) => {
  const app = await buildTestApp(t)
  const inject = app.server.inject.bind(app.server)
  const count = async () => {
    const body = (await inject({ method: 'GET', url: '/metrics' })).body
    return Number(/^mcp_memory_large_entries_total (\d+)$/m.exec(body)?.[1] ?? NaN)
  }
  // Varied words: one long run of a single character is a slow case for BPE tokenizers.
  const big = Array.from({ length: 20_000 }, (_, i) => `w${(i * 7919) % 10_007}`).join(' ')
  t.equal(await count(), 0)
  t.equal((await inject({ method: 'POST', url: '/v2/memories', payload: { content: big } })).statusCode, 201)
  t.equal(await count(), 1, '/v2 create')
  t.equal((await inject({ method: 'POST', url: '/v2/memories', payload: { content: big } })).statusCode, 200)
  t.equal(await count(), 1, 'a dedupe hit stores nothing and counts nothing')
  t.equal((await inject({ method: 'POST', url: '/v2/memories', payload: { content: 'small' } })).statusCode, 201)
  t.equal(await count(), 1, 'a small entry is not counted')
  const batch = await inject({ method: 'POST', url: '/v2/memories/batch', payload: { operations: [{ op: 'create', body: { content: big + 'b' } }] } })
  t.equal(batch.json().results[0].status, 201)
  t.equal(await count(), 2, 'batch create')
  const mcp = await httpClient(t, await serveMcp(t, app))
  const stored = await mcp.callTool({ name: 'memory_store', arguments: { content: big + 'm' } })
  t.notOk(stored.isError, 'MCP memory_store stored it')
  t.equal(await count(), 3, 'MCP memory_store goes through the same write path')
  // /v1 entities cannot reach 100 KiB (an entity is at most 64 KiB as JSON), so /v1 never counts here.
})
