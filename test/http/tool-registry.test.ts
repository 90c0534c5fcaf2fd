/**
 * The tool registry over HTTP (src/http/v2/tools.routes.ts): `GET /v2/tools`, `GET|PUT
 * /v2/tools/:tool` — who may see and change what, versions and If-Match, validation that changes
 * nothing, auto-registration on a tool's first write with the configured defaults (and its
 * counter), default TTLs, local mode, and the validation of `GET /admin/access-log`.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { type Headers, type Res, type Server, as, assertProblem, bearer, call, create, listAll } from './helpers/http.js'
import { absentShape, metric } from './helpers/access.js'

const KEY = {
  alpha: 'alpha-key-0000000001',
  beta: 'beta-key-00000000002',
  gamma: 'gamma-key-0000000003',
  epsilon: 'epsilon-key-00000004',
  reader: 'reader-key-000000005',
  boss: 'boss-key-00000000006',
}
const ADMIN_KEY = 'admin-key-0000000000007'
const MEMORY_API_KEYS = [
  `alpha=${KEY.alpha}`,
  `beta=${KEY.beta}`,
  `gamma=${KEY.gamma}`,
  `epsilon=${KEY.epsilon}:read`,
  `reader=${KEY.reader}:read`,
  `boss=${KEY.boss}:read+write+admin`,
].join(',')
const ENV = { MEMORY_API_KEYS, MEMORY_ADMIN_KEY: ADMIN_KEY, TOOL_REGISTRY_REFRESH_MS: '0' }

const ADMIN = bearer(ADMIN_KEY)
const ALPHA = bearer(KEY.alpha)
const BETA = bearer(KEY.beta)
const GAMMA = bearer(KEY.gamma)
const EPSILON = bearer(KEY.epsilon)
const READER = bearer(KEY.reader)
const BOSS = bearer(KEY.boss)

const REGISTRATIONS = 'mcp_memory_tool_registrations_total'

const putTool = (server: Server, tool: string, body: unknown, headers: Headers = ADMIN, contentType?: string) =>
  call(server, 'PUT', `/v2/tools/${tool}`, { headers, body, ...(contentType ? { contentType } : {}) })

/** What an admin sees of the whole registry (every registration and its ETag). */
async function registry(server: Server): Promise<string> {
  const list = await call(server, 'GET', '/v2/tools', { headers: ADMIN })
  if (list.status !== 200) throw new Error(`GET /v2/tools: ${list.status}`)
  const tags: string[] = []
  for (const item of list.json.items) tags.push(String((await call(server, 'GET', `/v2/tools/${item.tool}`, { headers: ADMIN })).headers.etag))
  return JSON.stringify({ items: list.json.items, tags })
}

/* ------------------------------------------------------------------------------------------------
 * PUT: admins only; versions, ETags, If-Match
 * ---------------------------------------------------------------------------------------------- */

