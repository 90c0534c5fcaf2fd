/** The SQL drivers and the error mapping: URLs, persistence, transactions, unreachable servers. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t, { type Test } from 'tap'
import { AppError, isAppError } from '../../src/errors/app-error.js'
import { schemaStatus } from '../../src/storage/sql/migrator.js'
import { createPgDriver } from '../../src/storage/sql/pg-driver.js'
import { openSqlDriver } from '../../src/storage/sql/open-sql-driver.js'
import { createPgliteDriver, pgliteDataDirFromUrl } from '../../src/storage/sql/pglite-driver.js'
import { namedStatement, type SqlDriver } from '../../src/storage/sql/sql-driver.js'
import { isConnectionError, toStoreError } from '../../src/storage/sql/sql-errors.js'
import { createSqlStore } from '../../src/storage/sql/sql-store.js'
import { makeEntry } from '../helpers/entries.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgSchemaDriver, schemaLease } from '../helpers/sql-stores.js'

const unavailable = await postgresUnavailable()

function pgError(code: string, constraint?: string): Error {
  return Object.assign(new Error(`server says ${code}`), { code, constraint })
}

t.test('toStoreError maps SQLSTATEs to the shared codes', async (t) => {
  const cases: Array<[unknown, string]> = [
    [pgError('23505', 'memories_tool_key_key'), 'key_conflict'],
    [pgError('23505', 'memories_tool_type_hash_key'), 'duplicate_content'],
    [pgError('23505', 'memories_pkey'), 'version_conflict'],
    [pgError('23514', 'memories_importance_check'), 'validation_failed'],
    [pgError('22021'), 'validation_failed'],
    [pgError('22P05'), 'validation_failed'],
    [pgError('22P02'), 'validation_failed'],
    [pgError('54000'), 'content_too_large'],
    [pgError('57014'), 'backend_unavailable'],
    [pgError('40P01'), 'backend_unavailable'],
    [pgError('57P01'), 'backend_unavailable'],
    [pgError('08006'), 'backend_unavailable'],
    [pgError('53300'), 'backend_unavailable'],
    [pgError('28P01'), 'backend_unavailable'],
    [pgError('3D000'), 'backend_unavailable'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'backend_unavailable'],
    [new Error('Connection terminated unexpectedly'), 'backend_unavailable'],
    [new Error('PGlite is closed'), 'backend_unavailable'],
  ]
  for (const [err, code] of cases) {
    const mapped = toStoreError(err, 'postgres')
    t.equal(isAppError(mapped) ? mapped.code : 'unmapped', code, (err as Error).message)
    if (isAppError(mapped)) t.notMatch(mapped.detail, /server says/, 'detail hides the server message')
  }
  const unknown = pgError('42P01')
  t.equal(toStoreError(unknown, 'postgres'), unknown, 'anything else passes through (becomes internal)')
  t.equal(toStoreError(pgError('23505', 'some_other_index'), 'pglite') instanceof AppError, false, 'unknown unique index')
  const app = new AppError('not_found')
  t.equal(toStoreError(app, 'postgres'), app, 'AppErrors pass through')
  t.notOk(isConnectionError(pgError('23505')))
})

t.test('pglite:// URLs name a folder relative to the working directory, or memory', async (t) => {
  t.equal(pgliteDataDirFromUrl('pglite://./data/memory', '/srv/app'), resolve('/srv/app/data/memory'))
  t.equal(pgliteDataDirFromUrl('pglite://data', '/srv/app'), resolve('/srv/app/data'))
  t.equal(pgliteDataDirFromUrl('pglite:///var/lib/mcp', '/srv/app'), resolve('/var/lib/mcp'))
  t.equal(pgliteDataDirFromUrl('pglite://memory'), undefined)
  t.equal(pgliteDataDirFromUrl('pglite://'), undefined)
  t.throws(() => pgliteDataDirFromUrl('postgres://x'), /Not a pglite/)
})

t.test('openSqlDriver picks the driver by scheme', async (t) => {
  const pg = await openSqlDriver('postgres://postgres@127.0.0.1:1/none', { poolMax: 2 })
  t.equal(pg.label, 'postgres')
  await pg.close()
  const pg2 = await openSqlDriver('postgresql://postgres@127.0.0.1:1/none')
  t.equal(pg2.label, 'postgres')
  await pg2.close()
  await t.rejects(openSqlDriver('memory://'), /Not a SQL store URL/)
})

t.test('PGlite keeps its data in the folder across restarts', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'mcpmem-pglite-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const dataDir = join(root, 'nested', 'data')
  const entry = makeEntry({ tool: 'persist', key: 'k', metadata: { a: [1, 2] }, tags: ['x'] })

  const first = createPgliteDriver({ dataDir })
  t.equal(first.dataDir, dataDir, 'absolute data folder')
  const store = createSqlStore(first, { migrateOnInit: true })
  t.equal(store.backend, 'pglite')
  await store.init()
  await store.create(entry, { dedupe: false })
  await store.close()
  await t.rejects(first.query('SELECT 1'), { code: 'backend_unavailable' }, 'the store closed its driver')

  const second = createPgliteDriver({ dataDir })
  const reopened = createSqlStore(second, { migrateOnInit: false })
  await reopened.init()
  t.same(await reopened.get('persist', entry.id), { ...entry, version: 1 }, 'read back after reopening')
  t.same((await schemaStatus(second)).pending, [], 'migrations were kept too')
  await reopened.close()
})

/** Transactions commit on return and roll back on throw, on both drivers. */
async function transactionChecks(t: Test, db: SqlDriver): Promise<void> {
  await db.exec('CREATE TABLE tx_probe (n int); CREATE TABLE tx_probe2 (n int)')
  t.equal(await db.transaction(async (tx) => {
    await tx.query('INSERT INTO tx_probe VALUES ($1)', [1])
    return 'done'
  }), 'done')
  await t.rejects(db.transaction(async (tx) => {
    await tx.query('INSERT INTO tx_probe VALUES ($1)', [2])
    throw new Error('boom')
  }), { message: 'boom' })
  const { rows } = await db.query<{ n: number }>('SELECT n FROM tx_probe ORDER BY n')
  t.same(rows, [{ n: 1 }], 'committed row kept, rolled back row gone')
}

