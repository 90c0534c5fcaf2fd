/**
 * SqlDriver over PGlite: Postgres compiled to WASM, in-process, persisted in a data folder (the
 * default `pglite://./data/memory` backend, design §6), or in memory for tests.
 *
 * PGlite has a single connection: it queues every query and transaction itself, so statements
 * never interleave with an open transaction. One folder must be opened by one process only.
 */
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { guardConnection } from './sql-errors.js'
import { type QueryResult, type SqlDriver, type SqlQueryable, type SqlStatement, statementText } from './sql-driver.js'

export interface PgliteDriverOptions {
  /** Data folder, created when missing. Undefined: an in-memory database, gone at close. */
  dataDir?: string
}

export interface PgliteDriver extends SqlDriver {
  readonly label: 'pglite'
  /** The absolute data folder, or null for an in-memory database. */
  readonly dataDir: string | null
}

/**
 * The data folder named by a `pglite://` URL: `pglite://PATH` is PATH resolved against `cwd`
 * (`pglite://./data/memory`, `pglite:///var/lib/mcp-memory`); `pglite://memory` or `pglite://`
 * mean in-memory (undefined).
 */
export function pgliteDataDirFromUrl(url: string, cwd = process.cwd()): string | undefined {
  const prefix = 'pglite://'
  if (!url.startsWith(prefix)) throw new Error(`Not a pglite:// URL: ${url}`)
  const path = url.slice(prefix.length)
  return path === '' || path === 'memory' ? undefined : resolve(cwd, path)
}

/** Every driver call goes through this: connection failures become `backend_unavailable`. */
const guard = <T>(fn: () => Promise<T>): Promise<T> => guardConnection('pglite', fn)

export function createPgliteDriver(options: PgliteDriverOptions = {}): PgliteDriver {
  const dataDir = options.dataDir === undefined ? null : resolve(options.dataDir)
  if (dataDir !== null) mkdirSync(dataDir, { recursive: true })
  const db = new PGlite({ ...(dataDir === null ? {} : { dataDir }), extensions: { pg_trgm } })
  let closed = false

  const wrap = (target: Pick<PGlite, 'query' | 'exec'>): SqlQueryable => ({
    // Statement names are ignored: PGlite's query() has none, so every statement is parsed per call as before.
    query: <T>(statement: SqlStatement, params?: readonly unknown[]) =>
      guard(async (): Promise<QueryResult<T>> => {
        const result = await target.query<T>(statementText(statement), params as unknown[] | undefined)
        return { rows: result.rows }
      }),
    exec: (script) =>
      guard(async () => {
        await target.exec(script)
      }),
  })
  const direct = wrap(db)

  return {
    label: 'pglite',
    dataDir,
    query: direct.query,
    exec: direct.exec,
    transaction: <T>(fn: (tx: SqlQueryable) => Promise<T>) => guard(() => db.transaction((tx) => fn(wrap(tx)))),
    async close() {
      if (closed) return
      closed = true
      await db.close()
    },
  }
}
