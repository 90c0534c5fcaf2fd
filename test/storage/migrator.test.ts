import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createPgDriver } from '../../src/storage/sql/pg-driver.js'
import {
  assertSchemaCurrent,
  defaultMigrationsDir,
  loadMigrations,
  migrate,
  MigrationError,
  schemaStatus,
} from '../../src/storage/sql/migrator.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgSchemaDriver, pgSchemaUrl } from '../helpers/sql-stores.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A temp folder holding `files` (name → SQL), removed at teardown. */
async function migrationsFolder(t: Teardown, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpmem-migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql)
  return dir
}

/**
 * A temp copy of the shipped migrations plus `extra` files, numbered after the shipped ones in the
 * order given (`{ slow: sql }` becomes e.g. `0003_slow.sql`). Returns the folder and the extra names.
 */
async function shippedPlus(t: Teardown, extra: Record<string, string> = {}): Promise<{ dir: string; added: string[] }> {
  const dir = await migrationsFolder(t, {})
  const shipped = defaultMigrationsDir()
  const names = (await readdir(shipped)).filter((n) => n.endsWith('.sql'))
  for (const name of names) await copyFile(join(shipped, name), join(dir, name))
  const added: string[] = []
  for (const [label, sql] of Object.entries(extra)) {
    const name = `${String(names.length + added.length + 1).padStart(4, '0')}_${label}`
    await writeFile(join(dir, `${name}.sql`), sql)
    added.push(name)
  }
  return { dir, added }
}

t.test('the shipped migrations folder is found and well numbered', async (t) => {
  t.match(defaultMigrationsDir(), /[/\\]migrations$/)
  const files = await loadMigrations()
  t.same(files.map((f) => f.version), files.map((_, i) => i + 1), 'versions 1..N')
  t.equal(files[0]?.name, '0001_memories')
  t.match(files[0]?.checksum, /^sha256:[0-9a-f]{64}$/)
})

t.test('numbering gaps, duplicates and odd names are refused', async (t) => {
  const gap = await migrationsFolder(t, { '0001_a.sql': 'SELECT 1', '0003_c.sql': 'SELECT 1' })
  await t.rejects(loadMigrations(gap), { name: 'MigrationError', message: /gap: expected version 2, found 0003_c/ })
  const duplicate = await migrationsFolder(t, { '0001_a.sql': 'SELECT 1', '0001_b.sql': 'SELECT 1' })
  await t.rejects(loadMigrations(duplicate), { name: 'MigrationError', message: /share version 1/ })
  const notFirst = await migrationsFolder(t, { '0002_b.sql': 'SELECT 1' })
  await t.rejects(loadMigrations(notFirst), { name: 'MigrationError', message: /expected version 1/ })
  const oddName = await migrationsFolder(t, { '0001_a.sql': 'SELECT 1', '2_b.sql': 'SELECT 1' })
  await t.rejects(loadMigrations(oddName), { name: 'MigrationError', message: /2_b\.sql .*not named NNNN_name\.sql/ })
  const empty = await migrationsFolder(t, { 'README.md': 'no sql here' })
  await t.rejects(loadMigrations(empty), { name: 'MigrationError', message: /No migration files/ })
})

t.test('CRLF line ends do not change a checksum', async (t) => {
  const lf = await migrationsFolder(t, { '0001_a.sql': 'SELECT 1;\nSELECT 2;\n' })
  const crlf = await migrationsFolder(t, { '0001_a.sql': 'SELECT 1;\r\nSELECT 2;\r\n' })
  t.equal((await loadMigrations(crlf))[0]?.checksum, (await loadMigrations(lf))[0]?.checksum)
})

const unavailable = await postgresUnavailable()

