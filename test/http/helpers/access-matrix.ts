/**
 * The access model of src/domain/memory/caller.ts as a matrix: every caller × visibility ×
 * operation, with API keys. The callers:
 *
 * - `owner`      read+write, writes the entries under test
 * - `friend`     read+write, listed in owner's registration as a reader (the owner's grant)
 * - `stranger`   read+write, no grant
 * - `scoped`     `read:owner` only (an operator's grant written into the key), no registry grant
 * - `sharedonly` `read:shared` only
 * - `writeonly`  `write` only
 *
 * Denied single reads are 404 exactly like an id that exists nowhere; denied entries are left out
 * of lists, searches and context; writes to another tool's entry are 404 (403 for keys without
 * `write`) and change nothing. Then: no trace of the owner's private entry reaches a stranger
 * through any route, cross-tool reads are logged and counted, and revoking the grant applies at once.
 * Run on the in-memory store and on Postgres (test/http/access-control-matrix*.test.ts).
 */
import type { Test } from 'tap'
import { buildTestApp } from '../../helpers/build-app.js'
import { type Headers, type Res, type Server, MISSING_ID, assertProblem, bearer, call, create, listAll } from './http.js'
import { absentShape, metric, problemShape } from './access.js'

const MERGE = 'application/merge-patch+json'

const CALLERS = ['owner', 'friend', 'stranger', 'scoped', 'sharedonly', 'writeonly'] as const
type CallerName = (typeof CALLERS)[number]

const KEY: Record<CallerName, string> = {
  owner: 'owner-key-0000000001',
  friend: 'friend-key-000000002',
  stranger: 'stranger-key-0000003',
  scoped: 'scoped-key-000000004',
  sharedonly: 'sharedonly-key-00005',
  writeonly: 'writeonly-key-000006',
}
const ADMIN_KEY = 'admin-key-0000000000007'
const MEMORY_API_KEYS = [
  `owner=${KEY.owner}`,
  `friend=${KEY.friend}`,
  `stranger=${KEY.stranger}`,
  `scoped=${KEY.scoped}:read:owner`,
  `sharedonly=${KEY.sharedonly}:read:shared`,
  `writeonly=${KEY.writeonly}:write`,
].join(',')
const ENV = { MEMORY_API_KEYS, MEMORY_ADMIN_KEY: ADMIN_KEY, TOOL_REGISTRY_REFRESH_MS: '0' }

const H = Object.fromEntries(CALLERS.map((c) => [c, bearer(KEY[c])])) as Record<CallerName, Headers>
const ADMIN = bearer(ADMIN_KEY)

type Visibility = 'private' | 'shared'
const VISIBILITIES: readonly Visibility[] = ['private', 'shared']

/** The owner's two entries: a key, a distinctive word (full-text) and a fragment of it (substring). */
const INPUT: Record<Visibility, { content: string; key: string; word: string; fragment: string }> = {
  private: { content: 'private note: the zephyrine launch code lives here', key: 'priv-key', word: 'zephyrine', fragment: 'ephyrin' },
  shared: { content: 'shared note: the quillbeam roadmap is public', key: 'shared-key', word: 'quillbeam', fragment: 'uillbea' },
}

type Entries = Record<Visibility, any>

/** An app with keys, owner's registration granting `friend`, and owner's private and shared entries. */
async function setup(t: Test): Promise<{ server: Server; entries: Entries }> {
  const { server } = await buildTestApp(t, { ...ENV, ...(await storeEnv(t)) })
  const grant = await call(server, 'PUT', '/v2/tools/owner', { headers: ADMIN, body: { readers: ['friend'] } })
  if (grant.status !== 200) throw new Error(`grant failed: ${grant.status} ${grant.body}`)
  const entries = {} as Entries
  for (const vis of VISIBILITIES) {
    const { content, key } = INPUT[vis]
    entries[vis] = await create(server, { content, key, visibility: vis, tags: ['matrix'] }, H.owner)
    if (!entries[vis].contentHash.startsWith('sha256:')) throw new Error('entry without a content hash')
  }
  return { server, entries }
}

/* ------------------------------------------------------------------------------------------------
 * Reads
 * ---------------------------------------------------------------------------------------------- */

/** visible: returned; hidden: 404 / left out, as if it did not exist; forbidden: 403 (no read scope). */
type ReadOutcome = 'visible' | 'hidden' | 'forbidden'

interface ReadRow {
  caller: CallerName
  private: ReadOutcome
  shared: ReadOutcome
  /** Whether GET /v2/stats counts owner's entries for this caller. */
  stats: 'counts owner' | 'not owner' | 'forbidden'
  why: string
}

