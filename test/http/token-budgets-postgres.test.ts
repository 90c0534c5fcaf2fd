/**
 * Token budgets through the whole stack on real Postgres (issue 6): concurrent writers never push a
 * tool past its budget (checked with SUM in SQL afterwards), `reject` and `evict` answer as
 * documented, eviction follows the configured order exactly, and nothing acknowledged disappears
 * unless a response reported it evicted.
 */
import pg from 'pg'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'

const skip = await postgresUnavailable()

t.test('token budgets on Postgres', { skip: skip ?? false }, async (t) => {
  const url = await createTestDatabase(t, 'http_budget')
  const app = await buildTestApp(t, { STORE_URL: url, MIGRATE_ON_START: 'true', PG_POOL_MAX: '10', TOOL_REGISTRY_REFRESH_MS: '0' })
  const inject = app.server.inject.bind(app.server)
  const sql = new pg.Client({ connectionString: url })
  await sql.connect()
  t.teardown(() => sql.end())

  const usedTokens = async (tool: string) =>
    Number((await sql.query<{ used: string }>('SELECT coalesce(sum(tokens), 0) AS used FROM memories WHERE tool = $1', [tool])).rows[0]!.used)
  const storedIds = async (tool: string) =>
    new Set((await sql.query<{ id: string }>('SELECT id::text FROM memories WHERE tool = $1', [tool])).rows.map((r) => r.id))
  const register = async (tool: string, settings: Record<string, unknown>) => {
    const res = await inject({ method: 'PUT', url: `/v2/tools/${tool}`, payload: settings })
    t.equal(res.statusCode, 200, `registered ${tool}`)
  }
  const create = (tool: string, payload: Record<string, unknown>) =>
    inject({ method: 'POST', url: '/v2/memories', headers: { 'x-memory-tool': tool }, payload })
  /** Content of about `words` tokens, distinct per `n` (o200k_base: one token per short word plus separators). */
  const text = (n: number, words: number) => `entry ${n}: ` + Array.from({ length: words }, (_, i) => `w${(n * 31 + i) % 97}`).join(' ')

  t.test('reject: 50 concurrent writers near the budget never exceed it', async (t) => {
    await register('rej', { maxTokens: 1500, overBudget: 'reject' })
    // Fill to about 1 200 tokens, then race 50 writers of about 100 tokens each for the rest.
    let filled = 0
    for (let i = 0; filled < 1200; i++) filled += (await create('rej', { content: text(i, 60) })).json().tokens as number
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => create('rej', { content: text(1000 + i, 50) })))
    const accepted = responses.filter((r) => r.statusCode === 201)
    const refused = responses.filter((r) => r.statusCode === 409)
    t.equal(accepted.length + refused.length, 50, 'every writer got 201 or 409')
    t.ok(accepted.length > 0 && refused.length > 0, `${accepted.length} accepted and ${refused.length} refused: the race was near the budget`)
    const used = await usedTokens('rej')
    t.ok(used <= 1500, `SUM(tokens) in SQL is ${used} <= 1500`)
    t.equal(used, filled + accepted.reduce((sum, r) => sum + (r.json().tokens as number), 0), 'usage is exactly the fill plus the accepted writes')
    const problem = refused[0]!.json()
    t.equal(refused[0]!.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(problem, { status: 409, code: 'token_budget_exceeded', maxTokens: 1500 })
    t.ok(problem.usedTokens + problem.entryTokens > 1500, 'the problem says use + size exceed the budget')
    t.match(problem.detail, /uses \d+ of its 1500 tokens; this write of \d+ tokens/)
  })

  t.test('evict: 50 concurrent writers; usage stays within the budget and every eviction is reported', async (t) => {
    await register('evi', { maxTokens: 800, overBudget: 'evict', evictionOrder: 'oldest' })
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => create('evi', { content: text(i, 30) })))
    const responses = [...first, ...(await Promise.all(Array.from({ length: 50 }, (_, i) => create('evi', { content: text(100 + i, 30) }))))]
    t.same(new Set(responses.map((r) => r.statusCode)), new Set([201]), 'every write was accepted')
    const used = await usedTokens('evi')
    t.ok(used <= 800, `SUM(tokens) in SQL is ${used} <= 800`)
    const created = responses.map((r) => r.json().id as string)
    const evicted = responses.flatMap((r) => (r.json().evicted ?? []) as string[])
    t.equal(new Set(evicted).size, evicted.length, 'no entry is reported evicted twice')
    const stored = await storedIds('evi')
    t.same([...stored].filter((id) => evicted.includes(id)), [], 'no reported eviction is still stored')
    t.same(created.filter((id) => !stored.has(id) && !evicted.includes(id)), [], 'every acknowledged id is stored or was reported evicted')
    const tombstones = await sql.query('SELECT 1 FROM memory_tombstones WHERE tool = $1', ['evi'])
    t.equal(tombstones.rows.length, evicted.length, 'each eviction left a tombstone (mirrors and backfills cannot resurrect it)')
  })

  t.test('eviction follows the configured order exactly', async (t) => {
    // `probe` is one more entry, written after the setup and never read.
    const cases: Array<{ order: string; setup: (ids: string[]) => Promise<void>; expected: (ids: string[], probe: string) => string[] }> = [
      { order: 'oldest', setup: async () => {}, expected: (ids) => ids.slice(0, 2) },
      {
        order: 'importance',
        setup: async () => {},
        // importance 0.9, 0.1, 0.5, 0.1, 0.7: least important first, ties by id (older first).
        expected: (ids) => [ids[1]!, ids[3]!],
      },
      {
        order: 'lru',
        // Read entries 0, 2, 3, 4 (in that order), so 1 was never read (counts as read at creation, the earliest) and 0 is next.
        setup: async (ids) => {
          for (const i of [0, 2, 3, 4]) await inject({ method: 'GET', url: `/v2/memories/${ids[i]}`, headers: { 'x-memory-tool': 'order-lru' } })
          await app.accessRecorder.flush()
        },
        expected: (ids) => [ids[1]!, ids[0]!],
      },
      {
        order: 'lfu',
        // Reads: 0 ×3, 1 ×1, 2 ×0, 3 ×2, 4 ×1, probe ×0 → fewest first: 2 and the probe (no reads;
        // 2 was created earlier), then 1 and 4.
        setup: async (ids) => {
          for (const i of [0, 0, 0, 1, 3, 3, 4]) await inject({ method: 'GET', url: `/v2/memories/${ids[i]}`, headers: { 'x-memory-tool': 'order-lfu' } })
          await app.accessRecorder.flush()
        },
        expected: (ids, probe) => [ids[2]!, probe],
      },
    ]
    for (const { order, setup, expected } of cases) {
      const tool = `order-${order}`
      await register(tool, { maxTokens: 10_000, overBudget: 'evict', evictionOrder: order })
      const importance = [0.9, 0.1, 0.5, 0.1, 0.7]
      const ids: string[] = []
      for (const [i, imp] of importance.entries()) {
        const res = await create(tool, { content: text(i, 40), importance: imp })
        ids.push(res.json().id as string)
        await new Promise((resolve) => setTimeout(resolve, 5)) // distinct createdAt and read times
      }
      await setup(ids)
      const probe = (await create(tool, { content: text(99, 40) })).json()
      const each = probe.tokens as number
      // Lower the budget so that the next write (of the same size as the others) needs exactly two evictions.
      const used = await usedTokens(tool)
      await register(tool, { maxTokens: used - each, overBudget: 'evict', evictionOrder: order })
      const res = await create(tool, { content: text(98, 40) })
      t.equal(res.statusCode, 201, `${order}: accepted`)
      t.same(res.json().evicted, expected(ids, probe.id), `${order}: evicted exactly the first two in order`)
      t.ok((await usedTokens(tool)) <= used - each, `${order}: within the budget`)
    }
  })

  t.test('updates count the difference; shrinking passes over a lowered budget; too large is 422', async (t) => {
    // text(n, w) is about 2 tokens per word.
    await register('upd', { maxTokens: 1000, overBudget: 'reject' })
    const a = (await create('upd', { content: text(1, 60) })).json()
    const b = (await create('upd', { content: text(2, 60) })).json()
    const patch = { 'x-memory-tool': 'upd', 'content-type': 'application/merge-patch+json' }
    const grow = await inject({ method: 'PATCH', url: `/v2/memories/${a.id}`, headers: patch, payload: { content: text(1, 70) } })
    t.equal(grow.statusCode, 200, 'growing within the budget: only the difference counts')
    const tooMuch = await inject({ method: 'PUT', url: `/v2/memories/${b.id}`, headers: { 'x-memory-tool': 'upd' }, payload: { content: text(2, 440) } })
    t.equal(tooMuch.statusCode, 409, 'growing past the budget is refused')
    t.ok(tooMuch.json().entryTokens > 800, 'the problem gives the size of the write')
    t.equal((await sql.query('SELECT version FROM memories WHERE id = $1', [b.id])).rows[0].version, 1, 'the refused update changed nothing')
    await register('upd', { maxTokens: 100, overBudget: 'reject' })
    const shrink = await inject({ method: 'PUT', url: `/v2/memories/${b.id}`, headers: { 'x-memory-tool': 'upd' }, payload: { content: text(2, 5) } })
    t.equal(shrink.statusCode, 200, 'a write that shrinks usage passes even over a lowered budget')
    const huge = await create('upd', { content: text(3, 60) })
    t.match(huge.json(), { status: 422, code: 'entry_exceeds_token_budget', maxTokens: 100 })
    await register('upd', { maxTokens: 100, overBudget: 'evict' })
    const hugeEvict = await create('upd', { content: text(4, 60) })
    t.equal(hugeEvict.statusCode, 422, 'too large for the whole budget: 422 under evict too, nothing evicted')
    t.equal((await storedIds('upd')).size, 2, 'both entries are still there')
  })

  t.test('expired entries free their tokens', async (t) => {
    let now = Date.now()
    const clocked = await buildTestApp(t, { STORE_URL: url, PG_POOL_MAX: '2', TOOL_REGISTRY_REFRESH_MS: '0' }, { now: () => now })
    const put = (payload: Record<string, unknown>) =>
      clocked.server.inject({ method: 'POST', url: '/v2/memories', headers: { 'x-memory-tool': 'ttl' }, payload })
    await clocked.server.inject({ method: 'PUT', url: '/v2/tools/ttl', payload: { maxTokens: 200, overBudget: 'reject' } })
    t.equal((await put({ content: text(1, 60), ttlSeconds: 60 })).statusCode, 201)
    t.equal((await put({ content: text(2, 60) })).statusCode, 409, 'the live entry takes the room')
    now += 61_000
    t.equal((await put({ content: text(2, 60) })).statusCode, 201, 'once it expired, its tokens are free')
  })

  t.test('metrics: utilization ratio, evictions and rejections by tool', async (t) => {
    const res = await inject({ method: 'GET', url: '/metrics' })
    t.match(res.body, /mcp_memory_token_budget_utilization_ratio\{tool="rej"\} 0\.\d+/)
    t.match(res.body, /mcp_memory_budget_evictions_total\{tool="evi"\} [1-9]\d*/)
    t.match(res.body, /mcp_memory_budget_rejections_total\{tool="rej",reason="token_budget_exceeded"\} [1-9]\d*/)
    t.match(res.body, /mcp_memory_budget_rejections_total\{tool="upd",reason="entry_exceeds_token_budget"\} 2/)
  })
})
