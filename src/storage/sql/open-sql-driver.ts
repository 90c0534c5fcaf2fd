/**
 * The SQL driver named by a store URL, for callers that need a driver rather than a store (the
 * `migrate` CLI, backfill/verify tools). Loads pg or PGlite only when used.
 */
import type { SqlDriver } from './sql-driver.js'

export interface OpenSqlDriverOptions {
  /** pg pool size (`PG_POOL_MAX`). @default 10 */
  poolMax?: number
  /** pg `statement_timeout` in ms. @default 15000 */
  statementTimeoutMs?: number
}

/** `postgres://…` / `postgresql://…` → pg Pool; `pglite://PATH` → PGlite in PATH (or memory). */
export async function openSqlDriver(url: string, options: OpenSqlDriverOptions = {}): Promise<SqlDriver> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { createPgDriver } = await import('./pg-driver.js')
    return createPgDriver({ url, ...options })
  }
  if (url.startsWith('pglite://')) {
    const { createPgliteDriver, pgliteDataDirFromUrl } = await import('./pglite-driver.js')
    return createPgliteDriver({ dataDir: pgliteDataDirFromUrl(url) })
  }
  throw new Error(`Not a SQL store URL (postgres:// or pglite://): ${url.split(':')[0]}:`)
}
