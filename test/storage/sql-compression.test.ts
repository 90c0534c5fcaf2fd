/**
 * Cold-store compression of the SQL store (migration 0002, the `compression` option), checked in
 * SQL as well as through the store, on PGlite and, when reachable, on Postgres: what is stored
 * compressed and what stays plain, byte-identical reads, search over compressed rows (full text
 * everywhere, substring within the first 4 096 characters), rows written before 0002, mirrors.
 */
import { randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { compressionPolicy } from '../../src/compression/content-codec.js'
import { contentHash } from '../../src/domain/memory/content-hash.js'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import type { EntryFilter, MemoryStore, SearchMode } from '../../src/storage/memory-store.js'
import { defaultMigrationsDir } from '../../src/storage/sql/migrator.js'
import { createPgDriver } from '../../src/storage/sql/pg-driver.js'
import { createPgliteDriver } from '../../src/storage/sql/pglite-driver.js'
import type { SqlQueryable } from '../../src/storage/sql/sql-driver.js'
import { createSqlStore, type SqlStoreOptions } from '../../src/storage/sql/sql-store.js'
import { longMarkdown } from '../conformance/suite-content.js'
import { makeEntry } from '../helpers/entries.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgSchemaUrl, schemaLease, schemaName } from '../helpers/sql-stores.js'

/**
 * From 1 KiB, kept when it saves 30 %: markdown saves ~90 %, base64 of random bytes only ~25 %
 * (6 bits of entropy per 8-bit character), so it counts as not worth compressing.
 */
const POLICY = compressionPolicy('brotli', 1024, 0.3)

/** One fresh schema: SQL access to it, and stores on it (initialised, closed at the end of the test). */
type Backend = (t: Test) => Promise<{ sql: SqlQueryable; open(options?: Partial<SqlStoreOptions>): Promise<MemoryStore> }>

async function opened(t: Test, store: MemoryStore): Promise<MemoryStore> {
  await store.init()
  t.teardown(() => store.close())
  return store
}

const unavailable = await postgresUnavailable()

t.test('on PGlite', async (t) => {
  const shared = createPgliteDriver()
  t.teardown(() => shared.close())
  await shared.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public')
  await compressionTests(t, async (t) => {
    const schema = schemaName('z')
    await shared.exec(`CREATE SCHEMA ${schema}`)
    const lease = schemaLease(shared, schema)
    return { sql: lease, open: (options) => opened(t, createSqlStore(lease, { migrateOnInit: true, ...options })) }
  })
})

t.test('on Postgres', { skip: unavailable ?? false }, async (t) => {
  const url = await createTestDatabase(t, 'sqlcompression')
  await compressionTests(t, async (t) => {
    const schemaUrl = await pgSchemaUrl(url)
    const sql = createPgDriver({ url: schemaUrl, poolMax: 1 })
    t.teardown(() => sql.close())
    return { sql, open: (options) => opened(t, createSqlStore(createPgDriver({ url: schemaUrl, poolMax: 2 }), { migrateOnInit: true, ...options })) }
  })
})

let toolCounter = 0
const uniqueTool = () => `zip-${process.pid}-${++toolCounter}`

const own = (tool: string): EntryFilter => ({ access: { tool, grantedTools: [], includeShared: false }, tools: [tool] })

async function found(store: MemoryStore, tool: string, text: string, mode: SearchMode): Promise<string[]> {
  return (await store.search({ text, mode, filter: own(tool), limit: 10 })).map((h) => h.entry.id)
}

interface StoredRow {
  plain: boolean
  codec: string | null
  blob_bytes: number | null
  head_chars: number | null
}

/** How the row of `id` is stored. */
async function storedRow(sql: SqlQueryable, id: string): Promise<StoredRow> {
  const { rows } = await sql.query<StoredRow>(
    `SELECT content IS NOT NULL AS plain, content_codec AS codec, octet_length(content_blob)::int AS blob_bytes,
       char_length(content_head)::int AS head_chars FROM memories WHERE id = $1::uuid`,
    [id],
  )
  return rows[0]!
}

const PLAIN: StoredRow = { plain: true, codec: null, blob_bytes: null, head_chars: null }

/** A migrations folder holding only the shipped 0001, removed at teardown. */
async function firstMigrationOnly(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpmem-0001-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await copyFile(join(defaultMigrationsDir(), '0001_memories.sql'), join(dir, '0001_memories.sql'))
  return dir
}

/** Insert `entry` as plain SQL of the 0001 schema (no search_vector: generated then, a trigger's job after 0002). */
async function insertRaw(sql: SqlQueryable, entry: MemoryEntry): Promise<void> {
  await sql.query(
    `INSERT INTO memories (tool, id, type, key, content, content_type, metadata, tags, importance, visibility,
       content_hash, tokens, version, created_at, updated_at)
     VALUES ($1, $2::uuid, $3, NULL, $4, $5, '{}'::jsonb, '{}'::text[], 0.5, 'private', $6, $7, 1, $8, $8)`,
    [entry.tool, entry.id, entry.type, entry.content, entry.contentType, entry.contentHash, entry.tokens, entry.createdAt],
  )
}

async function compressionTests(t: Test, backend: Backend): Promise<void> {
  t.test('a large markdown entry is stored compressed, reads back byte-identically, and onCompressed hears of it', async (t) => {
    const { sql, open } = await backend(t)
    const reports: Array<[number, number]> = []
    const store = await open({ compression: POLICY, onCompressed: (saved, ratio) => reports.push([saved, ratio]) })
    const tool = uniqueTool()
    const content = longMarkdown(100_000, 'narwhal', 60_000)
    const entry = makeEntry({ tool, content, contentType: 'text/markdown' })
    const bytes = Buffer.byteLength(content)
    t.ok(bytes > 100 * 1024, `the content is over 100 KiB (${bytes} bytes)`)
    await store.create(entry, { dedupe: true })
    const row = await storedRow(sql, entry.id)
    t.equal(row.plain, false, 'content IS NULL')
    t.equal(row.codec, 'br', 'the codec is stored beside the bytes')
    t.ok(row.blob_bytes! < 100 * 1024, `octet_length(content_blob) ${row.blob_bytes} < 100 KiB`)
    t.ok(row.blob_bytes! < bytes * 0.7, 'saving at least the policy\'s 30 %')
    t.equal(row.head_chars, 4096, 'the first 4 096 characters are kept for substring search')
    const read = await store.get(tool, entry.id)
    t.equal(read?.content, content, 'content byte-identical')
    t.equal(read?.contentHash, contentHash(content), 'contentHash of the content read')
    t.strictSame(read, entry, 'every field as written')
    t.strictSame(reports, [[bytes - row.blob_bytes!, row.blob_bytes! / bytes]], 'onCompressed: saved bytes and ratio, once')

    const shorter = makeEntry({ ...entry, content: 'now a short note' })
    t.equal((await store.update(shorter)).content, shorter.content, 'updated to a short content')
    t.strictSame(await storedRow(sql, entry.id), PLAIN, 'which is stored plain')
    t.equal(reports.length, 1, 'and not reported')
  })

  t.test('content not worth compressing, or under the threshold, stays plain', async (t) => {
    const { sql, open } = await backend(t)
    const reports: number[] = []
    const store = await open({ compression: POLICY, onCompressed: (saved) => reports.push(saved) })
    const tool = uniqueTool()
    const random = makeEntry({ tool, content: randomBytes(30_000).toString('base64') })
    const small = makeEntry({ tool, content: longMarkdown(900, 'tiny', 100), contentType: 'text/markdown' })
    for (const entry of [random, small]) {
      await store.create(entry, { dedupe: false })
      t.strictSame(await storedRow(sql, entry.id), PLAIN, `${entry === random ? 'random base64' : 'under 1 KiB'}: content set, blob null`)
      t.strictSame(await store.get(tool, entry.id), entry, 'reads back')
    }
    t.strictSame(reports, [], 'nothing reported')
  })

  t.test('search covers compressed entries: full text anywhere, substring in the first 4 096 characters', async (t) => {
    const { open } = await backend(t)
    const store = await open({ compression: POLICY })
    const tool = uniqueTool()
    const entry = makeEntry({ tool, content: longMarkdown(100_000, 'narwhal', 60_000), contentType: 'text/markdown' })
    await store.create(entry, { dedupe: false })
    t.ok(entry.content.indexOf('narwhal') > 59_000, 'the word sits at about 60 000 characters')
    t.strictSame(await found(store, tool, 'narwhal', 'fulltext'), [entry.id], 'fulltext finds a word deep inside')
    t.strictSame(await found(store, tool, 'item 1.5: the', 'substring'), [entry.id], 'substring finds text in the first 4 KB')
    t.strictSame(await found(store, tool, 'UNICODE: NAÏVE', 'substring'), [entry.id], 'case-insensitively, multi-byte')
    t.strictSame(await found(store, tool, 'narwhal paragraph', 'substring'), [],
      'the documented limit: substring search does not see past the first 4 096 characters of a compressed entry')
    const hit = (await store.search({ text: 'narwhal', mode: 'fulltext', filter: own(tool), limit: 1 }))[0]
    t.equal(hit?.entry.content, entry.content, 'hits carry the decompressed content')
  })

  t.test('full text covers the first 100 000 characters of a compressed entry, counted as Postgres counts them', async (t) => {
    const { sql, open } = await backend(t)
    const store = await open({ compression: POLICY })
    const tool = uniqueTool()
    // Each '🧭 ' is 2 characters but 3 UTF-16 units: 'walrus' starts at character 80 000 (unit 120 000),
    // 'narwhal' at character 110 007, past the indexed 100 000 (the same limit as for plain rows).
    const content = `${'🧭 '.repeat(40_000)}walrus ${'🌙 '.repeat(15_000)}narwhal`
    const entry = makeEntry({ tool, content })
    await store.create(entry, { dedupe: false })
    t.equal((await storedRow(sql, entry.id)).codec, 'br', 'stored compressed')
    t.strictSame(await found(store, tool, 'walrus', 'fulltext'), [entry.id], 'a word past 100 000 UTF-16 units but within 100 000 characters')
    t.strictSame(await found(store, tool, 'narwhal', 'fulltext'), [], 'a word past 100 000 characters is not indexed')
    t.equal((await store.get(tool, entry.id))?.content, content, 'reads back byte-identically')
    const nul = makeEntry({ tool, content: `${longMarkdown(120_000, 'x', 0)}\u0000 after the indexed prefix` })
    const refused = await store.create(nul, { dedupe: false }).then(() => 'stored', (err: { code?: string }) => err.code)
    t.equal(refused, 'validation_failed', 'NUL is refused as in plain text, even past the indexed prefix')
  })

  t.test('a row written before 0002 stays readable and searchable, and can be rewritten compressed', async (t) => {
    const { sql, open } = await backend(t)
    const tool = uniqueTool()
    const before = await open({ migrationsDir: await firstMigrationOnly(t) })
    const legacy = makeEntry({ tool, content: 'A legacy walrus note, written before compression existed.' })
    await insertRaw(sql, legacy)
    await before.close()

    const store = await open({ compression: POLICY })
    t.strictSame(await storedRow(sql, legacy.id), PLAIN, 'migrated as a plain row')
    t.strictSame(await store.get(tool, legacy.id), legacy, 'readable, every field')
    t.strictSame(await found(store, tool, 'walrus', 'fulltext'), [legacy.id], 'full-text search keeps its search_vector')
    t.strictSame(await found(store, tool, 'legacy walrus', 'substring'), [legacy.id], 'substring search uses the new index expression')

    const later = makeEntry({ tool, content: 'Another raw insert about a lonely walrus, after 0002.' })
    await insertRaw(sql, later)
    t.strictSame((await found(store, tool, 'lonely', 'fulltext')), [later.id],
      'a writer unaware of search_vector (an older replica) still gets it filled')

    const rewritten = makeEntry({ ...legacy, content: longMarkdown(50_000, 'walrus', 30_000), contentType: 'text/markdown' })
    t.strictSame(await store.update(rewritten), { ...rewritten, version: 2 }, 'updated to a large content')
    t.equal((await storedRow(sql, legacy.id)).codec, 'br', 'now compressed')
    t.strictSame(await store.get(tool, legacy.id), { ...rewritten, version: 2 }, 'read back byte-identically')
    t.strictSame((await found(store, tool, 'walrus', 'fulltext')).sort(), [legacy.id, later.id].sort(), 'still found')
  })

  t.test('scan and applyMirror copy compressed entries byte-identically, to plain and compressing stores', async (t) => {
    const source = await (await backend(t)).open({ compression: POLICY })
    const tool = uniqueTool()
    const entries = [
      makeEntry({ tool, content: longMarkdown(100_000, 'narwhal', 60_000, 1), contentType: 'text/markdown', version: 3 }),
      { ...makeEntry({ tool, content: longMarkdown(20_000, 'quetzal', 100, 2) }), key: 'doc', tags: ['a'], metadata: { n: 1 } },
      makeEntry({ tool, content: 'a short plain one' }),
    ]
    for (const entry of entries) t.equal(await source.applyMirror({ kind: 'entry', entry }), 'applied', 'mirrored into the source')
    const scanned = await source.scan(null, 10)
    t.strictSame(scanned, [...entries].sort((a, b) => (a.id < b.id ? -1 : 1)), 'scan returns every entry as given')
    for (const [label, options] of [['plain', {}], ['compressing', { compression: POLICY }]] as const) {
      const { sql, open } = await backend(t)
      const replica = await open(options)
      for (const entry of scanned) t.equal(await replica.applyMirror({ kind: 'entry', entry }), 'applied', `${label}: applied`)
      t.strictSame(await replica.scan(null, 10), scanned, `${label}: the replica scans the same entries`)
      t.equal((await storedRow(sql, entries[0]!.id)).plain, label === 'plain', `${label}: stored ${label === 'plain' ? 'plain' : 'compressed'}`)
      t.strictSame(await found(replica, tool, 'narwhal', 'fulltext'), [entries[0]!.id], `${label}: searchable`)
    }
  })
}
