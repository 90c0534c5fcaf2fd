/**
 * POST /v2/context over HTTP: the packed entries fit, relevant and important ones are preferred,
 * the answer says what was left out, and bad input is a 400 problem (over MCP an error result).
 */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { httpClient, serveMcp } from '../mcp/scenario.js'

t.test('POST /v2/context', async (t) => {
  const app = await buildTestApp(t)
  const inject = app.server.inject.bind(app.server)
  const create = async (content: string, importance: number) =>
    (await inject({ method: 'POST', url: '/v2/memories', payload: { content, importance } })).json()
  const filler = (n: number) => Array.from({ length: 40 }, (_, i) => `filler${n}x${i}`).join(' ')
  const relevant = await create('the lighthouse keeper logs every storm ' + filler(0), 0.2)
  const important = await create('always answer in French ' + filler(1), 1)
  for (let i = 2; i < 8; i++) await create(filler(i), 0.1)
  const context = (payload: unknown) => inject({ method: 'POST', url: '/v2/context', payload: payload as Record<string, unknown> })

  const byQuery = (await context({ maxTokens: relevant.tokens + 5, query: 'lighthouse storm', strategy: 'relevance' })).json()
  t.same(byQuery.items.map((i: { entry: { id: string } }) => i.entry.id), [relevant.id], 'room for one: the relevant entry')
  t.ok(byQuery.totalTokens <= byQuery.maxTokens)
  t.equal(byQuery.omittedCount, byQuery.candidates - 1)
  t.ok(byQuery.omitted.every((o: { reason: string }) => o.reason === 'did_not_fit'))

  const byImportance = (await context({ maxTokens: important.tokens + 5, strategy: 'importance' })).json()
  t.same(byImportance.items.map((i: { entry: { id: string } }) => i.entry.id), [important.id], 'room for one: the important entry')

  const all = (await context({ maxTokens: 1_000_000 })).json()
  t.equal(all.items.length, 8, 'everything fits a large budget')
  t.equal(all.omittedCount, 0)

  const bad: Array<[string, unknown, string]> = [
    ['all weights 0', { maxTokens: 100, weights: { relevance: 0, importance: 0, recency: 0 } }, '/body/weights'],
    ['maxTokens 0', { maxTokens: 0 }, '/body/maxTokens'],
    ['negative weight', { maxTokens: 100, weights: { relevance: -1 } }, '/body/weights/relevance'],
    ['unknown field', { maxTokens: 100, budget: 5 }, '/body'],
    ['unknown strategy', { maxTokens: 100, strategy: 'vibes' }, '/body/strategy'],
    ['query with NUL', { maxTokens: 100, query: 'a\u0000b' }, '/body/query'],
  ]
  for (const [label, payload, pointer] of bad) {
    const res = await context(payload)
    t.equal(res.statusCode, 400, label)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${label}: problem+json`)
    t.ok(res.json().errors?.some((e: { pointer: string }) => e.pointer === pointer), `${label}: points at ${pointer} (${res.body})`)
  }

  const mcp = await httpClient(t, await serveMcp(t, app))
  const zero = await mcp.callTool({ name: 'memory_context', arguments: { maxTokens: 100, weights: { relevance: 0, importance: 0, recency: 0 } } })
  t.match(zero, { isError: true, content: [{ text: 'at least one weight must be above 0' }] }, 'over MCP: the same refusal as an error result')
})
