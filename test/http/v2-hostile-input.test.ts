/** Hostile but valid strings are stored verbatim; random garbage never produces a 5xx. */
import { createHash } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { MISSING_ID, type Req, call, create, listAll, prng } from './helpers/http.js'

const ENV = { BODY_LIMIT_BYTES: '4096', MAX_CONTENT_BYTES: '1024' }
const sha256 = (s: string) => 'sha256:' + createHash('sha256').update(s, 'utf8').digest('hex')

t.test('SQL fragments are data: stored and returned verbatim, searchable, harmless', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  const bystander = await create(server, { content: 'innocent bystander' })
  const sql = {
    content: "'; DROP TABLE memories; -- and \" OR \"1\"=\"1 and \\'; SELECT pg_sleep(10); --",
    key: "x'); DELETE FROM memories WHERE ('1'='1",
    type: 'fact',
    tags: ["';--", '"or"1"="1', '$1', '%_', '\\x00'],
    metadata: { "'; DROP TABLE memories; --": "1' OR '1'='1", nested: { q: 'SELECT * FROM pg_user' }, like: '%_\\' },
  }
  const e = await create(server, sql)
  t.match(e, { content: sql.content, key: sql.key })
  t.same(e.tags, sql.tags)
  t.same(e.metadata, sql.metadata)
  const got = await call(server, 'GET', `/v2/memories/${e.id}`)
  t.same(got.json, e, 'read back verbatim')
  const byKey = await call(server, 'GET', `/v2/memories/by-key/${encodeURIComponent(sql.key)}`)
  t.equal(byKey.json.id, e.id, 'by key')
  const listed = await call(server, 'GET', `/v2/memories?key=${encodeURIComponent(sql.key)}&tag=${encodeURIComponent("';--")}&tag=%25_`)
  t.same(listed.json.items.map((x: any) => x.id), [e.id], 'filters with hostile values')
  const sub = await call(server, 'POST', '/v2/search', { body: { query: 'DROP TABLE memories;', mode: 'substring' } })
  t.same(sub.json.items.map((h: any) => h.entry.id), [e.id], 'substring search is literal')
  const wild = await call(server, 'POST', '/v2/search', { body: { query: '%', mode: 'substring' } })
  t.same(wild.json.items, [], '% is not a wildcard')
  const ft = await call(server, 'POST', '/v2/search', { body: { query: "'; DROP TABLE memories; --" } })
  t.equal(ft.status, 200, 'fulltext accepts any text')
  t.same((await listAll(server)).map((x) => x.id).sort(), [e.id, bystander.id].sort(), 'nothing else happened')
})

t.test('unicode of every kind round-trips exactly (no normalisation)', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  const samples = [
    '👩‍👩‍👧‍👦 family, 🇯🇵 flag, 🏳️‍🌈, skin 👍🏽',
    'RTL: \u202eمرحبا بالعالم\u202c שלום \u200f!',
    'combining: e\u0301 vs \u00e9, Z\u0335\u0321a\u0336\u0322l\u0334g\u0337o\u0338',
    '4-byte: 𝕳𝖊𝖑𝖑𝖔 𠜎𠜱𠝹 🀄 \u{10FFFD}',
    'zero-width: a\u200bb\u200cc\u200dd\ufeffe, controls \u0001\u001f\u007f',
    'newlines \r\n \u2028 \u2029 tabs\t',
  ]
  for (const [i, content] of samples.entries()) {
    const e = await create(server, {
      content, key: `k-${content.slice(0, 12)}`, tags: ['🏷️', 'é', 'e\u0301'], metadata: { [content.slice(0, 6)]: content },
    })
    const got = await call(server, 'GET', `/v2/memories/${e.id}`)
    t.equal(got.json.content, content, `sample ${i}: content`) // labels stay ASCII: U+2028 would break the TAP stream
    t.equal(got.json.contentHash, sha256(content), 'hash of the exact UTF-8 bytes')
    t.same(got.json.tags, ['🏷️', 'é', 'e\u0301'], 'composed and decomposed tags stay distinct')
    t.same(got.json.metadata, { [content.slice(0, 6)]: content })
    const byKey = await call(server, 'GET', `/v2/memories/by-key/${encodeURIComponent(e.key)}`)
    t.equal(byKey.json.id, e.id, 'by key')
  }
  const composed = await create(server, { content: 'caf\u00e9' })
  const decomposed = await call(server, 'POST', '/v2/memories', { body: { content: 'cafe\u0301' } })
  t.equal(decomposed.status, 201, 'NFC and NFD forms are different content')
  t.not(decomposed.json.contentHash, composed.contentHash)
  const found = await call(server, 'POST', '/v2/search', { body: { query: '𠜱𠝹', mode: 'substring' } })
  t.equal(found.json.items.length, 1, 'substring search on astral characters')
})

