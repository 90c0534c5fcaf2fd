/** What the SQL store's operation groups share: the driver, the clock, tombstone retention and small helpers. */
import type { SqlDriver } from './sql-driver.js'

export interface StoreContext {
  db: SqlDriver
  /** The store clock as a Date, for `$now` parameters. */
  now(): Date
  /** Tombstones deleted at or before `now - tombstoneRetentionMs` are purged; Infinity keeps them. */
  tombstoneRetentionMs: number
}

/** The `version` of the first row, or null when there is none. */
export async function versionOf(ctx: StoreContext, statement: string, params: unknown[]): Promise<number | null> {
  const { rows } = await ctx.db.query<{ version: number }>(statement, params)
  return rows[0] === undefined ? null : Number(rows[0].version)
}

/** True for a unique violation of the memories primary key (a live entry already has the id). */
export function isIdTaken(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null
  return e?.code === '23505' && e.constraint === 'memories_pkey'
}