t.test('namedStatement names a text by a label and a hash of the text', async (t) => {
  const a = namedStatement('probe', 'SELECT 1')
  t.match(a.name, /^probe_[0-9a-f]{12}$/)
  t.equal(a.text, 'SELECT 1')
  t.equal(namedStatement('probe', 'SELECT 1').name, a.name, 'same text, same name')
  t.not(namedStatement('probe', 'SELECT 2').name, a.name, 'another text, another name')
  for (const label of ['', 'Upper', '1st', 'with-dash', 'x'.repeat(41)]) t.throws(() => namedStatement(label, 'SELECT 1'), `label ${JSON.stringify(label)}`)
})

t.test('on an in-memory PGlite', async (t) => {
  const shared = createPgliteDriver()
  t.teardown(() => shared.close())

  t.test('without migrateOnInit, init refuses an unmigrated database', async (t) => {
    await shared.exec('CREATE SCHEMA unmigrated')
    const store = createSqlStore(schemaLease(shared, 'unmigrated'), { migrateOnInit: false })
    await t.rejects(store.init(), {
      name: 'MigrationError',
      message: /schema is at 0, the code needs \d+: run `mcp-memory migrate`/,
    })
  })

  t.test('transactions', async (t) => {
    await shared.exec('CREATE SCHEMA tx')
    await transactionChecks(t, schemaLease(shared, 'tx'))
  })

  t.test('a named statement runs like its text (PGlite ignores the name)', async (t) => {
    const statement = namedStatement('probe', 'SELECT $1::int + 1 AS n')
    t.same((await shared.query(statement, [1])).rows, [{ n: 2 }])
    t.same((await shared.transaction((tx) => tx.query(statement, [2]))).rows, [{ n: 3 }], 'in a transaction')
  })
})

t.test('on Postgres', { skip: unavailable ?? false }, async (t) => {
  const url = await createTestDatabase(t, 'drivers')

  t.test('transactions', async (t) => {
    const db = await pgSchemaDriver(t, url)
    await transactionChecks(t, db)
    t.equal(db.poolStats().waiting, 0, 'nothing waits')
  })

  t.test('poolStats reports the pool', async (t) => {
    const db = await pgSchemaDriver(t, url, 3)
    await Promise.all([db.query('SELECT pg_sleep(0.05)'), db.query('SELECT 1'), db.query('SELECT 1')])
    const stats = db.poolStats()
    t.ok(stats.total >= 1 && stats.total <= 3, `total ${stats.total} within poolMax`)
    t.equal(stats.idle, stats.total, 'all idle afterwards')
    t.equal(stats.waiting, 0)
  })

  t.test('a statement over statement_timeout becomes backend_unavailable', async (t) => {
    const db = createPgDriver({ url, statementTimeoutMs: 50 })
    t.teardown(() => db.close())
    const err = await db.query('SELECT pg_sleep(2)').then(() => null, (e: unknown) => e)
    t.match(err, { code: '57014' })
    t.match(toStoreError(err, 'postgres'), { code: 'backend_unavailable' })
  })

  t.test('a named statement is prepared once per connection and reused', async (t) => {
    const db = await pgSchemaDriver(t, url, 1)
    const statement = namedStatement('probe', 'SELECT $1::int + 1 AS n')
    for (let n = 1; n <= 3; n++) t.same((await db.query(statement, [n])).rows, [{ n: n + 1 }], `run ${n}`)
    t.same((await db.transaction((tx) => tx.query(statement, [10]))).rows, [{ n: 11 }], 'in a transaction')
    const { rows } = await db.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements')
    t.same(rows, [{ name: statement.name, statement: statement.text }], 'one prepared statement on the one connection')
    const store = createSqlStore(db, { migrateOnInit: true })
    await store.init()
    await store.get('tool', makeEntry().id)
    const names = (await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map((r) => r.name)
    t.ok(names.some((name) => name.startsWith('get_')), 'the store runs its reads as named statements')
  })

  t.test('the store labels itself postgres', async (t) => {
    const db = await pgSchemaDriver(t, url)
    t.equal(createSqlStore(db, { migrateOnInit: true }).backend, 'postgres')
  })
})

t.test('an unreachable Postgres is backend_unavailable for init, reads, writes and ping', async (t) => {
  const db = createPgDriver({ url: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMs: 1000 })
  const store = createSqlStore(db, { migrateOnInit: true })
  t.teardown(() => store.close())
  const operations: Array<[string, () => Promise<unknown>]> = [
    ['init', () => store.init()],
    ['ping', () => store.ping()],
    ['get', () => store.get('x', makeEntry().id)],
    ['create', () => store.create(makeEntry(), { dedupe: true })],
    ['applyMirror', () => store.applyMirror({ kind: 'entry', entry: makeEntry() })],
  ]
  for (const [name, op] of operations) {
    await t.rejects(op(), { code: 'backend_unavailable', detail: 'The postgres storage backend is unavailable.' }, name)
  }
})