t.test('on Postgres', { skip: unavailable ?? false }, async (t) => {
  const url = await createTestDatabase(t, 'migrator')

  t.test('applies every file once, records the ledger, and a re-run applies nothing', async (t) => {
    const db = await pgSchemaDriver(t, url)
    const latest = (await loadMigrations()).length
    await t.rejects(assertSchemaCurrent(db), {
      name: 'MigrationError',
      message: new RegExp(`schema is at 0, the code needs ${latest}: run \`mcp-memory migrate\``),
    })
    const names: string[] = []
    const first = await migrate(db, { onApplied: (name) => names.push(name) })
    const files = await loadMigrations()
    t.same(first.applied, files.map((f) => f.name), 'all shipped files applied')
    t.same(names, first.applied, 'onApplied reports each')
    const { rows } = await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
      'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
    )
    t.same(rows.map((r) => [r.version, r.name, r.checksum]), files.map((f) => [f.version, f.name, f.checksum]), 'ledger')
    t.ok(rows.every((r) => r.applied_at instanceof Date), 'applied_at recorded')
    const tables = await db.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1",
    )
    t.same(tables.rows.map((r) => r.name), [
      'idempotency_keys', 'memories', 'memory_access_log', 'memory_tombstones', 'memory_tools', 'mirror_outbox', 'schema_migrations',
    ])
    t.same(await migrate(db), { applied: [] }, 're-run is a no-op')
    await assertSchemaCurrent(db)
    t.same(await schemaStatus(db), { current: files.length, latest: files.length, pending: [], changed: [] })
  })

  t.test('an edited applied migration is refused with an actionable error', async (t) => {
    const db = await pgSchemaDriver(t, url)
    const dir = await migrationsFolder(t, { '0001_a.sql': 'CREATE TABLE a (x int);' })
    await migrate(db, { dir })
    await writeFile(join(dir, '0001_a.sql'), 'CREATE TABLE a (x bigint);')
    const message = /0001_a no longer matches its checksum.*new numbered migration/
    await t.rejects(migrate(db, { dir }), { name: 'MigrationError', message })
    await t.rejects(assertSchemaCurrent(db, { dir }), { name: 'MigrationError', message })
    t.same((await schemaStatus(db, { dir })).changed, ['0001_a'])
  })

  t.test('a new file makes the schema not current until migrated', async (t) => {
    const db = await pgSchemaDriver(t, url)
    const dir = await migrationsFolder(t, { '0001_a.sql': 'CREATE TABLE a (x int);' })
    await migrate(db, { dir })
    await writeFile(join(dir, '0002_b.sql'), 'ALTER TABLE a ADD COLUMN y int;')
    await t.rejects(assertSchemaCurrent(db, { dir }), { message: /schema is at 1, the code needs 2.*pending: 0002_b/ })
    t.same(await migrate(db, { dir }), { applied: ['0002_b'] })
    await assertSchemaCurrent(db, { dir })
  })

  t.test('a database ahead of the code is accepted', async (t) => {
    const db = await pgSchemaDriver(t, url)
    const newer = await migrationsFolder(t, { '0001_a.sql': 'CREATE TABLE a (x int);', '0002_b.sql': 'CREATE TABLE b (x int);' })
    await migrate(db, { dir: newer })
    const older = await migrationsFolder(t, { '0001_a.sql': 'CREATE TABLE a (x int);' })
    await assertSchemaCurrent(db, { dir: older })
    t.same(await migrate(db, { dir: older }), { applied: [] })
  })

  t.test('a failing file rolls back alone and names itself', async (t) => {
    const db = await pgSchemaDriver(t, url)
    const dir = await migrationsFolder(t, {
      '0001_a.sql': 'CREATE TABLE a (x int);',
      '0002_b.sql': 'CREATE TABLE b (x int); SELECT no_such_function();',
    })
    await t.rejects(migrate(db, { dir }), { name: 'MigrationError', message: /Migration 0002_b failed: .*no_such_function/ })
    t.same(await schemaStatus(db, { dir }), { current: 1, latest: 2, pending: ['0002_b'], changed: [] }, '0001 kept')
    const b = await db.query<{ t: string | null }>("SELECT to_regclass('b')::text AS t")
    t.equal(b.rows[0]?.t, null, 'nothing of 0002 remains')
  })

  t.test('two runners migrating one database at once both succeed and apply each file once', async (t) => {
    // `slow` holds the lock for a moment so that the runners overlap; without IF NOT EXISTS its
    // CREATE TABLE would fail if it ran twice.
    const { dir, added } = await shippedPlus(t, {
      slow: 'SELECT pg_sleep(0.3); CREATE TABLE slow_marker (x int);',
      after: 'CREATE TABLE after_marker (x int);',
    })
    const shipped = (await loadMigrations()).map((f) => f.name)
    const schemaUrl = await pgSchemaUrl(url)
    const runners = [createPgDriver({ url: schemaUrl }), createPgDriver({ url: schemaUrl })]
    t.teardown(() => Promise.all(runners.map((r) => r.close())))
    const results = await Promise.all(runners.map((db) => migrate(db, { dir })))
    const all = results.flatMap((r) => r.applied).sort()
    t.same(all, [...shipped, ...added].sort(), 'every file applied exactly once between the two')
    const { rows } = await runners[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations')
    t.equal(rows[0]?.n, shipped.length + added.length, 'one ledger row per file')
    await assertSchemaCurrent(runners[1]!, { dir })
  })

  t.test('assertSchemaCurrent on an unreachable server fails with backend_unavailable', async (t) => {
    const db = createPgDriver({ url: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMs: 1000 })
    t.teardown(() => db.close())
    await t.rejects(assertSchemaCurrent(db), { code: 'backend_unavailable' })
  })
})

t.test('MigrationError is a plain Error, not a client error', async (t) => {
  const err = new MigrationError('x')
  t.ok(err instanceof Error)
  t.equal(err.name, 'MigrationError')
  t.notOk('code' in err)
})