const READS: readonly ReadRow[] = [
  { caller: 'owner', private: 'visible', shared: 'visible', stats: 'counts owner', why: 'read: its own entries' },
  { caller: 'friend', private: 'visible', shared: 'visible', stats: 'counts owner', why: 'read: private entries of tools whose registration lists it among readers' },
  { caller: 'stranger', private: 'hidden', shared: 'visible', stats: 'not owner', why: 'read: shared entries of every tool, nothing else of owner' },
  { caller: 'scoped', private: 'visible', shared: 'visible', stats: 'counts owner', why: 'read:owner: every entry of owner' },
  { caller: 'sharedonly', private: 'hidden', shared: 'visible', stats: 'not owner', why: 'read:shared: shared entries of every tool' },
  { caller: 'writeonly', private: 'forbidden', shared: 'forbidden', stats: 'forbidden', why: 'no read scope at all: 403' },
]

const READ_OPS = ['GET by id', 'batch get', 'list', 'list ?tool=owner', 'search fulltext', 'search substring', 'context'] as const
type ReadOp = (typeof READ_OPS)[number]

/** Ids an operation handed to the caller (for the list-like operations), or the single-read response. */
async function runRead(server: Server, headers: Headers, op: ReadOp, vis: Visibility, entry: any): Promise<{ res: Res; ids?: string[]; missing?: Res }> {
  const { word, fragment } = INPUT[vis]
  switch (op) {
    case 'GET by id': {
      const res = await call(server, 'GET', `/v2/memories/${entry.id}`, { headers })
      const missing = await call(server, 'GET', `/v2/memories/${MISSING_ID}`, { headers })
      return { res, missing }
    }
    case 'batch get': {
      const res = await call(server, 'POST', '/v2/memories/batch', {
        headers, body: { operations: [{ op: 'get', id: entry.id }, { op: 'get', id: MISSING_ID }] },
      })
      return { res }
    }
    case 'list':
    case 'list ?tool=owner': {
      const query = op === 'list' ? '' : 'tool=owner'
      const res = await call(server, 'GET', `/v2/memories?${query}`, { headers })
      if (res.status !== 200) return { res }
      return { res, ids: (await listAll(server, headers, query)).map((e) => e.id) }
    }
    case 'search fulltext':
    case 'search substring': {
      const mode = op === 'search fulltext' ? 'fulltext' : 'substring'
      const res = await call(server, 'POST', '/v2/search', { headers, body: { query: mode === 'fulltext' ? word : fragment, mode, limit: 100 } })
      return { res, ids: res.status === 200 ? res.json.items.map((h: any) => h.entry.id) : undefined }
    }
    case 'context': {
      const res = await call(server, 'POST', '/v2/context', { headers, body: { maxTokens: 10000, query: word } })
      return { res, ids: res.status === 200 ? res.json.items.map((i: any) => i.entry.id) : undefined }
    }
  }
}

/** The store each app of the matrix runs on (environment values; {} = in-memory). */
let storeEnv: (t: Test) => Promise<Record<string, string>> = async () => ({})

