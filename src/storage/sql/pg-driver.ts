/**
 * SqlDriver over a pg Pool (a Postgres server). One pool per backend, created once; clients are
 * borrowed per statement, or held for the length of a transaction.
 *
 * A `NamedStatement` is sent as `{ name, text, values }`: pg parses it once per pooled connection
 * (Parse under that name) and afterwards only binds and executes it, so the server neither parses
 * nor re-analyses the text again and may reuse a cached (generic) plan after five executions.
 * Plain strings stay unnamed statements, parsed and planned per call (listing and search texts,
 * which vary per request; see queries-read.ts). A connection keeps its prepared statements for its
 * life: a migration that changes the type of a column they select makes them fail ("cached plan
 * must not change result type") until the connection is replaced — pg-pool drops a connection
 * whose statement failed outside a transaction, and a restart renews them all.
 */
import pg from 'pg'
import { guardConnection } from './sql-errors.js'
import type { QueryResult, SqlDriver, SqlQueryable, SqlStatement } from './sql-driver.js'

export interface PgDriverOptions {
  /** `postgres://user:password@host:port/database?...` */
  url: string
  /** Maximum pooled connections (`PG_POOL_MAX`). @default 10 */
  poolMax?: number
  /** Server-side `statement_timeout` for every statement, in ms; 0 disables it. @default 15000 */
  statementTimeoutMs?: number
  /** How long to wait for a new connection (and for a free pooled one), in ms. @default 5000 */
  connectionTimeoutMs?: number
  /** Idle pooled connections are closed after this many ms. @default 30000 */
  idleTimeoutMs?: number
  /** Shown in pg_stat_activity. @default 'mcp-memory' */
  applicationName?: string
  /**
   * Called when an idle pooled connection fails (e.g. the server restarted). The pool drops that
   * connection either way; without a listener such errors would crash the process.
   * @default ignore
   */
  onIdleError?: (err: Error) => void
}

/** Pool gauges for `mcp_memory_pg_pool_connections{state}`. */
export interface PoolStats {
  total: number
  idle: number
  waiting: number
}

export interface PgDriver extends SqlDriver {
  readonly label: 'postgres'
  poolStats(): PoolStats
}

/** Every driver call goes through this: connection failures become `backend_unavailable`. */
const guard = <T>(fn: () => Promise<T>): Promise<T> => guardConnection('postgres', fn)

export function createPgDriver(options: PgDriverOptions): PgDriver {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    application_name: options.applicationName ?? 'mcp-memory',
  })
  pool.on('error', (err) => options.onIdleError?.(err))
  let closed = false

  const run = <T>(client: pg.Pool | pg.PoolClient, statement: SqlStatement, params?: readonly unknown[]) =>
    guard(async (): Promise<QueryResult<T>> => {
      const values = params as unknown[] | undefined
      const result =
        typeof statement === 'string'
          ? await client.query(statement, values)
          : await client.query({ name: statement.name, text: statement.text, values })
      return { rows: result.rows as T[] }
    })

  const onClient = (client: pg.PoolClient): SqlQueryable => ({
    query: <T>(statement: SqlStatement, params?: readonly unknown[]) => run<T>(client, statement, params),
    exec: async (script) => {
      await run(client, script)
    },
  })

  return {
    label: 'postgres',
    query: <T>(statement: SqlStatement, params?: readonly unknown[]) => run<T>(pool, statement, params),
    exec: async (script) => {
      await run(pool, script)
    },
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const client = await guard(() => pool.connect())
      let discard = false
      try {
        await run(client, 'BEGIN')
        const result = await fn(onClient(client))
        await run(client, 'COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          discard = true
        })
        throw err
      } finally {
        client.release(discard || undefined)
      }
    },
    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  }
}