t.test('admin PUT creates (version 1), replaces (version 2); ETag "<version>"; If-Match', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  const created = await putTool(server, 'alpha', {
    displayName: 'Alpha tool', maxTokens: 5000, overBudget: 'evict', evictionOrder: 'oldest', defaultTtlSeconds: 3600, readers: ['gamma', 'beta', 'beta'],
  })
  t.equal(created.status, 200, 'create')
  t.equal(created.headers.etag, '"1"')
  t.match(created.json, {
    tool: 'alpha', displayName: 'Alpha tool', maxTokens: 5000, overBudget: 'evict', evictionOrder: 'oldest',
    defaultTtlSeconds: 3600, readers: ['beta', 'gamma'], version: 1,
  })
  t.same(created.json.readers, ['beta', 'gamma'], 'readers sorted, duplicates dropped')
  t.equal(created.json.createdAt, created.json.updatedAt)
  const got = await call(server, 'GET', '/v2/tools/alpha', { headers: ADMIN })
  t.equal(got.status, 200)
  t.equal(got.headers.etag, '"1"')
  t.same(got.json, created.json, 'GET returns what PUT stored')

  const replaced = await putTool(server, 'alpha', { maxTokens: null, readers: ['beta'] })
  t.equal(replaced.status, 200, 'replace')
  t.equal(replaced.headers.etag, '"2"')
  t.same(replaced.json, {
    ...created.json, displayName: 'alpha', maxTokens: null, overBudget: 'reject', evictionOrder: 'lru', defaultTtlSeconds: null,
    readers: ['beta'], version: 2, updatedAt: replaced.json.updatedAt,
  }, 'a full replace: omitted fields take their defaults; createdAt is kept')

  const before = await registry(server)
  const stale = await putTool(server, 'alpha', { maxTokens: 1 }, { ...ADMIN, 'if-match': '"1"' })
  assertProblem(t, stale, 412, 'version_conflict', 'If-Match on an old version')
  t.equal(stale.json.currentVersion, 2)
  for (const bad of ['2', 'W/"2"', '"abc"', '"2", "3"', '*', '""']) {
    const res = await putTool(server, 'alpha', { maxTokens: 1 }, { ...ADMIN, 'if-match': bad })
    assertProblem(t, res, 400, 'validation_failed', `malformed If-Match ${bad}`)
    t.equal(res.json.errors?.[0]?.pointer, '/headers/if-match', `${bad}: names the header`)
  }
  t.equal(await registry(server), before, 'refused PUTs changed nothing')
  const absent = await putTool(server, 'nobody', {}, { ...ADMIN, 'if-match': '"1"' })
  assertProblem(t, absent, 412, 'version_conflict', 'If-Match on a tool with no registration')
  t.equal(absent.json.currentVersion, null)
  assertProblem(t, await call(server, 'GET', '/v2/tools/nobody', { headers: ADMIN }), 404, 'not_found', 'nothing created')

  const matching = await putTool(server, 'alpha', { maxTokens: 7000, readers: ['beta'] }, { ...ADMIN, 'if-match': '"2"' })
  t.equal(matching.status, 200, 'If-Match on the current version')
  t.equal(matching.json.version, 3)
  t.equal(matching.headers.etag, '"3"')

  const byScope = await putTool(server, 'alpha', { maxTokens: 8000, readers: ['beta'] }, BOSS)
  t.equal(byScope.status, 200, 'a key with the admin scope may PUT too')
  t.equal(byScope.json.version, 4)
})

t.test('a non-admin key gets 403 on PUT (its own tool or another) and changes nothing', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  t.equal((await putTool(server, 'alpha', { readers: ['beta'] })).status, 200)
  t.equal((await putTool(server, 'beta', {})).status, 200)
  await create(server, { content: 'gamma writes once' }, GAMMA)
  const before = await registry(server)
  const attempts: [string, Headers, string][] = [
    ['alpha on itself', ALPHA, 'alpha'],
    ['alpha on beta', ALPHA, 'beta'],
    ['beta, a reader of alpha, on alpha', BETA, 'alpha'],
    ['gamma on its auto-registration', GAMMA, 'gamma'],
    ['a read-only key', READER, 'reader'],
    ['alpha on a tool with no registration', ALPHA, 'newcomer'],
  ]
  for (const [label, headers, tool] of attempts) {
    const res = await putTool(server, tool, { maxTokens: 1, readers: ['alpha', 'beta', 'gamma'].filter((x) => x !== tool) }, headers)
    assertProblem(t, res, 403, 'forbidden', label)
    t.equal(res.headers.etag, undefined, `${label}: no ETag`)
    const conditional = await putTool(server, tool, { maxTokens: 1 }, { ...headers, 'if-match': '"1"' })
    assertProblem(t, conditional, 403, 'forbidden', `${label} with If-Match`)
  }
  assertProblem(t, await putTool(server, 'alpha', { maxTokens: 1 }, {}), 401, 'unauthorized', 'no key')
  assertProblem(t, await putTool(server, 'alpha', { maxTokens: 1 }, bearer('wrong-key-00000000000')), 401, 'unauthorized', 'a wrong key')
  // Like the rest of /v2, the registry authenticates before the body is read (unauthenticated
  // callers cannot make it parse 2 MiB).
  for (const [label, body] of [['malformed JSON', '{"maxTokens": '], ['an invalid body', { maxTokens: -1 }]] as const) {
    const res = await putTool(server, 'alpha', body, {})
    t.equal(res.status, 401, `no key, ${label}: 401 before the body is looked at`)
  }
  t.equal(await registry(server), before, 'nothing changed')
  assertProblem(t, await call(server, 'GET', '/v2/tools/newcomer', { headers: ADMIN }), 404, 'not_found', 'no registration was created')
})

