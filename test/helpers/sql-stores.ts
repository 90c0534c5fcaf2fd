/**
 * SQL store factories for tests. The conformance suite needs an isolated store per call (a mirror
 * test's replica must not share rows with its primary), so every store gets its own schema:
 * on Postgres, a pool whose connections use `search_path=<schema>,public`; on PGlite, a lease of
 * one shared instance that sets the search path inside each of its transactions (PGlite starts in
 * seconds, a schema in milliseconds). pg_trgm is installed once in `public` so that every schema
 * sees its operators.
 */
import { randomBytes } from 'node:crypto'
import type { MemoryStore } from '../../src/storage/memory-store.js'
import { createPgDriver, type PgDriver } from '../../src/storage/sql/pg-driver.js'
import { createPgliteDriver } from '../../src/storage/sql/pglite-driver.js'
import type { SqlDriver, SqlQueryable } from '../../src/storage/sql/sql-driver.js'
import { createSqlStore } from '../../src/storage/sql/sql-store.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Clock {
  now(): number
}

export type SqlStoreFactory = (clock: Clock) => Promise<MemoryStore>

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
export async function pgSchemaStores(t: Teardown, url: string): Promise<SqlStoreFactory> {
  const admin = createPgDriver({ url, poolMax: 1 })
  t.teardown(() => admin.close())
  await admin.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public')
  return async (clock) => {
    const schema = schemaName('s')
    await admin.exec(`CREATE SCHEMA ${schema}`)
    const driver = createPgDriver({ url: withSearchPath(url, schema), poolMax: 4 })
    return createSqlStore(driver, { now: clock.now, migrateOnInit: true })
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
export async function pgliteSchemaStores(t: Teardown): Promise<SqlStoreFactory> {
  const shared = createPgliteDriver()
  t.teardown(() => shared.close())
  await shared.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public')
  return async (clock) => {
    const schema = schemaName('s')
    await shared.exec(`CREATE SCHEMA ${schema}`)
    return createSqlStore(schemaLease(shared, schema), { now: clock.now, migrateOnInit: true })
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
