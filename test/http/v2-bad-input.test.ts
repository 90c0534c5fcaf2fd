/**
 * Every kind of bad input is a 4xx problem+json with a stable `type`, and changes nothing:
 * after each rejected request the caller's list and stats are exactly what they were.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { type Req, assertProblem, call, create, snapshot } from './helpers/http.js'

const ENV = { BODY_LIMIT_BYTES: '4096', MAX_CONTENT_BYTES: '1024' }
const MERGE = 'application/merge-patch+json'

type Case = [label: string, method: string, url: string, req: Req, status: number, code: string]

/** Raw JSON text (for escapes JSON.stringify would not produce from a JS literal, e.g. lone surrogates). */
const raw = (text: string): Req => ({ body: text })

function bodyCases(): Case[] {
  const post = (label: string, body: unknown, status = 400, code = 'validation_failed'): Case =>
    [label, 'POST', '/v2/memories', { body }, status, code]
  return [
    ['malformed JSON', 'POST', '/v2/memories', raw('{"content": '), 400, 'malformed_json'],
    ['trailing garbage', 'POST', '/v2/memories', raw('{"content":"x"} extra'), 400, 'malformed_json'],
    ['single quotes', 'POST', '/v2/memories', raw("{'content':'x'}"), 400, 'malformed_json'],
    ['empty JSON body', 'POST', '/v2/memories', { body: '', contentType: 'application/json' }, 400, 'malformed_json'],
    ['text/plain body', 'POST', '/v2/memories', { body: 'remember this', contentType: 'text/plain' }, 415, 'unsupported_media_type'],
    ['text/plain JSON-looking body', 'POST', '/v2/memories', { body: '{"content":"x"}', contentType: 'text/plain' }, 415, 'unsupported_media_type'],
    ['xml body', 'POST', '/v2/memories', { body: '<content>x</content>', contentType: 'application/xml' }, 415, 'unsupported_media_type'],
    ['form body', 'POST', '/v2/memories', { body: 'content=x', contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
    ['merge-patch on POST', 'POST', '/v2/search', { body: '{"query":"x"}', contentType: 'application/xml' }, 415, 'unsupported_media_type'],
    post('JSON array', []),
    ['JSON string', 'POST', '/v2/memories', raw('"just a string"'), 400, 'validation_failed'],
    post('JSON null', null),
    post('JSON number', 42),
    post('content missing', {}),
    post('content: 5', { content: 5 }),
    post('content: null', { content: null }),
    post('tags: "x"', { content: 'x', tags: 'x' }),
    post('tags: [1]', { content: 'x', tags: [1] }),
    post('importance: "high"', { content: 'x', importance: 'high' }),
    post('importance: null', { content: 'x', importance: null }),
    post('metadata: []', { content: 'x', metadata: [] }),
    post('metadata: "x"', { content: 'x', metadata: 'x' }),
    post('type: 5', { content: 'x', type: 5 }),
    post('key: 5', { content: 'x', key: 5 }),
    post('key: ""', { content: 'x', key: '' }),
    post('visibility: public', { content: 'x', visibility: 'public' }),
    post('contentType: text/html', { content: 'x', contentType: 'text/html' }),
    post('expiresAt: 5', { content: 'x', expiresAt: 5 }),
    post('unknown field', { content: 'x', colour: 'red' }),
    post('server-owned id', { content: 'x', id: '01890a5d-ac96-774b-bcce-b302099a8057' }),
    post('server-owned tool', { content: 'x', tool: 'someone-else' }),
    post('server-owned version', { content: 'x', version: 7 }),
    post('server-owned contentHash', { content: 'x', contentHash: 'sha256:' + '0'.repeat(64) }),
    post('server-owned tokens', { content: 'x', tokens: 1 }),
    post('65 tags', { content: 'x', tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }),
    post('tag with a space', { content: 'x', tags: ['a b'] }),
    post('tag with a comma', { content: 'x', tags: ['a,b'] }),
    post('tag with a tab', { content: 'x', tags: ['a\tb'] }),
    post('empty tag', { content: 'x', tags: [''] }),
    post('65-char tag', { content: 'x', tags: ['t'.repeat(65)] }),
    post('type uppercase', { content: 'x', type: 'Fact' }),
    post('type leading underscore', { content: 'x', type: '_fact' }),
    post('type with space', { content: 'x', type: 'my fact' }),
    post('type 65 chars', { content: 'x', type: 'f'.repeat(65) }),
    post('importance -0.1', { content: 'x', importance: -0.1 }),
    post('importance 1.1', { content: 'x', importance: 1.1 }),
    post('importance "0.5"', { content: 'x', importance: '0.5' }),
    post('NUL in content', { content: 'a\u0000b' }),
    post('NUL in tag', { content: 'x', tags: ['a\u0000b'] }),
    post('NUL in key', { content: 'x', key: 'a\u0000b' }),
    post('NUL in metadata value', { content: 'x', metadata: { a: 'b\u0000' } }),
    post('NUL in metadata key', { content: 'x', metadata: { 'a\u0000': 1 } }),
    post('NUL in nested metadata', { content: 'x', metadata: { a: [{ b: '\u0000' }] } }),
    ['lone high surrogate in content', 'POST', '/v2/memories', raw('{"content":"a\\ud800b"}'), 400, 'validation_failed'],
    ['lone low surrogate in content', 'POST', '/v2/memories', raw('{"content":"\\udc00"}'), 400, 'validation_failed'],
    ['lone surrogate in tag', 'POST', '/v2/memories', raw('{"content":"x","tags":["\\ud83d"]}'), 400, 'validation_failed'],
    ['lone surrogate in key', 'POST', '/v2/memories', raw('{"content":"x","key":"k\\udfff"}'), 400, 'validation_failed'],
    ['lone surrogate in metadata value', 'POST', '/v2/memories', raw('{"content":"surrogate value","metadata":{"a":"\\ud800"}}'), 400, 'validation_failed'],
    ['lone surrogate in metadata key', 'POST', '/v2/memories', raw('{"content":"surrogate key","metadata":{"\\udc00":1}}'), 400, 'validation_failed'],
    ['__proto__ at top level', 'POST', '/v2/memories', raw('{"content":"x","__proto__":{"polluted":1}}'), 400, 'malformed_json'],
    ['__proto__ in metadata', 'POST', '/v2/memories', raw('{"content":"x","metadata":{"__proto__":{"polluted":1}}}'), 400, 'malformed_json'],
    ['constructor.prototype in metadata', 'POST', '/v2/memories', raw('{"content":"x","metadata":{"constructor":{"prototype":{"polluted":1}}}}'), 400, 'malformed_json'],
    ['oversized body', 'POST', '/v2/memories', { body: { content: 'x'.repeat(5000) } }, 413, 'payload_too_large'],
    ['oversized body (not even JSON)', 'POST', '/v2/memories', { body: '['.repeat(5000) }, 413, 'payload_too_large'],
    ['oversized batch', 'POST', '/v2/memories/batch', { body: { operations: [{ op: 'create', body: { content: 'y'.repeat(4500) } }] } }, 413, 'payload_too_large'],
    ['oversized search', 'POST', '/v2/search', { body: { query: 'q'.repeat(4500) } }, 413, 'payload_too_large'],
    post('content over MAX_CONTENT_BYTES', { content: 'x'.repeat(1025) }, 413, 'content_too_large'),
    post('content over the limit in bytes, not chars', { content: 'é'.repeat(600) }, 413, 'content_too_large'),
    post('4-byte chars over the limit', { content: '😀'.repeat(257) }, 413, 'content_too_large'),
    ['oversized batch content', 'POST', '/v2/memories/batch', { body: { operations: [{ op: 'create', body: { content: 'z'.repeat(2000) } }] } }, 200, ''],
  ]
}

function urlCases(id: string): Case[] {
  const get = (label: string, url: string, status = 400, code = 'validation_failed'): Case => [label, 'GET', url, {}, status, code]
  return [
    get('id not a UUID', '/v2/memories/not-a-uuid'),
    get('id with SQL', `/v2/memories/${encodeURIComponent("1' OR '1'='1")}`),
    get('id with a NUL', '/v2/memories/%00'),
    get('id with a bad escape', '/v2/memories/%zz'),
    get('key with a bad escape', '/v2/memories/by-key/%E0%A4%A'),
    get('key with NUL', '/v2/memories/by-key/a%00b'),
    get('key with a lone surrogate', '/v2/memories/by-key/%ED%A0%80'),
    ['PUT bad id', 'PUT', '/v2/memories/123', { body: { content: 'x' } }, 400, 'validation_failed'],
    ['PATCH bad id', 'PATCH', '/v2/memories/123', { body: {}, contentType: MERGE }, 400, 'validation_failed'],
    ['DELETE bad id', 'DELETE', '/v2/memories/123', {}, 400, 'validation_failed'],
    get('limit=0', '/v2/memories?limit=0'),
    get('limit=101', '/v2/memories?limit=101'),
    get('limit=abc', '/v2/memories?limit=abc'),
    get('limit=-1', '/v2/memories?limit=-1'),
    get('limit=1.5', '/v2/memories?limit=1.5'),
    get('unknown query param', '/v2/memories?foo=1'),
    get('unknown query param with a valid one', '/v2/memories?limit=5&sort=asc'),
    get('bad type filter', '/v2/memories?type=Bad'),
    get('bad tag filter', '/v2/memories?tag=a%20b'),
    get('bad visibility filter', '/v2/memories?visibility=public'),
    get('bad tool filter', '/v2/memories?tool=bad%20tool'),
    get('cursor garbage', '/v2/memories?cursor=garbage', 400, 'invalid_cursor'),
    get('cursor with SQL', `/v2/memories?cursor=${encodeURIComponent("'; DROP TABLE memories; --")}`, 400, 'invalid_cursor'),
    get('If-Match too long on GET', `/v2/memories/${id}`, 200, ''),
    ['If-Match too long', 'PUT', `/v2/memories/${id}`, { body: { content: 'x' }, headers: { 'if-match': `"${'9'.repeat(250)}"` } }, 400, 'validation_failed'],
    ['search NUL', 'POST', '/v2/search', { body: { query: 'a\u0000' } }, 400, 'validation_failed'],
    ['search lone surrogate', 'POST', '/v2/search', raw('{"query":"\\ud800"}'), 400, 'validation_failed'],
    ['PUT invalid body on an existing id', 'PUT', `/v2/memories/${id}`, { body: { content: 'x', importance: 3 } }, 400, 'validation_failed'],
    ['PATCH invalid result', 'PATCH', `/v2/memories/${id}`, { body: { importance: 2 }, contentType: MERGE }, 400, 'validation_failed'],
    ['PATCH with __proto__', 'PATCH', `/v2/memories/${id}`, raw('{"metadata":{"__proto__":{"polluted":1}}}'), 400, 'malformed_json'],
    ['PATCH merge-patch malformed', 'PATCH', `/v2/memories/${id}`, { body: '{', contentType: MERGE }, 400, 'malformed_json'],
    ['PATCH text/plain', 'PATCH', `/v2/memories/${id}`, { body: 'importance=1', contentType: 'text/plain' }, 415, 'unsupported_media_type'],
    ['PATCH content too large', 'PATCH', `/v2/memories/${id}`, { body: { content: 'x'.repeat(1500) }, contentType: MERGE }, 413, 'content_too_large'],
    ['PUT by-key NUL in path', 'PUT', '/v2/memories/by-key/a%00', { body: { content: 'x' } }, 400, 'validation_failed'],
    ['PUT by-key invalid body', 'PUT', '/v2/memories/by-key/fine', { body: { content: 'x', tags: 'no' } }, 400, 'validation_failed'],
    ['PUT by-key If-None-Match not *', 'PUT', '/v2/memories/by-key/fine', { body: { content: 'x' }, headers: { 'if-none-match': '"1"' } }, 400, 'validation_failed'],
    ['unknown route', 'GET', '/v2/nothing-here', {}, 404, 'route_not_found'],
    ['unknown route with a body', 'POST', '/v3/memories', { body: { content: 'x' } }, 404, 'route_not_found'],
  ]
}

t.test('bad input: 4xx problem+json with a stable type, and the store is unchanged', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  const seeded = await create(server, { content: 'seed', key: 'seed-key', tags: ['s'], metadata: { a: 1 } })
  await create(server, { content: 'second seed' })
  const baseline = await snapshot(server)
  let before = baseline
  for (const [label, method, url, req, status, code] of [...bodyCases(), ...urlCases(seeded.id)]) {
    const res = await call(server, method, url, req)
    if (code === '') {
      // Cases that are accepted at the HTTP level (the batch reports per-operation problems; GET ignores If-Match).
      t.equal(res.status, status, `${label}: status ${status}`)
      if (res.json?.results) t.equal(res.json.results[0].problem.type, 'urn:mcp-memory:problem:content_too_large', `${label}: per-op problem`)
    } else {
      assertProblem(t, res, status, code, label)
      t.type(res.json?.title, 'string', `${label}: title`)
      t.type(res.json?.detail, 'string', `${label}: detail`)
    }
    const after = await snapshot(server)
    t.equal(after, before, `${label}: nothing changed`)
    before = after
  }
  t.equal(before, baseline, 'after all bad requests, the store is as it was')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted')
  t.notOk(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'))
})

t.test('validation problems name every bad field with a JSON pointer', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  const res = await call(server, 'POST', '/v2/memories', {
    body: { content: 5, tags: ['ok', 'bad tag'], importance: 'high', metadata: [], type: 'Nope' },
  })
  assertProblem(t, res, 400, 'validation_failed')
  const pointers = res.json.errors.map((e: any) => e.pointer).sort()
  t.same(pointers, ['/body/content', '/body/importance', '/body/metadata', '/body/tags/1', '/body/type'])
  for (const e of res.json.errors) t.type(e.message, 'string')
  t.equal(res.json.instance, '/v2/memories')
  const q = await call(server, 'GET', '/v2/memories?limit=0')
  t.same(q.json.errors.map((e: any) => e.pointer), ['/query/limit'])
  const big = await call(server, 'POST', '/v2/memories', { body: { content: 'x'.repeat(2000) } })
  t.match(big.json, { limit: 1024, size: 2000 }, 'content_too_large tells the limit')
})

t.test('boundaries are accepted: 64 tags, 64-char tags, content of exactly MAX_CONTENT_BYTES', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  const tags = Array.from({ length: 64 }, (_, i) => `t${i}`)
  t.same((await create(server, { content: 'many tags', tags })).tags, tags)
  t.same((await create(server, { content: 'long tag', tags: ['t'.repeat(64)] })).tags, ['t'.repeat(64)])
  t.equal((await create(server, { content: 'x'.repeat(1024) })).content.length, 1024)
  t.equal((await create(server, { content: '😀'.repeat(256) })).content, '😀'.repeat(256), '1024 bytes of 4-byte chars')
  t.equal((await create(server, { content: 'k', type: 'a'.repeat(64) })).type, 'a'.repeat(64))
  t.equal((await create(server, { content: 'i0', importance: 0 })).importance, 0)
  t.equal((await create(server, { content: 'i1', importance: 1 })).importance, 1)
  t.equal((await call(server, 'GET', '/v2/memories?limit=1')).status, 200)
  t.equal((await call(server, 'GET', '/v2/memories?limit=100')).status, 200)
})