/* ------------------------------------------------------------------------------------------------
 * GET: who sees which registration
 * ---------------------------------------------------------------------------------------------- */

t.test('GET: a tool key sees its own registration and those that grant it; others are 404 as if absent', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  t.equal((await putTool(server, 'alpha', { readers: ['beta'] })).status, 200)
  t.equal((await putTool(server, 'beta', { maxTokens: 1000 })).status, 200)
  t.equal((await putTool(server, 'delta', { readers: ['epsilon'] })).status, 200)
  await create(server, { content: 'gamma registers itself' }, GAMMA)

  const visible: [string, Headers, string][] = [
    ['alpha: its own', ALPHA, 'alpha'],
    ['beta: its own', BETA, 'beta'],
    ['beta: alpha lists it as reader', BETA, 'alpha'],
    ['gamma: its own (auto-registered)', GAMMA, 'gamma'],
    ['epsilon: delta lists it as reader (epsilon has no registration itself)', EPSILON, 'delta'],
  ]
  for (const [label, headers, tool] of visible) {
    const res = await call(server, 'GET', `/v2/tools/${tool}`, { headers })
    const asAdmin = await call(server, 'GET', `/v2/tools/${tool}`, { headers: ADMIN })
    t.equal(res.status, 200, label)
    t.same(res.json, asAdmin.json, `${label}: the same registration an admin sees`)
    t.equal(res.headers.etag, `"${asAdmin.json.version}"`, `${label}: ETag`)
  }

  const hidden: [string, Headers, string][] = [
    ['alpha: beta did not grant it', ALPHA, 'beta'],
    ['gamma: alpha grants beta only', GAMMA, 'alpha'],
    ['gamma: delta', GAMMA, 'delta'],
    ['epsilon: alpha', EPSILON, 'alpha'],
    ['epsilon: its own tool has no registration', EPSILON, 'epsilon'],
    ['reader: alpha', READER, 'alpha'],
  ]
  for (const [label, headers, tool] of hidden) {
    const res = await call(server, 'GET', `/v2/tools/${tool}`, { headers })
    assertProblem(t, res, 404, 'not_found', label)
    const missing = await call(server, 'GET', '/v2/tools/zz-no-such-tool', { headers })
    t.equal(absentShape(res, tool), absentShape(missing, 'zz-no-such-tool'), `${label}: same answer as for a tool with no registration`)
  }
  assertProblem(t, await call(server, 'GET', '/v2/tools/alpha'), 401, 'unauthorized', 'GET without a key')
  assertProblem(t, await call(server, 'GET', '/v2/tools'), 401, 'unauthorized', 'list without a key')

  const names = async (headers: Headers) => {
    const res = await call(server, 'GET', '/v2/tools', { headers })
    t.equal(res.status, 200)
    return res.json.items.map((r: any) => r.tool)
  }
  t.same(await names(ADMIN), ['alpha', 'beta', 'delta', 'gamma'], 'admin: every registration, by name')
  t.same(await names(BOSS), ['alpha', 'beta', 'delta', 'gamma'], 'admin scope: every registration')
  t.same(await names(ALPHA), ['alpha'], 'alpha: its own')
  t.same(await names(BETA), ['alpha', 'beta'], 'beta: its own and the granting alpha')
  t.same(await names(GAMMA), ['gamma'], 'gamma: its own')
  t.same(await names(EPSILON), ['delta'], 'epsilon: only the granting delta')
  t.same(await names(READER), [], 'reader: nothing')
})

