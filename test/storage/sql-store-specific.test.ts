/**
 * SQL-store behaviour the generic conformance suite cannot express: Postgres' English stemming and
 * websearch syntax, atomicity under real concurrency, text Postgres cannot store (NUL), malformed
 * ids, contents beyond the tsvector limit, and replayed responses kept byte-faithful.
 * Each group runs on PGlite and, when reachable, on Postgres.
 */
import t, { type Test } from 'tap'
import { isAppError } from '../../src/errors/app-error.js'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import type { EntryFilter, MemoryStore, Page } from '../../src/storage/memory-store.js'
import { MAX_GRANTED_BRANCHES } from '../../src/storage/sql/filter-sql.js'
import { MIN_SEARCH_CANDIDATES, searchCandidates } from '../../src/storage/sql/queries-read.js'
import { createClock, type TestClock } from '../conformance/memory-store.suite.js'
import { makeEntry } from '../helpers/entries.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgliteSchemaStores, pgSchemaStores, type SqlStoreFactory } from '../helpers/sql-stores.js'

const unavailable = await postgresUnavailable()

t.test('on PGlite', async (t) => specificTests(t, await pgliteSchemaStores(t)))

t.test('on Postgres', { skip: unavailable ?? false }, async (t) => {
  const url = await createTestDatabase(t, 'sqlspecific')
  await specificTests(t, await pgSchemaStores(t, url))
})

let toolCounter = 0
function uniqueTool(): string {
  return `spec-${process.pid}-${++toolCounter}`
}

function own(tool: string): EntryFilter {
  return { access: { tool, grantedTools: [], includeShared: false }, tools: [tool] }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: unknown) => (isAppError(err) ? err.code : `not an AppError: ${String(err)}`),
  )
}

