/**
 * SQL store factories for tests. The conformance suite needs an isolated store per call (a mirror
 * test's replica must not share rows with its primary), so every store gets its own schema:
 * on Postgres, a pool whose connections use `search_path=<schema>,public`; on PGlite, a lease of
 * one shared instance that sets the search path inside each of its transactions (PGlite starts in
 * seconds, a schema in milliseconds). pg_trgm is installed once in `public` so that every schema
 * sees its operators.
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { compressionPolicy, type CompressionPolicy } from '../../src/compression/content-codec.js'
import type { MemoryStore } from '../../src/storage/memory-store.js'
import { createPgDriver, type PgDriver } from '../../src/storage/sql/pg-driver.js'
import { createPgliteDriver } from '../../src/storage/sql/pglite-driver.js'
import type { SqlDriver, SqlQueryable } from '../../src/storage/sql/sql-driver.js'
import { createSqlStore, type SqlStoreOptions } from '../../src/storage/sql/sql-store.js'
import { memoryStoreSuite, type SuiteOptions } from '../conformance/memory-store.suite.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Clock {
  now(): number
}

export type SqlStoreFactory = (clock: Clock) => Promise<MemoryStore>

/** Store options a factory passes to every store it makes (e.g. `compression`). */
export type StoreExtras = Omit<SqlStoreOptions, 'now' | 'migrateOnInit'>

/**
 * Compression policies the conformance suite also runs under (besides none): the setting,
 * brotli from 64 bytes when it saves 10 % (the long contents of suite-content.ts qualify, the
 * suite's short ones do not), and gzip kept whatever it saves, so that every content is stored compressed: every read decompresses and
 * substring search runs on `content_head`.
 */
const COMPRESSED_SUITE_RUNS: ReadonlyArray<{ label: string; policy: CompressionPolicy; leastCompressed: number }> = [
  { label: 'brotli from 64 bytes', policy: compressionPolicy('brotli', 64), leastCompressed: 1 },
  { label: 'every content gzip-compressed', policy: { codec: 'gzip', minBytes: 0, minSaving: -Infinity }, leastCompressed: 100 },
]

/**
 * Register the conformance suite once per `COMPRESSED_SUITE_RUNS` policy, with stores from
 * `factory(t, extras)`, each run checking at its end that the suite did store compressed content.
 */
export function compressedSuiteRuns(
  t: Pick<Test, 'test'>,
  name: string,
  factory: (t: Test, extras: StoreExtras) => Promise<SqlStoreFactory>,
  options: SuiteOptions & { skip?: string | false },
): void {
  for (const { label, policy, leastCompressed } of COMPRESSED_SUITE_RUNS) {
    t.test(`${name}, ${label}`, { skip: options.skip ?? false }, async (t) => {
      let compressed = 0
      const make = await factory(t, { compression: policy, onCompressed: () => void compressed++ })
      memoryStoreSuite((name, fn) => void t.test(name, fn), make, { toolPrefix: options.toolPrefix })
      t.test('the suite stored compressed contents', async (t) => {
        t.ok(compressed >= leastCompressed, `${compressed} writes stored compressed content (at least ${leastCompressed})`)
      })
    })
  }
}

/** A fresh schema name: lowercase letters, digits and underscores only (safe as an identifier). */
export function schemaName(label = 's'): string {
  return `${label}_${randomBytes(5).toString('hex')}`
}

/** `url` with `search_path` set to `schema, public` for every connection. */
export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url)
  u.searchParams.set('options', `-c search_path=${schema},public`)
  return u.toString()
}

/** Stores in fresh schemas of the Postgres database at `url`; pools end when the stores close. */
export async function pgSchemaStores(t: Teardown, url: string, extras: StoreExtras = {}): Promise<SqlStoreFactory> {
  const admin = createPgDriver({ url, poolMax: 1 })
  t.teardown(() => admin.close())
  await admin.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public')
  return async (clock) => {
    const schema = schemaName('s')
    await admin.exec(`CREATE SCHEMA ${schema}`)
    const driver = createPgDriver({ url: withSearchPath(url, schema), poolMax: 4 })
    return createSqlStore(driver, { ...extras, now: clock.now, migrateOnInit: true })
  }
}

/** A fresh schema in the Postgres database at `url`; returns a URL whose connections use it. */
export async function pgSchemaUrl(url: string): Promise<string> {
  const admin = createPgDriver({ url, poolMax: 1 })
  try {
    await admin.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public')
    const schema = schemaName('s')
    await admin.exec(`CREATE SCHEMA ${schema}`)
    return withSearchPath(url, schema)
  } finally {
    await admin.close()
  }
}

/** A pg driver on a fresh schema of the database at `url`, closed at teardown. */
export async function pgSchemaDriver(t: Teardown, url: string, poolMax = 10): Promise<PgDriver> {
  const driver = createPgDriver({ url: await pgSchemaUrl(url), poolMax })
  t.teardown(() => driver.close())
  return driver
}

/** Stores in fresh schemas of one in-memory PGlite, closed at teardown. */
export async function pgliteSchemaStores(t: Teardown, extras: StoreExtras = {}): Promise<SqlStoreFactory> {
  const shared = createPgliteDriver()
  t.teardown(() => shared.close())
  await shared.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public')
  return async (clock) => {
    const schema = schemaName('s')
    await shared.exec(`CREATE SCHEMA ${schema}`)
    return createSqlStore(schemaLease(shared, schema), { ...extras, now: clock.now, migrateOnInit: true })
  }
}

/**
 * A view of `shared` confined to `schema`: every statement runs in a transaction that first sets
 * the search path. `close()` leaves `shared` open.
 */
export function schemaLease(shared: SqlDriver, schema: string): SqlDriver {
  const enter = async (tx: SqlQueryable) => tx.exec(`SET LOCAL search_path TO ${schema}, public`)
  return {
    label: shared.label,
    query: (text, params) =>
      shared.transaction(async (tx) => {
        await enter(tx)
        return tx.query(text, params)
      }),
    exec: (script) =>
      shared.transaction(async (tx) => {
        await enter(tx)
        await tx.exec(script)
      }),
    transaction: (fn) =>
      shared.transaction(async (tx) => {
        await enter(tx)
        return fn(tx)
      }),
    close: async () => {},
  }
}
