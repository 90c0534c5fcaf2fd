/** GET /v2/memories (filters, paging), POST /v2/search, GET /v2/stats. */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { as, assertProblem, call, create, listAll } from './helpers/http.js'

const ids = (items: any[]) => items.map((e) => e.id)
const sorted = (xs: string[]) => [...xs].sort()

t.test('list filters: type, tag (repeat and comma forms), key, visibility, tool', async (t) => {
  const { server } = await buildTestApp(t)
  const fact = await create(server, { content: 'f1', type: 'fact', tags: ['red', 'big'] })
  const pref = await create(server, { content: 'p1', type: 'preference', tags: ['red'], key: 'colour' })
  const epi = await create(server, { content: 'e1', type: 'episode', tags: ['big'], visibility: 'shared' })
  const other = await create(server, { content: 'o1', type: 'fact', tags: ['red', 'big'], visibility: 'shared' }, as('tool-b'))
  await create(server, { content: 'o2 private', type: 'fact' }, as('tool-b'))

  const q = async (query: string) => {
    const res = await call(server, 'GET', `/v2/memories?${query}`)
    t.equal(res.status, 200, query)
    return sorted(ids(res.json.items))
  }
  t.same(await q(''), sorted([fact.id, pref.id, epi.id, other.id]), 'own entries plus shared ones of others')
  t.same(await q('type=fact'), sorted([fact.id, other.id]))
  t.same(await q('type=fact,episode'), sorted([fact.id, epi.id, other.id]), 'type list (comma)')
  t.same(await q('type=fact&type=preference'), sorted([fact.id, pref.id, other.id]), 'type list (repeat)')
  t.same(await q('tag=red'), sorted([fact.id, pref.id, other.id]))
  t.same(await q('tag=red&tag=big'), sorted([fact.id, other.id]), 'repeated tags: all must be present')
  t.same(await q('tag=red,big'), sorted([fact.id, other.id]), 'comma form is the same')
  t.same(await q('tag=nothing'), [])
  t.same(await q('key=colour'), [pref.id])
  t.same(await q('key=none'), [])
  t.same(await q('visibility=shared'), sorted([epi.id, other.id]))
  t.same(await q('visibility=private'), sorted([fact.id, pref.id]))
  t.same(await q('tool=tool-b'), [other.id], 'another tool: only its shared entries')
  t.same(await q('tool=default'), sorted([fact.id, pref.id, epi.id]))
  t.same(await q('tool=default,tool-b&type=fact&tag=big'), sorted([fact.id, other.id]), 'filters combine')
})