/* ------------------------------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------------------------------- */

t.test('PUT validation: 400 for every malformed request, and nothing changes', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  t.equal((await putTool(server, 'alpha', { maxTokens: 100, readers: ['beta'] })).status, 200)
  const before = await registry(server)
  const cases: [label: string, tool: string, body: unknown, code: string, pointer?: string, contentType?: string][] = [
    ['unknown field', 'alpha', { maxTokens: 5, colour: 'red' }, 'validation_failed', '/body'],
    ['server-set field version', 'alpha', { version: 9 }, 'validation_failed', '/body'],
    ['server-set field tool', 'alpha', { tool: 'beta' }, 'validation_failed', '/body'],
    ['maxTokens negative', 'alpha', { maxTokens: -1 }, 'validation_failed', '/body/maxTokens'],
    ['maxTokens not an integer', 'alpha', { maxTokens: 1.5 }, 'validation_failed', '/body/maxTokens'],
    ['maxTokens a string', 'alpha', { maxTokens: '100' }, 'validation_failed', '/body/maxTokens'],
    ['maxTokens too large', 'alpha', { maxTokens: 1e13 }, 'validation_failed', '/body/maxTokens'],
    ['overBudget unknown', 'alpha', { overBudget: 'drop' }, 'validation_failed', '/body/overBudget'],
    ['overBudget wrong case', 'alpha', { overBudget: 'Evict' }, 'validation_failed', '/body/overBudget'],
    ['evictionOrder unknown', 'alpha', { evictionOrder: 'random' }, 'validation_failed', '/body/evictionOrder'],
    ['defaultTtlSeconds 0', 'alpha', { defaultTtlSeconds: 0 }, 'validation_failed', '/body/defaultTtlSeconds'],
    ['displayName empty', 'alpha', { displayName: '' }, 'validation_failed', '/body/displayName'],
    ['readers not an array', 'alpha', { readers: 'beta' }, 'validation_failed', '/body/readers'],
    ['readers with a space', 'alpha', { readers: ['beta', 'bad name'] }, 'validation_failed', '/body/readers/1'],
    ['readers with a leading dash', 'alpha', { readers: ['-beta'] }, 'validation_failed', '/body/readers/0'],
    ['readers with a too long name', 'alpha', { readers: ['r'.repeat(65)] }, 'validation_failed', '/body/readers/0'],
    ['readers containing the tool itself', 'alpha', { readers: ['beta', 'alpha'] }, 'validation_failed', '/body/readers'],
    ['readers containing a new tool itself', 'brandnew', { readers: ['brandnew'] }, 'validation_failed', '/body/readers'],
    ['a JSON array body', 'alpha', [], 'validation_failed', '/body'],
    ['a JSON null body', 'alpha', 'null', 'validation_failed', '/body'],
    ['bad tool name in the path (space)', 'bad%20name', {}, 'validation_failed', '/params/tool'],
    ['bad tool name in the path (leading dot)', '.hidden', {}, 'validation_failed', '/params/tool'],
    ['bad tool name in the path (65 chars)', 't'.repeat(65), {}, 'validation_failed', '/params/tool'],
    ['malformed JSON', 'alpha', '{"maxTokens": ', 'malformed_json'],
    ['empty JSON body', 'alpha', '', 'malformed_json'],
  ]
  for (const [label, tool, body, code, pointer, contentType] of cases) {
    const res = body === ''
      ? await call(server, 'PUT', `/v2/tools/${tool}`, { headers: ADMIN, contentType: 'application/json' })
      : await putTool(server, tool, body, ADMIN, contentType)
    assertProblem(t, res, 400, code, label)
    if (pointer) t.ok(res.json.errors?.some((e: any) => e.pointer === pointer), `${label}: points at ${pointer} (${JSON.stringify(res.json.errors)})`)
    t.equal(await registry(server), before, `${label}: nothing changed`)
  }
  for (const body of ['maxTokens=5', '{"maxTokens":5}']) {
    assertProblem(t, await putTool(server, 'alpha', body, ADMIN, 'text/plain'), 415, 'unsupported_media_type', `text/plain ${body}: 415 as on /v2/memories`)
    t.equal(await registry(server), before, 'nothing changed')
  }
  assertProblem(t, await call(server, 'GET', '/v2/tools/brandnew', { headers: ADMIN }), 404, 'not_found', 'no registration was created')
})