t.test('prototype pollution attempts are refused and pollute nothing', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  const e = await create(server, { content: 'target', metadata: { safe: 1 } })
  const attempts: [string, string, string][] = [
    ['POST', '/v2/memories', '{"content":"p1","__proto__":{"polluted":"yes"}}'],
    ['POST', '/v2/memories', '{"content":"p2","metadata":{"__proto__":{"polluted":"yes"}}}'],
    ['POST', '/v2/memories', '{"content":"p3","metadata":{"constructor":{"prototype":{"polluted":"yes"}}}}'],
    ['PATCH', `/v2/memories/${e.id}`, '{"metadata":{"__proto__":{"polluted":"yes"}}}'],
    ['PATCH', `/v2/memories/${e.id}`, '{"__proto__":{"importance":1}}'],
    ['PUT', '/v2/memories/by-key/proto', '{"content":"p4","metadata":{"a":{"__proto__":{"polluted":"yes"}}}}'],
    ['POST', '/v2/memories/batch', '{"operations":[{"op":"patch","id":"' + e.id + '","patch":{"__proto__":{"polluted":"yes"}}}]}'],
    ['POST', '/v2/search', '{"query":"x","constructor":{"prototype":{"polluted":"yes"}}}'],
  ]
  for (const [method, url, body] of attempts) {
    const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'
    const res = await call(server, method, url, { body, contentType })
    t.equal(res.status, 400, `${method} ${url.slice(0, 24)}: 400`)
    t.equal(res.json?.code, 'malformed_json')
  }
  // An own "constructor" key that is not an object with prototype is ordinary data.
  const plain = await call(server, 'POST', '/v2/memories', { body: '{"content":"p5","metadata":{"constructor":"just a word","toString":"x"}}' })
  t.equal(plain.status, 201)
  t.same(plain.json.metadata, { constructor: 'just a word', toString: 'x' })
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  t.equal(({} as Record<string, unknown>).importance, undefined)
  const after = await call(server, 'GET', `/v2/memories/${e.id}`)
  t.same(after.json.metadata, { safe: 1 })
  t.equal(after.json.version, 1)
  t.same((await listAll(server)).map((x) => x.content).sort(), ['p5', 'target'])
})

/** A random JSON value of bounded depth, biased toward the field names and values the API knows. */
function randomValue(rnd: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const strings = ['', 'x', 'fact', 'Fact', 'shared', 'private', 'text/plain', 'application/json', '{"a":', 'a b', 'a,b',
    '\u0000', '\ud800', '😀'.repeat(40), "'; DROP TABLE memories; --", 'x'.repeat(300), '2030-01-01T00:00:00Z', 'yesterday',
    MISSING_ID, '"1"', '*', 'sha256:' + '0'.repeat(64), 'create', 'get', 'replace', 'patch', 'delete', 'fulltext', 'substring']
  const numbers = [0, 1, -1, 0.5, 1.5, 2, 100, 101, 1e308, -1e308, 2 ** 53, 0.1, 65, 64]
  const fields = ['content', 'type', 'key', 'tags', 'metadata', 'importance', 'visibility', 'contentType', 'expiresAt',
    'ttlSeconds', 'id', 'version', 'query', 'mode', 'limit', 'tools', 'types', 'operations', 'op', 'body', 'patch', 'ifMatch', 'zzz']
  const r = rnd()
  if (depth <= 0 || r < 0.35) {
    const s = rnd()
    if (s < 0.15) return null
    if (s < 0.3) return rnd() < 0.5
    if (s < 0.55) return pick(numbers)
    return pick(strings)
  }
  if (r < 0.55) return Array.from({ length: Math.floor(rnd() * 5) }, () => randomValue(rnd, depth - 1))
  const obj: Record<string, unknown> = {}
  for (let i = Math.floor(rnd() * 6); i > 0; i--) obj[pick(fields)] = randomValue(rnd, depth - 1)
  return obj
}

t.test('fuzz: 200 random bodies on every write route never produce a 5xx', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  const seeded = await create(server, { content: 'fuzz target', key: 'fuzz' })
  const rnd = prng(0xc0ffee)
  const routes: [string, string][] = [
    ['POST', '/v2/memories'], ['PUT', `/v2/memories/${seeded.id}`], ['PATCH', `/v2/memories/${seeded.id}`],
    ['PUT', '/v2/memories/by-key/fuzz'], ['PUT', '/v2/memories/by-key/other'], ['POST', '/v2/memories/batch'],
    ['POST', '/v2/search'], ['PATCH', `/v2/memories/${MISSING_ID}`], ['DELETE', `/v2/memories/${seeded.id}`],
  ]
  const statuses = new Map<number, number>()
  for (let i = 0; i < 200; i++) {
    const [method, url] = routes[Math.floor(rnd() * routes.length)]!
    let value = randomValue(rnd, 4)
    // Make a third of the bodies plausible, so the fuzz reaches past the schema into the domain.
    if (rnd() < 0.33 && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      value = url.endsWith('/batch') ? { operations: [value] } : { content: `fuzz ${i}`, ...value }
    }
    let text = JSON.stringify(value) ?? 'null'
    if (rnd() < 0.1) text = text.slice(0, Math.floor(rnd() * text.length))
    const contentType = rnd() < 0.1 ? 'application/merge-patch+json' : 'application/json'
    const headers: Record<string, string> = {}
    if (rnd() < 0.15) headers['if-match'] = rnd() < 0.5 ? '"1"' : 'garbage'
    if (rnd() < 0.1) headers['idempotency-key'] = `fuzz-${Math.floor(rnd() * 5)}`
    const req: Req = { body: text, contentType, headers }
    const res = await call(server, method, url, req)
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    if (res.status >= 500) t.fail(`${method} ${url} ${text.slice(0, 120)} → ${res.status} ${res.body.slice(0, 200)}`)
    if (res.status >= 400) {
      t.match(String(res.headers['content-type']), /^application\/problem\+json/, `#${i} ${res.status} is problem+json`)
      t.match(res.json?.type, /^urn:mcp-memory:problem:[a-z_]+$/, `#${i} stable type`)
    } else {
      t.ok(res.status < 400, `#${i} ${method} ${url.slice(0, 30)} → ${res.status}`)
    }
  }
  t.ok([...statuses.keys()].some((s) => s < 300), 'some requests succeeded')
  t.ok([...statuses.keys()].some((s) => s >= 400), 'some were rejected')
  const health = await call(server, 'GET', '/readyz')
  t.equal(health.status, 200, 'still ready afterwards')
  t.equal((await call(server, 'GET', '/v2/stats')).status, 200)
})
