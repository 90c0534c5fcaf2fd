/**
 * The SQL backend: one code path over a `SqlDriver`, so the same statements serve Postgres
 * (`postgres://…`, a pg Pool) and embedded PGlite (`pglite://PATH`). Its backend label is the
 * driver's. Operations live in four groups (read, write, mirror/maintenance, outbox); every error
 * leaving the store goes through `toStoreError`, the one SQLSTATE → AppError mapping.
 *
 * Cold-store compression (design §8, `compression` option): content at or above the policy's
 * `minBytes` is compressed when that saves at least `minSaving`, stored as `content_blob` with its
 * `content_codec`, and decompressed on demand by every read (scan included, so mirrors and
 * backfills copy entries byte-identically). Full-text search indexes the plain text of every entry
 * (its first 100 000 characters, as for plain entries); substring search sees a compressed entry's
 * first 4 096 characters only (`content_head`), plain entries whole. Rows stored plain (before
 * migration 0002, or below the threshold) stay as they are and readable. Turn compression on only
 * once every replica runs code that knows migration 0002: older code reads `content` only.
 *
 * Search ranks at most `searchCandidates(limit)` = max(limit × 20, 200) newest matches per readable
 * source (queries-read.ts): a very common word ranks among the newest matches, not all of them.
 */
import type { CompressionPolicy } from '../../compression/content-codec.js'
import { DEFAULT_TOMBSTONE_RETENTION_MS, type MemoryStore, type StoreClockOptions } from '../memory-store.js'
import { assertSchemaCurrent, migrate, type MigrationOptions } from './migrator.js'
import type { SqlDriver } from './sql-driver.js'
import { backendUnavailable, toStoreError } from './sql-errors.js'
import { readOperations } from './sql-store-read.js'
import { mirrorAndUpkeepOperations } from './sql-store-ops.js'
import { outboxOperations } from './sql-store-outbox.js'
import { writeOperations } from './sql-store-write.js'
import { budgetOperations } from './sql-store-budget.js'
import { toolOperations } from './sql-store-tools.js'
import type { StoreContext } from './store-context.js'

export interface SqlStoreOptions extends StoreClockOptions {
  /**
   * True: `init()` applies pending migrations (PGlite, local runs). False: `init()` only asserts
   * that the schema is current and fails with a MigrationError telling to run `mcp-memory migrate`.
   */
  migrateOnInit: boolean
  /** Where the numbered migration files are. @default the package's migrations/ folder */
  migrationsDir?: string
  /**
   * Compress contents on write (`compressionPolicy(setting, minBytes, minSaving)` of
   * `src/compression/content-codec.ts`). Reads decompress whatever is stored, with or without it.
   * @default undefined: every content is stored plain
   */
  compression?: CompressionPolicy
  /**
   * Called after each write that stored compressed content (create, update, upsert, applied
   * mirror), with the UTF-8 bytes saved and the ratio compressed / original size, e.g. for
   * `mcp_memory_compression_saved_bytes_total`. Must not throw. @default none
   */
  onCompressed?: (savedBytes: number, ratio: number) => void
}

/** A MemoryStore over `driver`. The store owns the driver: `close()` closes it. */
export function createSqlStore(driver: SqlDriver, options: SqlStoreOptions): MemoryStore {
  const clock = options.now ?? Date.now
  const retention = options.tombstoneRetentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS
  if (!(retention >= 0)) throw new RangeError(`tombstoneRetentionMs must be >= 0 ms (Infinity keeps them), got ${retention}`)
  const ctx: StoreContext = {
    db: driver,
    now: () => new Date(clock()),
    tombstoneRetentionMs: retention,
    compression: options.compression,
    onCompressed: options.onCompressed,
  }
  const migration: MigrationOptions = options.migrationsDir === undefined ? {} : { dir: options.migrationsDir }

  const store: MemoryStore = {
    backend: driver.label,

    async init() {
      if (options.migrateOnInit) await migrate(driver, migration)
      else await assertSchemaCurrent(driver, migration)
    },

    ...readOperations(ctx),
    ...writeOperations(ctx),
    ...mirrorAndUpkeepOperations(ctx),
    ...outboxOperations(ctx),
    ...budgetOperations(ctx),
    ...toolOperations(ctx),

    async ping() {
      await driver.query('SELECT 1')
    },

    close: () => driver.close(),
  }
  return guarded(store)
}

/**
 * `store` with every method rethrowing failures through `toStoreError`; after `close()` (which
 * becomes idempotent) every other method fails with `backend_unavailable` whatever the driver does.
 */
function guarded(store: MemoryStore): MemoryStore {
  const mapped: Record<string, unknown> = { backend: store.backend }
  let closed = false
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== 'function') continue
    mapped[name] = async (...args: unknown[]) => {
      if (name === 'close') {
        if (closed) return
        closed = true
      } else if (closed) {
        throw backendUnavailable(store.backend, new Error('the store has been closed'))
      }
      try {
        return await (member as (...a: unknown[]) => Promise<unknown>)(...args)
      } catch (err) {
        throw toStoreError(err, store.backend)
      }
    }
  }
  return mapped as unknown as MemoryStore
}