/* ------------------------------------------------------------------------------------------------
 * Auto-registration and default TTLs
 * ---------------------------------------------------------------------------------------------- */

t.test('a tool\'s first write registers it once with the configured defaults; default TTL vs explicit', async (t) => {
  let clock = Date.parse('2026-03-01T12:00:00.000Z')
  const TTL = 600
  const { server } = await buildTestApp(t, {
    ...ENV,
    TOOL_DEFAULT_MAX_TOKENS: '50000',
    TOOL_DEFAULT_OVER_BUDGET: 'evict',
    TOOL_DEFAULT_EVICTION_ORDER: 'importance',
    TOOL_DEFAULT_TTL_SECONDS: String(TTL),
  }, { now: () => clock })
  const registrations = () => metric(server, ADMIN, REGISTRATIONS)
  const at = (ms: number) => new Date(ms).toISOString()
  t.equal(await registrations(), 0, 'no registration yet')

  // Reads, refused writes and invalid writes register nothing.
  await listAll(server, GAMMA)
  assertProblem(t, await call(server, 'POST', '/v2/memories', { headers: READER, body: { content: 'no write scope' } }), 403, 'forbidden', 'read-only key')
  assertProblem(t, await call(server, 'POST', '/v2/memories', { headers: GAMMA, body: { content: 'x', importance: 5 } }), 400, 'validation_failed', 'invalid body')
  t.equal(await registrations(), 0, 'reads and refused writes register nothing')
  t.same((await call(server, 'GET', '/v2/tools', { headers: ADMIN })).json.items, [])

  const first = await create(server, { content: 'gamma\'s first memory' }, GAMMA)
  t.equal(await registrations(), 1, 'the first write registered gamma: +1')
  const reg = await call(server, 'GET', '/v2/tools/gamma', { headers: ADMIN })
  t.same(reg.json, {
    tool: 'gamma', displayName: 'gamma', maxTokens: 50000, overBudget: 'evict', evictionOrder: 'importance',
    defaultTtlSeconds: TTL, readers: [], version: 1, createdAt: at(clock), updatedAt: at(clock),
  }, 'registered with the configured defaults')
  t.equal(first.expiresAt, at(clock + TTL * 1000), 'a write without ttlSeconds/expiresAt gets the default TTL')

  clock += 1000
  const second = await create(server, { content: 'gamma\'s second memory' }, GAMMA)
  t.equal(second.expiresAt, at(clock + TTL * 1000), 'relative to the write\'s time')
  const explicit = await create(server, { content: 'gamma keeps this a minute', ttlSeconds: 60 }, GAMMA)
  t.equal(explicit.expiresAt, at(clock + 60_000), 'explicit ttlSeconds keeps its own')
  const longer = await create(server, { content: 'gamma keeps this a day', ttlSeconds: 86_400 }, GAMMA)
  t.equal(longer.expiresAt, at(clock + 86_400_000), 'explicit ttlSeconds longer than the default keeps its own')
  const absolute = await create(server, { content: 'gamma keeps this until 2027', expiresAt: '2027-01-01T00:00:00.000Z' }, GAMMA)
  t.equal(absolute.expiresAt, '2027-01-01T00:00:00.000Z', 'explicit expiresAt keeps its own')
  const keyed = await call(server, 'PUT', '/v2/memories/by-key/profile', { headers: GAMMA, body: { content: 'gamma profile' } })
  t.equal(keyed.json.expiresAt, at(clock + TTL * 1000), 'by-key writes get the default TTL too')
  clock += 5000
  const replaced = await call(server, 'PUT', `/v2/memories/${first.id}`, { headers: GAMMA, body: { content: 'gamma\'s first memory, replaced' } })
  t.equal(replaced.status, 200)
  t.equal(replaced.json.expiresAt, at(clock + TTL * 1000), 'a replace without expiry gets the default TTL from its own time')
  t.equal(await registrations(), 1, 'further writes of gamma do not register it again')
  t.equal((await call(server, 'GET', '/v2/tools/gamma', { headers: ADMIN })).json.version, 1, 'the registration is untouched')

  // A tool an admin registered first keeps its settings; its first write counts nothing.
  t.equal((await putTool(server, 'beta', { maxTokens: null, readers: [] })).status, 200)
  const betas = await create(server, { content: 'beta writes under its own settings' }, BETA)
  t.equal(betas.expiresAt, null, 'beta\'s registration has no default TTL')
  t.equal(await registrations(), 1, 'beta was registered by PUT, not by its write')
  t.match((await call(server, 'GET', '/v2/tools/beta', { headers: ADMIN })).json, { version: 1, maxTokens: null, overBudget: 'reject', defaultTtlSeconds: null })

  // Each new writer counts once, through any write route.
  await call(server, 'PUT', '/v2/memories/by-key/k', { headers: ALPHA, body: { content: 'alpha by key' } })
  await call(server, 'POST', '/v2/memories/batch', { headers: BOSS, body: { operations: [{ op: 'create', body: { content: 'boss in a batch' } }] } })
  t.equal(await registrations(), 3, 'alpha (by key) and boss (batch): +1 each')
  await create(server, { content: 'alpha again' }, ALPHA)
  t.equal(await registrations(), 3)
  t.same((await call(server, 'GET', '/v2/tools', { headers: ADMIN })).json.items.map((r: any) => r.tool), ['alpha', 'beta', 'boss', 'gamma'])
})