/** Register the matrix's tests on `t`, each app on the store `env` gives. */
export function accessMatrix(t: Test, env: (t: Test) => Promise<Record<string, string>>): void {
  storeEnv = env
  t.test('read matrix: caller × visibility × operation', async (t) => {
    const { server, entries } = await setup(t)
    for (const row of READS) {
      t.test(`${row.caller} (${row.why})`, async (t) => {
        const headers = H[row.caller]
        for (const vis of VISIBILITIES) {
          const expected = row[vis]
          const entry = entries[vis]
          for (const op of READ_OPS) {
            const label = `${row.caller} ${op} ${vis} → ${expected}`
            const { res, ids, missing } = await runRead(server, headers, op, vis, entry)
            if (expected === 'forbidden') {
              if (op === 'batch get') {
                t.equal(res.status, 200, `${label}: the batch itself runs`)
                t.equal(res.json.results[0].status, 403, `${label}: per-operation 403`)
                t.equal(res.json.results[0].problem.code, 'forbidden', label)
              } else {
                assertProblem(t, res, 403, 'forbidden', label)
              }
              continue
            }
            if (op === 'GET by id') {
              if (expected === 'visible') {
                t.equal(res.status, 200, label)
                t.match(res.json, { id: entry.id, tool: 'owner', content: entry.content, version: entry.version, visibility: vis }, label)
              } else {
                assertProblem(t, res, 404, 'not_found', label)
                t.equal(absentShape(res, entry.id), absentShape(missing!, MISSING_ID), `${label}: same answer as for an id that exists nowhere`)
              }
            } else if (op === 'batch get') {
              t.equal(res.status, 200, label)
              const [got, absent] = res.json.results
              if (expected === 'visible') {
                t.equal(got.status, 200, label)
                t.equal(got.entry?.id, entry.id, label)
              } else {
                t.equal(got.status, 404, label)
                t.equal(problemShape(got.problem, entry.id), problemShape(absent.problem, MISSING_ID), `${label}: same problem as for a missing id`)
              }
            } else {
              t.equal(res.status, 200, label)
              if (expected === 'visible') t.ok(ids!.includes(entry.id), `${label}: included`)
              else t.notOk(ids!.includes(entry.id), `${label}: left out`)
            }
          }
        }
        const stats = await call(server, 'GET', '/v2/stats', { headers })
        if (row.stats === 'forbidden') {
          assertProblem(t, stats, 403, 'forbidden', `${row.caller} stats`)
        } else {
          t.equal(stats.status, 200)
          const owner = stats.json.tools.find((s: any) => s.tool === 'owner')
          if (row.stats === 'counts owner') t.equal(owner?.entries, 2, `${row.caller}: stats count owner's 2 entries`)
          else t.equal(owner, undefined, `${row.caller}: stats say nothing of owner`)
        }
      })
    }
  })

  t.test('read:<tool> does not imply read:shared, and a registry grant is one-way', async (t) => {
    const { server, entries } = await setup(t)
    const strangers = await create(server, { content: 'stranger shares a driftwood map', visibility: 'shared' }, H.stranger)
    const friends = await create(server, { content: 'friend keeps a cinderfall secret' }, H.friend)
    assertProblem(t, await call(server, 'GET', `/v2/memories/${strangers.id}`, { headers: H.scoped }), 404, 'not_found', 'scoped: another tool\'s shared entry')
    t.notOk((await listAll(server, H.scoped)).some((e) => e.id === strangers.id), 'scoped: not listed')
    t.same((await listAll(server, H.scoped)).map((e) => e.id).sort(), [entries.private.id, entries.shared.id].sort(), 'scoped lists owner\'s entries only')
    t.equal((await call(server, 'GET', `/v2/memories/${strangers.id}`, { headers: H.sharedonly })).status, 200, 'sharedonly reads any tool\'s shared entry')
    assertProblem(t, await call(server, 'GET', `/v2/memories/${friends.id}`, { headers: H.owner }), 404, 'not_found', 'owner cannot read friend\'s private entry')
    // A registry grant needs the `read` scope: listing read:shared or write-only keys as readers gives them nothing.
    const wider = await call(server, 'PUT', '/v2/tools/owner', { headers: ADMIN, body: { readers: ['friend', 'sharedonly', 'writeonly'] } })
    t.same(wider.json.readers, ['friend', 'sharedonly', 'writeonly'])
    assertProblem(t, await call(server, 'GET', `/v2/memories/${entries.private.id}`, { headers: H.sharedonly }), 404, 'not_found', 'sharedonly listed as reader')
    t.notOk((await listAll(server, H.sharedonly)).some((e) => e.id === entries.private.id), 'sharedonly listed as reader: not listed')
    assertProblem(t, await call(server, 'GET', `/v2/memories/${entries.private.id}`, { headers: H.writeonly }), 403, 'forbidden', 'writeonly listed as reader')

    // by-hash and by-key are own-tool only, even for a granted reader.
    t.same((await call(server, 'GET', `/v2/memories/by-hash/${entries.private.contentHash}`, { headers: H.friend })).json, { items: [] }, 'friend: by-hash of owner\'s entry')
    assertProblem(t, await call(server, 'GET', '/v2/memories/by-key/priv-key', { headers: H.friend }), 404, 'not_found', 'friend: by-key of owner\'s key')
    assertProblem(t, await call(server, 'GET', '/v2/memories/by-key/priv-key', { headers: H.scoped }), 403, 'forbidden', 'by-key needs read (own entries)')
    assertProblem(t, await call(server, 'GET', `/v2/memories/by-hash/${entries.private.contentHash}`, { headers: H.scoped }), 403, 'forbidden', 'by-hash needs read (own entries)')
  })

  /* ------------------------------------------------------------------------------------------------
   * Writes
   * ---------------------------------------------------------------------------------------------- */

  /** allowed: the write happens; not_found: 404 as for a missing id; forbidden: 403 (no write scope). */
  type WriteOutcome = 'allowed' | 'not_found' | 'forbidden'

  const WRITES: readonly { caller: CallerName; outcome: WriteOutcome; why: string }[] = [
    { caller: 'owner', outcome: 'allowed', why: 'its own entries' },
    { caller: 'friend', outcome: 'not_found', why: 'a registry grant is read-only' },
    { caller: 'stranger', outcome: 'not_found', why: 'another tool\'s entry, shared or not' },
    { caller: 'scoped', outcome: 'forbidden', why: 'read:owner only, no write scope' },
    { caller: 'sharedonly', outcome: 'forbidden', why: 'read:shared only, no write scope' },
    { caller: 'writeonly', outcome: 'not_found', why: 'write covers its own entries only' },
  ]

  const WRITE_OPS = ['PUT', 'PATCH', 'DELETE', 'batch replace', 'batch patch', 'batch delete'] as const
  type WriteOp = (typeof WRITE_OPS)[number]

  /** The content a write of `op` by `who` puts in. */
  const overwrite = (who: string, op: WriteOp, vis: Visibility) => `overwritten by ${who} (${op}, ${vis})`

  async function runWrite(server: Server, headers: Headers, op: WriteOp, id: string, vis: Visibility, who: string): Promise<Res> {
    // Distinct per write: keyless entries of a tool are unique by content (a duplicate is 409).
    const body = { content: overwrite(who, op, vis), visibility: vis }
    switch (op) {
      case 'PUT': return call(server, 'PUT', `/v2/memories/${id}`, { headers, body })
      case 'PATCH': return call(server, 'PATCH', `/v2/memories/${id}`, { headers, contentType: MERGE, body: { content: body.content } })
      case 'DELETE': return call(server, 'DELETE', `/v2/memories/${id}`, { headers })
      case 'batch replace': return batch(server, headers, { op: 'replace', id, body })
      case 'batch patch': return batch(server, headers, { op: 'patch', id, patch: { content: body.content } })
      case 'batch delete': return batch(server, headers, { op: 'delete', id })
    }
  }

  /** A batch of `op` on `id` followed by the same op on MISSING_ID (the "absent" reference). */
  function batch(server: Server, headers: Headers, op: Record<string, unknown>): Promise<Res> {
    return call(server, 'POST', '/v2/memories/batch', { headers, body: { operations: [op, { ...op, id: MISSING_ID }] } })
  }

  t.test('write matrix: caller × visibility × operation; denied writes change nothing', async (t) => {
    const { server, entries } = await setup(t)
    for (const row of WRITES) {
      t.test(`${row.caller}: ${row.outcome} (${row.why})`, async (t) => {
        const headers = H[row.caller]
        for (const vis of VISIBILITIES) {
          for (const op of WRITE_OPS) {
            const label = `${row.caller} ${op} ${vis} → ${row.outcome}`
            const isBatch = op.startsWith('batch')
            // The owner's writes succeed, so each one gets an entry of its own.
            const target = row.outcome === 'allowed'
              ? await create(server, { content: `${INPUT[vis].content} (copy for ${op})`, visibility: vis }, H.owner)
              : entries[vis]
            const res = await runWrite(server, headers, op, target.id, vis, row.caller)
            const deletes = op === 'DELETE' || op === 'batch delete'
            if (row.outcome === 'allowed') {
              const status = isBatch ? (t.equal(res.status, 200, label), res.json.results[0].status) : res.status
              t.equal(status, deletes ? 204 : 200, label)
              const after = await call(server, 'GET', `/v2/memories/${target.id}`, { headers: H.owner })
              if (deletes) {
                assertProblem(t, after, 404, 'not_found', `${label}: gone`)
              } else {
                t.match(after.json, { version: target.version + 1, content: overwrite('owner', op, vis), visibility: vis }, `${label}: written`)
              }
              continue
            }
            const status = row.outcome === 'forbidden' ? 403 : 404
            const code = row.outcome === 'forbidden' ? 'forbidden' : 'not_found'
            if (isBatch) {
              t.equal(res.status, 200, `${label}: the batch itself runs`)
              const [mine, absent] = res.json.results
              t.equal(mine.status, status, label)
              t.equal(mine.problem?.code, code, label)
              if (row.outcome === 'not_found') {
                t.equal(problemShape(mine.problem, target.id), problemShape(absent.problem, MISSING_ID), `${label}: same problem as for a missing id`)
              }
            } else {
              assertProblem(t, res, status, code, label)
              if (row.outcome === 'not_found') {
                const missing = await runWrite(server, headers, op, MISSING_ID, vis, row.caller)
                t.equal(absentShape(res, target.id), absentShape(missing, MISSING_ID), `${label}: same answer as for a missing id`)
              }
            }
            const after = await call(server, 'GET', `/v2/memories/${target.id}`, { headers: H.owner })
            t.equal(after.status, 200, `${label}: still there`)
            t.match(after.json, { version: target.version, content: target.content, visibility: vis }, `${label}: unchanged`)
          }
        }
      })
    }
  })

  t.test('writeonly writes its own entries but cannot read anything, not even them', async (t) => {
    const { server } = await setup(t)
    const W = H.writeonly
    const own = await create(server, { content: 'a write-only log line', key: 'log' }, W)
    t.equal(own.tool, 'writeonly')
    const put = await call(server, 'PUT', `/v2/memories/${own.id}`, { headers: W, body: { content: 'a replaced log line', key: 'log' } })
    t.equal(put.status, 200, 'PUT own')
    t.equal(put.json.version, 2)
    const patch = await call(server, 'PATCH', `/v2/memories/${own.id}`, { headers: W, contentType: MERGE, body: { importance: 0.9 } })
    t.equal(patch.status, 200, 'PATCH own')
    t.equal(patch.json.version, 3)
    const byKey = await call(server, 'PUT', '/v2/memories/by-key/log', { headers: W, body: { content: 'by key' } })
    t.equal(byKey.status, 200, 'PUT by key own')
    t.equal(byKey.json.id, own.id)
    assertProblem(t, await call(server, 'GET', `/v2/memories/${own.id}`, { headers: W }), 403, 'forbidden', 'GET own')
    assertProblem(t, await call(server, 'GET', '/v2/memories/by-key/log', { headers: W }), 403, 'forbidden', 'GET own by key')
    assertProblem(t, await call(server, 'GET', `/v2/memories/by-hash/${own.contentHash}`, { headers: W }), 403, 'forbidden', 'by-hash')
    assertProblem(t, await call(server, 'GET', '/v1/graph', { headers: W }), 403, 'forbidden', '/v1/graph')
    const del = await call(server, 'DELETE', `/v2/memories/${own.id}`, { headers: W })
    t.equal(del.status, 204, 'DELETE own')
    const other = await create(server, { content: 'another line' }, W)
    t.equal((await call(server, 'DELETE', '/v2/memories/by-key/log', { headers: W })).status, 404, 'the keyed entry is gone')
    t.equal((await call(server, 'DELETE', `/v2/memories/${other.id}`, { headers: W })).status, 204)
  })

  /* ------------------------------------------------------------------------------------------------
   * No leak to a stranger
   * ---------------------------------------------------------------------------------------------- */

  t.test('no trace of owner\'s private entries reaches a stranger, through any route', async (t) => {
    const { server, entries } = await setup(t)
    const S = H.stranger
    const priv = entries.private
    // Owner's knowledge graph (v1): "Orchid Vault" stays private, "Lantern Dock" is made shared through /v2.
    const graph = await call(server, 'POST', '/v1/entities', {
      headers: H.owner,
      body: { entities: [
        { name: 'Orchid Vault', entityType: 'place', observations: ['holds the marrowglint ledger'] },
        { name: 'Lantern Dock', entityType: 'place', observations: ['a tidewhistle harbour'] },
      ] },
    })
    t.equal(graph.status, 200, 'owner creates entities')
    const vault = (await call(server, 'GET', `/v2/memories/by-key/${encodeURIComponent('entity:Orchid Vault')}`, { headers: H.owner })).json
    const dock = (await call(server, 'GET', `/v2/memories/by-key/${encodeURIComponent('entity:Lantern Dock')}`, { headers: H.owner })).json
    t.equal(vault.visibility, 'private')
    const shareDock = await call(server, 'PATCH', `/v2/memories/${dock.id}`, { headers: H.owner, contentType: MERGE, body: { visibility: 'shared' } })
    t.equal(shareDock.status, 200, 'owner shares one entity')
    const ownerGraph = await call(server, 'GET', '/v1/graph', { headers: H.owner })
    t.same(ownerGraph.json.entities.map((e: any) => e.name).sort(), ['Lantern Dock', 'Orchid Vault'], 'owner\'s graph has both (the checks below are not vacuous)')
    t.equal((await call(server, 'GET', `/v2/memories/${dock.id}`, { headers: S })).status, 200, 'the shared entity is readable by the stranger through /v2')
    const strangerGraph = await call(server, 'POST', '/v1/entities', {
      headers: S, body: { entities: [{ name: 'Stranger Shed', entityType: 'place', observations: ['full of rakes'] }] },
    })
    t.equal(strangerGraph.status, 200)

    const secrets = [priv.id, priv.contentHash, priv.content, INPUT.private.word, vault.id, vault.contentHash, 'marrowglint', 'Orchid Vault', 'orchid vault']
    const secretsExtra: string[] = []
    const discovered: [string, Res][] = []
    const see = async (label: string, res: Res, status = 200) => {
      t.equal(res.status, status, `${label}: ${status}`)
      discovered.push([label, res])
      return res
    }

    // Lists, page by page (one entry per page, so every page body is checked), with and without ?tool.
    for (const query of ['', 'tool=owner&', 'visibility=private&', 'tag=matrix&', 'key=priv-key&', 'tool=owner&visibility=private&type=kg.entity&']) {
      let cursor: string | null = null
      let pages = 0
      do {
        const page: Res = await see(`list ?${query}page ${pages}`, await call(server, 'GET', `/v2/memories?${query}limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: S }))
        cursor = page.json.nextCursor
        pages++
      } while (cursor && pages < 50)
    }
    t.same((await listAll(server, S, 'tool=owner')).map((e) => e.id).sort(), [entries.shared.id, dock.id].sort(), 'only owner\'s shared entries are listed')

    // Search, both modes, for every secret word.
    for (const query of [INPUT.private.word, INPUT.private.fragment, 'marrowglint', 'launch code', 'orchid']) {
      for (const mode of ['fulltext', 'substring']) {
        const res = await see(`search ${mode} ${query}`, await call(server, 'POST', '/v2/search', { headers: S, body: { query, mode, limit: 100 } }))
        t.same(res.json.items, [], `search ${mode} "${query}" finds nothing`)
      }
    }
    const narrowed = await see('search tools=[owner] private', await call(server, 'POST', '/v2/search', {
      headers: S, body: { query: INPUT.private.fragment, mode: 'substring', tools: ['owner'], visibility: 'private', tags: ['matrix'] },
    }))
    t.same(narrowed.json.items, [], 'a search narrowed to owner\'s private entries finds nothing')

    // A conditional read must not betray the entry either: 404, never 304.
    const conditional = await call(server, 'GET', `/v2/memories/${priv.id}`, { headers: { ...S, 'if-none-match': `"${priv.version}"` } })
    assertProblem(t, conditional, 404, 'not_found', 'If-None-Match on a hidden entry')
    t.equal(conditional.headers.etag, undefined, 'no ETag')

    // Conditional writes: an entry the stranger cannot see fails If-Match exactly like a missing one.
    for (const [method, extra] of [['PUT', { body: { content: 'x' } }], ['PATCH', { body: { content: 'x' }, contentType: MERGE }], ['DELETE', {}]] as const) {
      const req = (id: string) => call(server, method, `/v2/memories/${id}`, { ...extra, headers: { ...S, 'if-match': `"${priv.version}"` } })
      const res = await req(priv.id)
      assertProblem(t, res, 412, 'version_conflict', `${method} If-Match on a hidden entry`)
      t.equal(res.json.currentVersion, null, `${method} If-Match: no version leaks`)
      t.equal(absentShape(res, priv.id), absentShape(await req(MISSING_ID), MISSING_ID), `${method} If-Match: as if absent`)
    }
    t.equal((await call(server, 'GET', `/v2/memories/${priv.id}`, { headers: H.owner })).json.version, priv.version, 'still unchanged')

    // Idempotency keys are per tool: the owner's key replays nothing to the stranger.
    const idem = { 'idempotency-key': 'same-key-for-both' }
    const first = await call(server, 'POST', '/v2/memories', { headers: { ...H.owner, ...idem }, body: { content: 'idem twin' } })
    const second = await see('idempotent POST', await call(server, 'POST', '/v2/memories', { headers: { ...S, ...idem }, body: { content: 'idem twin' } }), 201)
    t.equal(second.headers['idempotent-replayed'], undefined, 'not a replay')
    t.not(second.json.id, first.json.id, 'the stranger gets an entry of its own')
    secretsExtra.push(first.json.id)

    // by-hash and by-key are the caller's own tool only, whatever the visibility.
    for (const e of [priv, entries.shared, vault]) {
      const res = await see(`by-hash ${e.visibility}`, await call(server, 'GET', `/v2/memories/by-hash/${e.contentHash}`, { headers: S }))
      t.same(res.json.items, [], `by-hash of owner's ${e.visibility} entry: none`)
    }
    const absentKey = await call(server, 'GET', '/v2/memories/by-key/no-such-key-at-all', { headers: S })
    for (const key of [INPUT.private.key, INPUT.shared.key, 'entity:Orchid Vault']) {
      const res = await call(server, 'GET', `/v2/memories/by-key/${encodeURIComponent(key)}`, { headers: S })
      assertProblem(t, res, 404, 'not_found', `by-key ${key}`)
      t.equal(absentShape(res, encodeURIComponent(key)).split(key).join('<NAME>'), absentShape(absentKey, 'no-such-key-at-all'), `by-key ${key}: as if absent`)
    }

    // Batch get: a per-operation 404 identical to a missing id's.
    const b = await call(server, 'POST', '/v2/memories/batch', { headers: S, body: { operations: [{ op: 'get', id: priv.id }, { op: 'get', id: MISSING_ID }, { op: 'get', id: vault.id }] } })
    t.same(b.json.results.map((r: any) => r.status), [404, 404, 404], 'batch get: 404 each')
    t.equal(problemShape(b.json.results[0].problem, priv.id), problemShape(b.json.results[1].problem, MISSING_ID), 'batch get: same problem as a missing id')
    t.equal(problemShape(b.json.results[2].problem, vault.id), problemShape(b.json.results[1].problem, MISSING_ID))

    // /v1: the graph is per tool, and needs the same bearer auth.
    assertProblem(t, await call(server, 'GET', '/v1/graph'), 401, 'unauthorized', '/v1 without a key')
    assertProblem(t, await call(server, 'GET', '/v1/graph', { headers: bearer('not-a-key-0000000000') }), 401, 'unauthorized', '/v1 with a wrong key')
    const v1graph = await see('/v1/graph', await call(server, 'GET', '/v1/graph', { headers: S }))
    t.same(v1graph.json.entities.map((e: any) => e.name), ['Stranger Shed'], '/v1/graph: the stranger\'s own entities only (not even owner\'s shared one)')
    t.same(v1graph.json.relations, [])
    for (const query of ['marrowglint', 'Orchid', 'tidewhistle', 'Lantern', 'place', INPUT.private.word]) {
      const res = await see(`/v1/search ${query}`, await call(server, 'GET', `/v1/search?query=${encodeURIComponent(query)}`, { headers: S }))
      t.same(res.json.entities.filter((e: any) => e.name !== 'Stranger Shed'), [], `/v1/search "${query}": nothing of owner`)
    }
    const opened = await see('/v1/nodes/open', await call(server, 'POST', '/v1/nodes/open', { headers: S, body: { names: ['Orchid Vault', 'Lantern Dock'] } }))
    t.same(opened.json, { entities: [], relations: [] }, '/v1/nodes/open: owner\'s names open nothing')
    const viaTool = await see('/v1/tools/open_nodes', await call(server, 'POST', '/v1/tools/open_nodes', { headers: S, body: { names: ['Orchid Vault'] } }))
    t.same(viaTool.json.result.entities, [])
    await see('/v1/tools/read_graph', await call(server, 'POST', '/v1/tools/read_graph', { headers: S, body: {} }))

    // Context packing (with and without a query) and stats.
    for (const query of [INPUT.private.word, 'marrowglint', undefined]) {
      const res = await see(`context ${query}`, await call(server, 'POST', '/v2/context', { headers: S, body: { maxTokens: 10000, ...(query ? { query } : {}) } }))
      t.notOk(res.json.items.some((i: any) => i.entry.tool === 'owner' && i.entry.visibility === 'private'), `context ${query}: no private entry of owner`)
    }
    const stats = await see('stats', await call(server, 'GET', '/v2/stats', { headers: S }))
    t.same(stats.json.tools.map((s: any) => s.tool), ['stranger'], 'stats: the stranger\'s own tool only')
    t.equal(stats.json.entries, 2, 'stats: the stranger\'s own two entries (its entity and its idempotent POST)')

    for (const [label, res] of discovered) {
      for (const secret of [...secrets, ...secretsExtra]) t.notOk(res.body.includes(secret), `${label}: no "${secret.slice(0, 24)}"`)
    }
  })

  /* ------------------------------------------------------------------------------------------------
   * Access log, metric, revocation
   * ---------------------------------------------------------------------------------------------- */

  t.test('friend\'s cross-tool reads are logged (get, list, search, context) and counted', async (t) => {
    const { server, entries } = await setup(t)
    const F = H.friend
    const SERIES = ['mcp_memory_cross_tool_reads_total', 'owner="owner"'] as const
    const before = await metric(server, ADMIN, ...SERIES)
    // Owner reading its own entries is never a cross-tool read.
    await call(server, 'GET', `/v2/memories/${entries.private.id}`, { headers: H.owner })
    await listAll(server, H.owner)

    const handed: { via: string; id: string }[] = []
    const note = (via: string, items: any[]) => {
      for (const e of items) if (e.tool === 'owner') handed.push({ via, id: e.id })
    }
    const got = await call(server, 'GET', `/v2/memories/${entries.private.id}`, { headers: F })
    t.equal(got.status, 200)
    note('get', [got.json])
    const batched = await call(server, 'POST', '/v2/memories/batch', { headers: F, body: { operations: [{ op: 'get', id: entries.shared.id }] } })
    note('get', [batched.json.results[0].entry])
    note('list', await listAll(server, F))
    const found = await call(server, 'POST', '/v2/search', { headers: F, body: { query: INPUT.private.word } })
    note('search', found.json.items.map((h: any) => h.entry))
    const packed = await call(server, 'POST', '/v2/context', { headers: F, body: { maxTokens: 10000, query: INPUT.private.word } })
    note('context', packed.json.items.map((i: any) => i.entry))
    for (const via of ['get', 'list', 'search', 'context']) {
      t.ok(handed.some((h) => h.via === via && h.id === entries.private.id), `friend read the private entry via ${via}`)
    }

    const log = await call(server, 'GET', '/admin/access-log?reader=friend&owner=owner&limit=1000', { headers: ADMIN })
    t.equal(log.status, 200)
    const rows = log.json.items.map((r: any) => ({ via: r.via, id: r.id }))
    const sortRows = (xs: { via: string; id: string }[]) => [...xs].sort((a, b) => (a.via + a.id).localeCompare(b.via + b.id))
    t.same(sortRows(rows), sortRows(handed), 'one row per entry handed to friend, with how')
    t.ok(log.json.items.every((r: any) => r.reader === 'friend' && r.owner === 'owner'), 'filters apply')
    t.same([...new Set(rows.map((r: any) => r.via))].sort(), ['context', 'get', 'list', 'search'])
    const seqs = log.json.items.map((r: any) => r.seq)
    t.same(seqs, [...seqs].sort((a: number, b: number) => b - a), 'newest first')
    t.equal((await call(server, 'GET', '/admin/access-log?reader=owner', { headers: ADMIN })).json.items.length, 0, 'own reads are not logged')
    t.equal((await call(server, 'GET', '/admin/access-log?owner=friend', { headers: ADMIN })).json.items.length, 0)

    const after = await metric(server, ADMIN, ...SERIES)
    t.equal(after - before, handed.length, 'mcp_memory_cross_tool_reads_total{owner="owner"} counted each of them')
    const all = await call(server, 'GET', '/admin/access-log?owner=owner&limit=1000', { headers: ADMIN })
    t.equal(all.json.items.length, after, 'the counter and the log agree')

    // The log and the metric need admin credentials.
    assertProblem(t, await call(server, 'GET', '/admin/access-log', { headers: F }), 401, 'unauthorized', 'access log with a tool key')
    t.equal((await call(server, 'GET', '/metrics', { headers: F })).status, 401, 'metrics with a tool key')
  })

  t.test('revoking the grant (readers: []) removes friend\'s access at once; read:owner stays', async (t) => {
    const { server, entries } = await setup(t)
    const F = H.friend
    const priv = entries.private
    const reads = async () => ({
      get: (await call(server, 'GET', `/v2/memories/${priv.id}`, { headers: F })).status,
      list: (await listAll(server, F)).map((e) => e.id).includes(priv.id),
      search: (await call(server, 'POST', '/v2/search', { headers: F, body: { query: INPUT.private.word } })).json.items.some((h: any) => h.entry.id === priv.id),
      context: (await call(server, 'POST', '/v2/context', { headers: F, body: { maxTokens: 10000 } })).json.items.some((i: any) => i.entry.id === priv.id),
      stats: (await call(server, 'GET', '/v2/stats', { headers: F })).json.tools.some((s: any) => s.tool === 'owner'),
      registration: (await call(server, 'GET', '/v2/tools/owner', { headers: F })).status,
    })
    t.same(await reads(), { get: 200, list: true, search: true, context: true, stats: true, registration: 200 }, 'granted')

    const revoke = await call(server, 'PUT', '/v2/tools/owner', { headers: { ...ADMIN, 'if-match': '"1"' }, body: { readers: [] } })
    t.equal(revoke.status, 200)
    t.same(revoke.json.readers, [])
    t.equal(revoke.json.version, 2)
    t.same(await reads(), { get: 404, list: false, search: false, context: false, stats: false, registration: 404 }, 'revoked')
    const denied = await call(server, 'GET', `/v2/memories/${priv.id}`, { headers: F })
    const missing = await call(server, 'GET', `/v2/memories/${MISSING_ID}`, { headers: F })
    t.equal(absentShape(denied, priv.id), absentShape(missing, MISSING_ID), 'revoked: as if absent')
    t.equal((await call(server, 'GET', `/v2/memories/${entries.shared.id}`, { headers: F })).status, 200, 'shared entries stay readable')
    t.equal((await call(server, 'GET', `/v2/memories/${priv.id}`, { headers: H.scoped })).status, 200, 'read:owner in a key does not depend on the registry')

    const regrant = await call(server, 'PUT', '/v2/tools/owner', { headers: ADMIN, body: { readers: ['friend'] } })
    t.equal(regrant.json.version, 3)
    t.same(await reads(), { get: 200, list: true, search: true, context: true, stats: true, registration: 200 }, 'granted again')
  })
}
