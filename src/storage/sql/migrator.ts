/**
 * SQL schema migrations (design §7 `migrate`, style habit 10): numbered files `NNNN_name.sql` in
 * the top-level `migrations/` folder, applied in order, one transaction per file, each under a
 * transaction-level advisory lock, recorded with a checksum in the `schema_migrations` ledger.
 * Replicas migrating at once serialise on the lock; the later ones find nothing to do.
 *
 * Production start only asserts the schema (`assertSchemaCurrent`); DDL runs from
 * `mcp-memory migrate` (a Kubernetes Job). Embedded PGlite migrates at start.
 * A database ahead of the code (applied versions unknown to it) is accepted: migrations are
 * additive, so an older replica keeps working during a rollout.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AppError } from '../../errors/app-error.js'
import type { SqlDriver, SqlQueryable } from './sql-driver.js'

/** A failed or refused migration; the message says what to do. Not an AppError: never sent to clients. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError'
}

export interface MigrationFile {
  version: number
  /** File name without `.sql`, e.g. `0001_memories`. */
  name: string
  sql: string
  /** `sha256:` + hex of the file text with CRLF line ends normalised to LF. */
  checksum: string
}

export interface MigrationOptions {
  /** Folder of the numbered files. @default defaultMigrationsDir() */
  dir?: string
  /** Called after each applied file (for CLI output). */
  onApplied?: (name: string) => void
}

export interface SchemaStatus {
  /** Highest applied version, 0 for an empty database. */
  current: number
  /** Highest version the code ships. */
  latest: number
  /** Files not applied yet, in order. */
  pending: string[]
  /** Applied files whose text changed since. */
  changed: string[]
}

/** Key of the transaction-level advisory lock every migration transaction takes. */
export const MIGRATION_LOCK_KEY = 7_216_870_241

const FILE_NAME = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`

interface LedgerRow {
  version: number
  name: string
  checksum: string
}

/**
 * The package's `migrations/` folder: the nearest ancestor of this module holding both
 * `package.json` and `migrations/` (works from `src/` under tsx and from `dist/src/` after tsc).
 */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return join(dir, 'migrations')
    const parent = dirname(dir)
    if (parent === dir) {
      throw new MigrationError('Cannot find the migrations/ folder next to package.json above ' + fileURLToPath(import.meta.url))
    }
    dir = parent
  }
}

/** Read and check the numbered files: names `NNNN_name.sql`, versions 1..N without gaps or duplicates. */
export async function loadMigrations(dir = defaultMigrationsDir()): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort()
  const files: MigrationFile[] = []
  for (const fileName of names) {
    const match = FILE_NAME.exec(fileName)
    if (!match) {
      throw new MigrationError(`Migration file ${fileName} in ${dir} is not named NNNN_name.sql (lowercase, underscores).`)
    }
    const text = await readFile(join(dir, fileName), 'utf8')
    files.push({ version: Number(match[1]), name: fileName.slice(0, -4), sql: text, checksum: checksum(text) })
  }
  if (files.length === 0) throw new MigrationError(`No migration files (NNNN_name.sql) in ${dir}.`)
  files.forEach((file, index) => {
    if (file.version === index) {
      throw new MigrationError(`Migrations ${files[index - 1]?.name} and ${file.name} share version ${file.version}.`)
    }
    if (file.version !== index + 1) {
      throw new MigrationError(
        `Migration numbering has a gap: expected version ${index + 1}, found ${file.name}. Number files 0001, 0002, … without gaps.`,
      )
    }
  })
  return files
}

/** Apply every pending migration; returns the names applied by this call (empty when up to date). */
export async function migrate(db: SqlDriver, options: MigrationOptions = {}): Promise<{ applied: string[] }> {
  const files = await loadMigrations(options.dir)
  const applied: string[] = []
  for (;;) {
    const name = await db.transaction(async (tx) => {
      await tx.exec('SET LOCAL statement_timeout = 0')
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)
      await tx.exec(LEDGER_DDL)
      const ledger = await readLedger(tx)
      const status = compare(files, ledger)
      if (status.changed.length > 0) throw changedError(status.changed)
      const next = files.find((f) => f.name === status.pending[0])
      if (!next) return null
      if (next.version < status.current) {
        throw new MigrationError(
          `Migration ${next.name} is not applied although version ${status.current} is: the database's history ` +
            'differs from this code. Restore the missing migration or the matching code version.',
        )
      }
      try {
        await tx.exec(next.sql)
      } catch (err) {
        if (err instanceof AppError) throw err
        throw new MigrationError(`Migration ${next.name} failed: ${(err as Error).message}`, { cause: err })
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        next.version, next.name, next.checksum,
      ])
      return next.name
    })
    if (name === null) return { applied }
    applied.push(name)
    options.onApplied?.(name)
  }
}

/** Where the database stands against the code's migrations. Reads only; creates nothing. */
export async function schemaStatus(db: SqlQueryable, options: Pick<MigrationOptions, 'dir'> = {}): Promise<SchemaStatus> {
  const files = await loadMigrations(options.dir)
  const { rows } = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  )
  return compare(files, rows[0]?.present ? await readLedger(db) : [])
}

/** For start-up without migrating: throws MigrationError unless every migration is applied unchanged. */
export async function assertSchemaCurrent(db: SqlQueryable, options: Pick<MigrationOptions, 'dir'> = {}): Promise<void> {
  const status = await schemaStatus(db, options)
  if (status.changed.length > 0) throw changedError(status.changed)
  if (status.pending.length > 0) {
    throw new MigrationError(
      `The database schema is at ${status.current}, the code needs ${status.latest}: run \`mcp-memory migrate\` ` +
        `(pending: ${status.pending.join(', ')}).`,
    )
  }
}

async function readLedger(db: SqlQueryable): Promise<LedgerRow[]> {
  const { rows } = await db.query<LedgerRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
  return rows.map((r) => ({ ...r, version: Number(r.version) }))
}

function compare(files: MigrationFile[], ledger: LedgerRow[]): SchemaStatus {
  const byVersion = new Map(ledger.map((row) => [row.version, row]))
  return {
    current: ledger.reduce((max, row) => Math.max(max, row.version), 0),
    latest: files[files.length - 1]?.version ?? 0,
    pending: files.filter((f) => !byVersion.has(f.version)).map((f) => f.name),
    changed: files.filter((f) => {
      const row = byVersion.get(f.version)
      return row !== undefined && row.checksum !== f.checksum
    }).map((f) => f.name),
  }
}

function changedError(names: string[]): MigrationError {
  return new MigrationError(
    `Applied migration ${names.join(', ')} no longer matches its checksum in schema_migrations. Never edit an ` +
      'applied migration: restore the original file and put the change in a new numbered migration.',
  )
}

function checksum(text: string): string {
  return 'sha256:' + createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex')
}