/* ------------------------------------------------------------------------------------------------
 * Local mode
 * ---------------------------------------------------------------------------------------------- */

t.test('local mode (no keys, no admin key): anyone may PUT and see every registration', async (t) => {
  // The admin guard (createAdminGuard) is open in local mode: without MEMORY_API_KEYS the config
  // only lets the service bind to loopback, so every caller is on this machine and is the operator.
  const { server } = await buildTestApp(t)
  const plain = await putTool(server, 'alpha', { readers: ['beta'] }, {})
  t.equal(plain.status, 200, 'PUT without any header')
  t.equal(plain.json.version, 1)
  const asOther = await putTool(server, 'alpha', { maxTokens: 10 }, as('someone-else'))
  t.equal(asOther.status, 200, 'PUT as another tool (X-Memory-Tool) on alpha')
  t.equal(asOther.json.version, 2)
  t.equal((await putTool(server, 'gamma', {}, as('gamma'))).status, 200, 'PUT as the tool itself')
  t.same((await call(server, 'GET', '/v2/tools', { headers: as('beta') })).json.items.map((r: any) => r.tool), ['alpha', 'gamma'], 'every registration is listed for anyone')
  t.equal((await call(server, 'GET', '/v2/tools/alpha', { headers: as('nobody') })).status, 200)
  t.equal((await call(server, 'GET', '/admin/access-log')).status, 200, 'the access log is open too')
  assertProblem(t, await putTool(server, 'alpha', { readers: ['alpha'] }, {}), 400, 'validation_failed', 'validation still applies')
})

