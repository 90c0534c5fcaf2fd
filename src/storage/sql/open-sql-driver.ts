/**
 * The SQL driver named by a store URL, for callers that need a driver rather than a store (the
 * `migrate` CLI, backfill/verify tools). Loads pg or PGlite only when used.
 */
import type { PgDriver } from './pg-driver.js'
import type { PgliteDriver } from './pglite-driver.js'
import type { SqlDriver } from './sql-driver.js'

export interface OpenSqlDriverOptions {
  /** pg pool size (`PG_POOL_MAX`). @default 10 */
  poolMax?: number
  /** pg `statement_timeout` in ms. @default 15000 */
  statementTimeoutMs?: number
  /** Errors of idle pooled pg connections (e.g. a server restart). */
  onIdleError?: (err: Error) => void
}

/** `postgres://…` / `postgresql://…` → pg Pool; `pglite://PATH` → PGlite in PATH (or memory). */
export async function openSqlDriver(url: string, options: OpenSqlDriverOptions = {}): Promise<PgDriver | PgliteDriver> {
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
