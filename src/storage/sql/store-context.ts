/** What the SQL store's operation groups share: the driver, the clock, tombstone retention, content storage and small helpers. */
import type { CompressionPolicy } from '../../compression/content-codec.js'
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { SqlDriver, SqlStatement } from './sql-driver.js'
import { type CompressedListener, type EntryWrite, reportCompressed, storeContent } from './stored-content.js'

export interface StoreContext {
  db: SqlDriver
  /** The store clock as a Date, for `$now` parameters. */
  now(): Date
  /** Tombstones deleted at or before `now - tombstoneRetentionMs` are purged; Infinity keeps them. */
  tombstoneRetentionMs: number
  /** How content is compressed on write; undefined stores every content plain. */
  compression: CompressionPolicy | undefined
  /** Told the bytes saved by each write that stored compressed content. */
  onCompressed: CompressedListener | undefined
  /**
   * Set inside a transaction (budgeted writes): a taken id is rethrown as the database error, for
   * the caller to turn into `version_conflict` after the rollback (a failed statement aborts the
   * transaction, so the live version cannot be read inside it).
   */
  inTransaction?: boolean
}

/** `entry` with the stored form of its content (compressed when the store's policy says it pays). */
export async function prepareWrite(ctx: StoreContext, entry: MemoryEntry): Promise<EntryWrite> {
  return { entry, stored: await storeContent(entry.content, ctx.compression) }
}

/** Report a write that was applied (its row stored) to `onCompressed` when its content is compressed. */
export function written(ctx: StoreContext, write: EntryWrite): void {
  reportCompressed(write.stored, ctx.onCompressed)
}

/** The `version` of the first row, or null when there is none. */
export async function versionOf(ctx: StoreContext, statement: SqlStatement, params: unknown[]): Promise<number | null> {
  const { rows } = await ctx.db.query<{ version: number }>(statement, params)
  return rows[0] === undefined ? null : Number(rows[0].version)
}

/** True for a unique violation of the memories primary key (a live entry already has the id). */
export function isIdTaken(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null
  return e?.code === '23505' && e.constraint === 'memories_pkey'
}
