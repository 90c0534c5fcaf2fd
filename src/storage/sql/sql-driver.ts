/**
 * The one seam between the SQL store and a database engine. The store and the migrator speak
 * Postgres SQL through this interface only; `pg-driver.ts` (a pg Pool against a Postgres server)
 * and `pglite-driver.ts` (embedded PGlite in a data folder) implement it.
 *
 * Errors: connection failures surface as `AppError('backend_unavailable')`; every other database
 * error is thrown as the driver's own error (with a SQLSTATE `code`), for `sql-errors.ts` to map.
 */

export interface QueryResult<T> {
  rows: T[]
}

/** Something that runs statements: the driver itself, or a transaction handed to a callback. */
export interface SqlQueryable {
  /**
   * Run one statement with `$1..$n` parameters (values are never interpolated into the text).
   * Row values arrive parsed: timestamptz as Date, json/jsonb as objects, arrays as arrays,
   * int4/float8 as number; int8 (bigint) as string on pg and number on PGlite, so cast counts to
   * int in SQL or convert with Number().
   */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>>
  /** Run a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>
}

export interface SqlDriver extends SqlQueryable {
  /** `postgres` or `pglite`; becomes the store's backend label. */
  readonly label: 'postgres' | 'pglite'
  /**
   * Run `fn` inside BEGIN/COMMIT on one connection; ROLLBACK when it throws (the error is
   * rethrown). Inside `fn` use only `tx`: on PGlite, calling the driver itself would wait for the
   * transaction to end and deadlock.
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>
  /** Release every connection (or close the embedded database). Idempotent. */
  close(): Promise<void>
}
