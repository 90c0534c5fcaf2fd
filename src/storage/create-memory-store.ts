/**
 * Builds the store named by a store URL: `memory://`, `pglite://PATH` (embedded Postgres in a
 * data folder; the quick-start default) or `postgres://…` (a pg Pool). SQL URLs go through
 * `openSqlDriver`, the one place that maps a scheme to a driver.
 */
import type { CompressionPolicy } from '../compression/content-codec.js'
import type { Config } from '../config/config.schema.js'
import { createInMemoryStore } from './in-memory/in-memory-store.js'
import type { MemoryStore } from './memory-store.js'
import type { PgDriver } from './sql/pg-driver.js'

export interface StoreSettings {
  now: () => number
  /** Called with the pg driver when one is made, so metrics can read its pool counts. */
  onPgDriver?: (driver: PgDriver) => void
  /** Errors of idle pooled connections (e.g. a server restart); logged by the caller. */
  onIdleError?: (err: Error) => void
  /** Content compression of the SQL stores (cold tier). */
  compression?: CompressionPolicy
  onCompressed?: (savedBytes: number, ratio: number) => void
  tombstoneRetentionMs?: number
}

/** SQL modules are loaded only when used, so `memory://` never loads pg or the PGlite WASM. */
export async function createMemoryStore(
  config: Pick<Config, 'STORE_URL' | 'PG_POOL_MAX' | 'PG_STATEMENT_TIMEOUT_MS' | 'MIGRATE_ON_START'>,
  settings: StoreSettings,
  url: string = config.STORE_URL,
): Promise<MemoryStore> {
  if (url === 'memory://') {
    return createInMemoryStore({ now: settings.now, tombstoneRetentionMs: settings.tombstoneRetentionMs })
  }
  const [{ openSqlDriver }, { createSqlStore }] = await Promise.all([import('./sql/open-sql-driver.js'), import('./sql/sql-store.js')])
  const driver = await openSqlDriver(url, {
    poolMax: config.PG_POOL_MAX, statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS, onIdleError: settings.onIdleError,
  })
  if (driver.label === 'postgres') settings.onPgDriver?.(driver)
  // The embedded store migrates itself; a shared Postgres follows MIGRATE_ON_START.
  return createSqlStore(driver, { ...sqlOptions(settings), migrateOnInit: driver.label === 'pglite' || config.MIGRATE_ON_START })
}

function sqlOptions(settings: StoreSettings) {
  return {
    now: settings.now,
    tombstoneRetentionMs: settings.tombstoneRetentionMs,
    compression: settings.compression,
    onCompressed: settings.onCompressed,
  }
}
