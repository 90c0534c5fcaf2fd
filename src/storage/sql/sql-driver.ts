/**
 * The one seam between the SQL store and a database engine. The store and the migrator speak
 * Postgres SQL through this interface only; `pg-driver.ts` (a pg Pool against a Postgres server)
 * and `pglite-driver.ts` (embedded PGlite in a data folder) implement it.
 *
 * Errors: connection failures surface as `AppError('backend_unavailable')`; every other database
 * error is thrown as the driver's own error (with a SQLSTATE `code`), for `sql-errors.ts` to map.
 */
import { createHash } from 'node:crypto'

export interface QueryResult<T> {
  rows: T[]
}

/**
 * A constant statement with a name: the pg driver prepares it once per connection under that name
 * (a named prepared statement: parsed and analysed once, its plan cached by the server) instead of
 * sending it unnamed, to be parsed and planned again, on every call. PGlite ignores the name.
 * Build with `namedStatement`, which derives the name from the text, so one name never stands for
 * two texts (pg refuses that) and an edited statement gets a new name.
 */
export interface NamedStatement {
  readonly name: string
  readonly text: string
}

/** What `query` runs: SQL text (an unnamed statement) or a `NamedStatement`. */
export type SqlStatement = string | NamedStatement

/**
 * `text` as a named statement `<label>_<12 hex digits of its sha256>`. Use it only for constant
 * texts (module-level constants): every distinct name stays prepared on every pooled connection
 * for the connection's life, so names must come from a small, fixed set. `label` is lowercase
 * letters, digits and underscores (at most 40 characters).
 */
export function namedStatement(label: string, text: string): NamedStatement {
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(label)) throw new Error(`Bad statement label: ${label}`)
  return { name: `${label}_${createHash('sha256').update(text).digest('hex').slice(0, 12)}`, text }
}

/** The SQL text of a statement. */
export function statementText(statement: SqlStatement): string {
  return typeof statement === 'string' ? statement : statement.text
}

/** Something that runs statements: the driver itself, or a transaction handed to a callback. */
export interface SqlQueryable {
  /**
   * Run one statement with `$1..$n` parameters (values are never interpolated into the text).
   * Row values arrive parsed: timestamptz as Date, json/jsonb as objects, arrays as arrays,
   * int4/float8 as number; int8 (bigint) as string on pg and number on PGlite, so cast counts to
   * int in SQL or convert with Number(). bytea arrives as a Buffer on pg and a Uint8Array on PGlite.
   * A `NamedStatement` runs as a named prepared statement on pg (see there).
   */
  query<T = Record<string, unknown>>(statement: SqlStatement, params?: readonly unknown[]): Promise<QueryResult<T>>
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