t.test('limit and cursor paging: newest first, no skips, no repeats', async (t) => {
  const { server } = await buildTestApp(t)
  const created: string[] = []
  for (let i = 0; i < 23; i++) created.push((await create(server, { content: `entry number ${i}` })).id)

  const def = await call(server, 'GET', '/v2/memories')
  t.equal(def.json.items.length, 20, 'default limit is 20')
  const two = await call(server, 'GET', '/v2/memories?limit=2')
  t.equal(two.json.items.length, 2)
  t.type(two.json.nextCursor, 'string')

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = `/v2/memories?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const res = await call(server, 'GET', url)
    t.equal(res.status, 200)
    t.ok(res.json.items.length <= 5)
    seen.push(...ids(res.json.items))
    cursor = res.json.nextCursor
    pages++
  } while (cursor && pages < 20)
  t.equal(pages, 5, '23 entries in pages of 5')
  t.equal(new Set(seen).size, seen.length, 'no repeats')
  t.same(sorted(seen), sorted(created), 'no skips')
  t.same(seen, [...created].reverse(), 'newest first')

  const exact = await call(server, 'GET', '/v2/memories?limit=23')
  t.equal(exact.json.nextCursor, null, 'no cursor when everything fits')
  const hundred = await call(server, 'GET', '/v2/memories?limit=100')
  t.equal(hundred.json.items.length, 23)

  // A cursor stays valid while entries are added and removed.
  const first = await call(server, 'GET', '/v2/memories?limit=10')
  await create(server, { content: 'newer than the cursor' })
  await call(server, 'DELETE', `/v2/memories/${created[0]}`)
  const rest = await listAll(server, {}, '')
  const next = await call(server, 'GET', `/v2/memories?limit=100&cursor=${encodeURIComponent(first.json.nextCursor)}`)
  t.same(ids(next.json.items), [...created].reverse().slice(10, 22), 'the next page continues after the cursor')
  t.equal(rest.length, 23)
})

t.test('invalid cursors are 400 invalid_cursor', async (t) => {
  const { server } = await buildTestApp(t)
  await create(server, { content: 'x' })
  const forged = Buffer.from(JSON.stringify({ v: 1, id: 'not-a-uuid' })).toString('base64url')
  const future = Buffer.from(JSON.stringify({ v: 9, id: '01890a5d-ac96-774b-bcce-b302099a8057' })).toString('base64url')
  for (const c of ['abc', 'not base64!', forged, future, 'eyJ2IjoxfQ', "' OR 1=1 --"]) {
    assertProblem(t, await call(server, 'GET', `/v2/memories?cursor=${encodeURIComponent(c)}`), 400, 'invalid_cursor', c)
  }
  assertProblem(t, await call(server, 'GET', `/v2/memories?cursor=${'a'.repeat(201)}`), 400, 'validation_failed', 'over-long cursor')
})

t.test('search: fulltext and substring, ordered scores, filters and limit', async (t) => {
  const { server } = await buildTestApp(t)
  const many = await create(server, { content: 'apple apple apple pie', tags: ['food'], type: 'recipe' })
  const one = await create(server, { content: 'an apple and a banana in a long sentence about fruit', tags: ['food'] })
  const none = await create(server, { content: 'cherry tomatoes', tags: ['food'] })
  const shared = await create(server, { content: 'apple orchard', visibility: 'shared' }, as('tool-b'))
  await create(server, { content: 'secret apple', visibility: 'private' }, as('tool-b'))

  const search = async (body: Record<string, unknown>) => {
    const res = await call(server, 'POST', '/v2/search', { body })
    t.equal(res.status, 200, JSON.stringify(body))
    for (const item of res.json.items) t.type(item.score, 'number')
    const scores = res.json.items.map((i: any) => i.score)
    t.same(scores, [...scores].sort((a, b) => b - a), 'scores in descending order')
    return res.json.items as { entry: any; score: number }[]
  }
  const ft = await search({ query: 'apple' })
  t.same(sorted(ft.map((i) => i.entry.id)), sorted([many.id, one.id, shared.id]), 'own and shared matches, never others\' private')
  t.equal(ft[0]!.entry.id, many.id, 'more occurrences rank first')
  t.ok(ft.every((i) => i.score > 0))
  t.same((await search({ query: 'apple', mode: 'fulltext' })).length, 3, 'fulltext is the default mode')
  t.same(await search({ query: 'ppl' }), [], 'fulltext matches words, not fragments')
  const sub = await search({ query: 'PPL', mode: 'substring' })
  t.same(sorted(sub.map((i) => i.entry.id)), sorted([many.id, one.id, shared.id]), 'substring is case-insensitive')
  t.same((await search({ query: 'tomato', mode: 'substring' })).map((i) => i.entry.id), [none.id])
  t.same((await search({ query: '%', mode: 'substring' })), [], 'no wildcard characters')

  t.same((await search({ query: 'apple', types: ['recipe'] })).map((i) => i.entry.id), [many.id], 'types filter')
  t.same(sorted((await search({ query: 'apple', tags: ['food'] })).map((i) => i.entry.id)), sorted([many.id, one.id]), 'tags filter')
  t.same((await search({ query: 'apple', tools: ['tool-b'] })).map((i) => i.entry.id), [shared.id], 'tools filter')
  t.same((await search({ query: 'apple', visibility: 'shared' })).map((i) => i.entry.id), [shared.id], 'visibility filter')
  t.equal((await search({ query: 'apple', limit: 1 })).length, 1, 'limit')
  t.same((await search({ query: 'apple' }))[0]!.entry, (await call(server, 'GET', `/v2/memories/${many.id}`)).json, 'hits carry the whole entry')

  for (const body of [{}, { query: '' }, { query: 'x', mode: 'regex' }, { query: 'x', limit: 0 }, { query: 'x', limit: 101 }, { query: 'x', extra: 1 }, { query: 'a\u0000b' }]) {
    assertProblem(t, await call(server, 'POST', '/v2/search', { body }), 400, 'validation_failed', JSON.stringify(body))
  }
})

t.test('stats: counts of the caller\'s own tool by type, tokens', async (t) => {
  const { server } = await buildTestApp(t)
  t.same((await call(server, 'GET', '/v2/stats')).json, { entries: 0, tokens: 0, tools: [] }, 'empty')
  const a = await create(server, { content: 'hello world' })
  const b = await create(server, { content: 'hello there world', type: 'episode' })
  await create(server, { content: 'not mine', visibility: 'shared' }, as('tool-b'))
  const res = await call(server, 'GET', '/v2/stats')
  t.equal(res.status, 200)
  t.same(res.json, {
    entries: 2,
    tokens: a.tokens + b.tokens,
    tools: [{ tool: 'default', entries: 2, tokens: a.tokens + b.tokens, types: { fact: 1, episode: 1 } }],
  })
  const other = await call(server, 'GET', '/v2/stats', { headers: as('tool-b') })
  t.equal(other.json.entries, 1)
  t.same(other.json.tools.map((x: any) => x.tool), ['tool-b'])
})