t.test('no keys but an admin key: only the admin key changes registrations', async (t) => {
  const { server } = await buildTestApp(t, { MEMORY_ADMIN_KEY: ADMIN_KEY })
  assertProblem(t, await putTool(server, 'alpha', {}, {}), 403, 'forbidden', 'without the admin key')
  assertProblem(t, await putTool(server, 'alpha', {}, as('alpha')), 403, 'forbidden', 'as the tool itself')
  t.equal((await putTool(server, 'alpha', {}, ADMIN)).status, 200, 'with the admin key')
  t.equal((await call(server, 'GET', '/v2/tools/alpha', { headers: as('alpha') })).status, 200, 'the tool reads its own')
  assertProblem(t, await call(server, 'GET', '/v2/tools/alpha', { headers: as('beta') }), 404, 'not_found', 'another tool does not')
  assertProblem(t, await call(server, 'GET', '/admin/access-log'), 401, 'unauthorized', 'the access log needs the admin key')
})

/* ------------------------------------------------------------------------------------------------
 * GET /admin/access-log
 * ---------------------------------------------------------------------------------------------- */

t.test('GET /admin/access-log: admin only, strict query, paging', async (t) => {
  const { server } = await buildTestApp(t, ENV)
  t.equal((await putTool(server, 'alpha', { readers: ['beta'] })).status, 200)
  for (const word of ['one', 'two', 'three']) await create(server, { content: `alpha note ${word}` }, ALPHA)
  t.equal((await listAll(server, BETA)).length, 3, 'beta reads alpha\'s three notes (three cross-tool reads)')

  const log = (query: string, headers: Headers = ADMIN): Promise<Res> => call(server, 'GET', `/admin/access-log${query}`, { headers })
  for (const [label, headers] of [['no key', {}], ['a tool key', ALPHA], ['a read key', READER], ['a wrong key', bearer('wrong-key-00000000000')]] as const) {
    assertProblem(t, await log('', headers), 401, 'unauthorized', label)
    assertProblem(t, await log('?limit=5000&bogus=1', headers), 401, 'unauthorized', `${label}, bad query: credentials first`)
  }
  for (const [label, query, pointer] of [
    ['limit > 1000', '?limit=1001', '/query/limit'],
    ['limit 0', '?limit=0', '/query/limit'],
    ['limit not a number', '?limit=ten', '/query/limit'],
    ['limit not an integer', '?limit=2.5', '/query/limit'],
    ['before 0', '?before=0', '/query/before'],
    ['unknown query field', '?tool=alpha', '/query'],
    ['reader not a tool name', '?reader=bad%20name', '/query/reader'],
    ['owner not a tool name', '?owner=-x', '/query/owner'],
  ] as const) {
    const res = await log(query)
    assertProblem(t, res, 400, 'validation_failed', label)
    t.ok(res.json.errors?.some((e: any) => e.pointer === pointer), `${label}: points at ${pointer}`)
  }

  const all = await log('?limit=1000')
  t.equal(all.status, 200)
  t.equal(all.headers['cache-control'], 'no-store')
  t.equal(all.json.items.length, 3)
  t.equal(all.json.nextBefore, null, 'fewer rows than the limit: no next page')
  t.ok(all.json.items.every((r: any) => r.reader === 'beta' && r.owner === 'alpha' && r.via === 'list'))
  t.equal((await log('', BOSS)).status, 200, 'a key with the admin scope')
  const page1 = await log('?limit=2')
  t.same(page1.json.items.map((r: any) => r.seq), all.json.items.slice(0, 2).map((r: any) => r.seq), 'newest first')
  t.equal(page1.json.nextBefore, page1.json.items[1].seq)
  const page2 = await log(`?limit=2&before=${page1.json.nextBefore}`)
  t.same(page2.json.items.map((r: any) => r.seq), [all.json.items[2].seq], 'the rest')
  t.equal(page2.json.nextBefore, null)
  t.same((await log('?reader=alpha')).json.items, [], 'filter by reader')
  t.equal((await log('?owner=alpha&reader=beta&limit=1000')).json.items.length, 3, 'filter by both')
})