async function specificTests(t: Test, make: SqlStoreFactory): Promise<void> {
  /** A fresh initialised store on its own clock, closed at the end of `t`. */
  async function open(t: Test): Promise<{ store: MemoryStore; clock: TestClock; tool: string }> {
    const clock = createClock()
    const store = await make(clock)
    await store.init()
    t.teardown(() => store.close())
    return { store, clock, tool: uniqueTool() }
  }

  t.test('fulltext uses English stemming and websearch syntax', async (t) => {
    const { store, tool } = await open(t)
    const runs = makeEntry({ tool, content: 'She runs every morning along the quay' })
    const ran = makeEntry({ tool, content: 'He ran past the lighthouse keeper' })
    const studies = makeEntry({ tool, content: 'Studies of keepers and a lighthouse' })
    for (const e of [runs, ran, studies]) await store.create(e, { dedupe: false })
    const find = async (text: string) =>
      (await store.search({ text, mode: 'fulltext', filter: own(tool), limit: 10 })).map((h) => h.entry.id).sort()
    t.same(await find('running'), [runs.id], "'running' finds 'runs' (not the irregular 'ran')")
    t.same(await find('studying'), [studies.id], "'studying' finds 'Studies'")
    t.same(await find('lighthouse -keeper'), [], 'a -word excludes')
    t.same(await find('lighthouse -studies'), [ran.id], 'exclusion by stem')
    t.same(await find('"lighthouse keeper"'), [ran.id], 'a quoted phrase needs adjacent words')
    t.same(await find('morning or quay'), [runs.id], 'or')
    t.same(await find('-lighthouse'), [], 'only excluded words match nothing')
    t.same(await find('the and of'), [], 'only stop words match nothing')
  })

  t.test('50 concurrent deduplicating creates of one content store a single entry', async (t) => {
    const { store, tool } = await open(t)
    const content = `concurrent content ${tool}`
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.create(makeEntry({ tool, content }), { dedupe: true })),
    )
    const ids = new Set(results.map((r) => r.entry.id))
    t.equal(ids.size, 1, 'every caller got the same entry')
    t.equal(results.filter((r) => r.created).length, 1, 'exactly one was created')
    t.equal((await store.findByHash(tool, results[0]!.entry.contentHash)).length, 1, 'one row stored')
  })

  t.test('concurrent deduplicating creates replace an expired duplicate once', async (t) => {
    const { store, clock, tool } = await open(t)
    const content = `expiring content ${tool}`
    const old = makeEntry({ tool, content, expiresAt: new Date(clock.now() + 1000) })
    await store.create(old, { dedupe: true })
    clock.advance(1000)
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.create(makeEntry({ tool, content }), { dedupe: true })),
    )
    t.equal(new Set(results.map((r) => r.entry.id)).size, 1, 'one live entry for everyone')
    t.not(results[0]!.entry.id, old.id, 'not the expired one')
    t.equal(results.filter((r) => r.created).length, 1, 'created once')
    t.equal(await store.purgeExpired(clock.now(), 10), 0, 'the expired entry was already removed')
  })

  t.test('concurrent upserts of one key serialise into one entry', async (t) => {
    const { store, tool } = await open(t)
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.upsertByKey({ ...makeEntry({ tool, content: `value ${i}` }), key: 'shared-key' }),
      ),
    )
    t.equal(new Set(results.map((r) => r.entry.id)).size, 1, 'one id')
    t.equal(results.filter((r) => r.created).length, 1, 'created once')
    t.same(results.map((r) => r.entry.version).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1),
      'versions 1..30, each once')
    t.equal((await store.findByKey(tool, 'shared-key'))?.version, 30)
  })

  t.test('a tombstone racing an older mirrored entry always wins', async (t) => {
    const { store, clock, tool } = await open(t)
    const entries = Array.from({ length: 20 }, () => ({ ...makeEntry({ tool }), version: 3 }))
    const outcomes = await Promise.all(
      entries.map(async (entry) => {
        const [, tombstone] = await Promise.all([
          store.applyMirror({ kind: 'entry', entry }),
          store.applyMirror({ kind: 'tombstone', tombstone: { tool, id: entry.id, version: 4, deletedAt: new Date(clock.now()) } }),
        ])
        return tombstone
      }),
    )
    t.same(outcomes, entries.map(() => 'applied'), 'every tombstone applied, whichever arrived first')
    t.same(await store.getMany(tool, entries.map((e) => e.id)), [], 'no entry survived its tombstone')
  })

  t.test('update and upsert take over the key or content of an expired entry in one statement', async (t) => {
    const { store, clock, tool } = await open(t)
    const soon = new Date(clock.now() + 1000)
    const keyed = makeEntry({ tool, key: 'slot', expiresAt: soon })
    const keyless = makeEntry({ tool, content: `taken content ${tool}`, expiresAt: soon })
    const mover = makeEntry({ tool, key: 'other' })
    const rewriter = makeEntry({ tool })
    for (const e of [keyed, keyless, mover, rewriter]) await store.create(e, { dedupe: false })
    t.equal(await codeOf(store.update({ ...mover, key: 'slot' })), 'key_conflict', 'a live holder still conflicts')
    clock.advance(1000)
    t.equal((await store.update({ ...mover, key: 'slot' })).key, 'slot', 'key of an expired entry taken by update')
    const rewritten = { ...rewriter, content: keyless.content, contentHash: keyless.contentHash }
    t.equal((await store.update(rewritten)).contentHash, keyless.contentHash, 'content of an expired entry taken')
    t.equal(await store.purgeExpired(clock.now(), 10), 0, 'the expired holders were removed by the writes')
    t.equal(await store.delete(tool, mover.id, { expectVersion: 2 }).then((d) => d?.version), 3, 'mover at version 2')
    const upserted = await store.upsertByKey({ ...makeEntry({ tool }), key: 'slot' })
    t.equal(upserted.created, true, 'the key is free again after the delete')
  })

  t.test('text Postgres cannot store is a validation error, never a 500', async (t) => {
    const { store, tool } = await open(t)
    const nul = 'before\u0000after'
    t.equal(await codeOf(store.create(makeEntry({ tool, content: nul }), { dedupe: true })), 'validation_failed', 'content')
    t.equal(await codeOf(store.create(makeEntry({ tool, key: nul }), { dedupe: false })), 'validation_failed', 'key')
    t.equal(await codeOf(store.create(makeEntry({ tool, tags: [nul] }), { dedupe: false })), 'validation_failed', 'tag')
    t.equal(
      await codeOf(store.create(makeEntry({ tool, metadata: { note: nul } }), { dedupe: false })),
      'validation_failed',
      'metadata string (jsonb rejects \\u0000)',
    )
    t.equal(await codeOf(store.findByKey(tool, nul)), 'validation_failed', 'a lookup by such a key')
    const fine = makeEntry({ tool, content: 'tab\tnewline\n\u2028 emoji 🧭 rtl \u05e9\u05dc\u05d5\u05dd' })
    await store.create(fine, { dedupe: false })
    t.equal((await store.get(tool, fine.id))?.content, fine.content, 'other control and non-BMP characters round-trip')
  })

  t.test('malformed ids are absent, never an error', async (t) => {
    const { store, tool } = await open(t)
    const entry = makeEntry({ tool })
    await store.create(entry, { dedupe: false })
    for (const id of ['not-a-uuid', '', "1' OR '1'='1", entry.id.toUpperCase(), `${entry.id} `]) {
      t.equal(await store.get(tool, id), null, `get ${JSON.stringify(id)}`)
      t.equal(await store.getById(id), null, `getById ${JSON.stringify(id)}`)
      t.same(await store.getMany(tool, [id, entry.id]), [await store.get(tool, entry.id)], `getMany ${JSON.stringify(id)}`)
      t.equal(await store.delete(tool, id), null, `delete ${JSON.stringify(id)}`)
      t.equal(await codeOf(store.delete(tool, id, { expectVersion: 2 })), 'version_conflict', `conditional delete ${JSON.stringify(id)}`)
      t.equal(await codeOf(store.update({ ...entry, id })), 'not_found', `update ${JSON.stringify(id)}`)
    }
    t.equal(await codeOf(store.create(makeEntry({ tool, id: 'not-a-uuid' }), { dedupe: false })), 'validation_failed',
      'create with a malformed id')
    t.equal(await codeOf(store.scan({ tool, id: 'nope' }, 10)), 'validation_failed', 'scan from a malformed id')
  })

  t.test('a 1 MiB content of distinct words is stored and searchable in its first 100 000 characters', async (t) => {
    const { store, tool } = await open(t)
    let seed = 7
    const word = () => {
      let w = ''
      for (let i = 0; i < 7; i++) w += String.fromCharCode(97 + ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 26))
      return w
    }
    const words: string[] = []
    for (let size = 0; size < 1024 * 1024 - 16; size += 8) words.push(word())
    const content = ['beacon', ...words].join(' ').slice(0, 1024 * 1024)
    const entry = makeEntry({ tool, content })
    await store.create(entry, { dedupe: false })
    const hits = await store.search({ text: 'beacon', mode: 'fulltext', filter: own(tool), limit: 5 })
    t.same(hits.map((h) => h.entry.id), [entry.id], 'found by a word near the start')
    t.equal(hits[0]?.entry.content.length, content.length, 'content intact')
    const tail = await store.search({ text: content.slice(-40, -10), mode: 'substring', filter: own(tool), limit: 5 })
    t.same(tail.map((h) => h.entry.id), [entry.id], 'substring search reaches the end')
  })

  t.test('listing and search over more granted tools than get a branch each (one tool = ANY branch)', async (t) => {
    const { store, tool } = await open(t)
    const granted = Array.from({ length: MAX_GRANTED_BRANCHES + 4 }, (_, i) => `${tool}-g${i}`)
    const other = `${tool}-other`
    const entries: MemoryEntry[] = []
    for (const [i, owner] of [tool, ...granted, other, other].entries()) {
      const entry = makeEntry({ tool: owner, visibility: owner === other && i % 2 === 0 ? 'shared' : 'private', content: `lynx ${i}` })
      await store.create(entry, { dedupe: false })
      entries.push(entry)
    }
    const readable = entries.filter((e) => e.tool !== other || e.visibility === 'shared')
    const expected = readable.map((e) => e.id).sort().reverse()
    const access = { tool, grantedTools: granted, includeShared: true }
    const listed: string[] = []
    let cursor: string | null = null
    do {
      const page: Page<MemoryEntry> = await store.query({ access }, cursor, 4)
      listed.push(...page.items.map((e) => e.id))
      cursor = page.nextCursor
    } while (cursor !== null)
    t.same(listed, expected, 'pages of 4: every readable entry once, newest first')
    const typed = await store.query({ access, tools: [...granted.slice(0, 3), other] }, null, 50)
    t.same(typed.items.map((e) => e.id), readable.filter((e) => [...granted.slice(0, 3), other].includes(e.tool)).map((e) => e.id).sort().reverse(),
      'with a tools filter')
    for (const mode of ['fulltext', 'substring'] as const) {
      const hits = await store.search({ text: 'lynx', mode, filter: { access }, limit: 100 })
      t.same(hits.map((h) => h.entry.id).sort(), [...expected].sort(), `${mode}: every readable entry once`)
    }
  })

  t.test('search ranks only the newest searchCandidates(limit) matches of each source', async (t) => {
    const { store, tool } = await open(t)
    const bound = searchCandidates(1)
    const best = makeEntry({ tool, content: 'gannet gannet gannet gannet' })
    await store.create(best, { dedupe: false })
    const newer: MemoryEntry[] = []
    for (let i = 0; i < bound; i++) newer.push(makeEntry({ tool, content: `gannet ${i}` }))
    for (const entry of newer) await store.create(entry, { dedupe: false })
    const top = async (mode: 'fulltext' | 'substring', limit: number) =>
      (await store.search({ text: 'gannet', mode, filter: own(tool), limit })).map((h) => h.entry.id)
    t.equal(bound, MIN_SEARCH_CANDIDATES, 'a limit of 1 ranks the minimum number of candidates')
    t.same(await top('fulltext', 1), [newer[newer.length - 1]!.id], `the best match is older than the newest ${bound}: not ranked`)
    t.same(await top('fulltext', 11), [best.id, ...newer.slice(-10).reverse().map((e) => e.id)],
      'a larger limit takes more candidates: the best first, then equal scores newest first')
    t.equal((await top('substring', 1)).length, 1, 'substring search is bounded the same way')
  })

  t.test('a replayed Idempotency-Key response keeps its JSON exactly', async (t) => {
    const { store, tool } = await open(t)
    t.same(await store.claimIdempotencyKey(tool, 'k', 'h1', 60_000), { state: 'claimed' })
    const body = { zeta: 1, alpha: { y: [3, 2, 1], b: null }, 'mid dle': 'ünïcode' }
    t.equal(await store.completeIdempotencyKey(tool, 'k', 'h1', { status: 201, headers: { etag: '"1"' }, body }, 60_000), true)
    const claim = await store.claimIdempotencyKey(tool, 'k', 'h2', 60_000)
    t.equal(claim.state, 'done')
    if (claim.state !== 'done') return
    t.equal(claim.requestHash, 'h1', 'the first request hash, for the reuse check')
    t.equal(JSON.stringify(claim.response.body), JSON.stringify(body), 'same key order, same values')
  })

  t.test('metadata and tags with characters special to SQL, JSON and arrays round-trip', async (t) => {
    const { store, tool } = await open(t)
    const entry: MemoryEntry = makeEntry({
      tool,
      key: "k'ey\\\"{}",
      tags: ['NULL', '{x}', 'a"b', 'c\\d', "'quoted'", '漢字'],
      metadata: { "it's": '"quoted"', nested: { back: '\\', arr: ['{', '}', null] }, big: 12345678901234 },
    })
    await store.create(entry, { dedupe: false })
    const read = await store.get(tool, entry.id)
    t.same(read?.tags, entry.tags, 'tags')
    t.same(read?.metadata, entry.metadata, 'metadata')
    t.equal(read?.key, entry.key, 'key')
    t.same((await store.query({ ...own(tool), tags: ['NULL', '{x}'] }, null, 10)).items.map((e) => e.id), [entry.id],
      'tag filter with such tags')
  })
}
