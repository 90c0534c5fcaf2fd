/**
 * Write operations of the SQL store: create, update, upsert by key, delete. One statement each on
 * the common path. Content is compressed (when the store's policy says it pays) before the
 * statement runs, and `onCompressed` hears of it once the row is stored.
 */
import { AppError } from '../../errors/app-error.js'
import { versionConflict } from '../../errors/conflicts.js'
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { CreateResult, MemoryStore } from '../memory-store.js'
import {
  CREATE,
  CREATE_DEDUPE,
  DELETE,
  UPDATE,
  UPDATE_BY_KEY,
  UPSERT_BY_KEY,
  VERSION_BY_ID,
  VERSION_BY_KEY,
} from './queries-entries.js'
import { entryValues, replacementValues } from './columns.js'
import { entryOf, isStoredId, type MemoryRow, toTombstone, type TombstoneRow, writtenEntry } from './rows.js'
import { isIdTaken, prepareWrite, type StoreContext, versionOf, written } from './store-context.js'

type WriteOperations = Pick<MemoryStore, 'create' | 'update' | 'upsertByKey' | 'delete'>

/** A concurrent duplicate can hide from one snapshot; a retry sees it. More misses mean something is wrong. */
const DEDUPE_ATTEMPTS = 5

export function writeOperations(ctx: StoreContext): WriteOperations {
  const { db } = ctx

  /** Rethrow `err`, giving a taken id its `version_conflict` with the live version. */
  async function idTaken(err: unknown, entry: MemoryEntry): Promise<never> {
    if (!isIdTaken(err) || ctx.inTransaction) throw err
    throw versionConflict(await versionOf(ctx, VERSION_BY_ID, [entry.tool, entry.id, ctx.now()]))
  }

  return {
    async create(entry, options): Promise<CreateResult> {
      assertStoredId(entry.id)
      const write = await prepareWrite(ctx, entry)
      const params = [...entryValues(write), ctx.now()]
      try {
        if (!options.dedupe || entry.key !== null) {
          const { rows } = await db.query<MemoryRow>(CREATE, params)
          written(ctx, write)
          return { entry: await writtenEntry(rows[0]!, entry.content), created: true }
        }
        for (let attempt = 0; attempt < DEDUPE_ATTEMPTS; attempt++) {
          const { rows } = await db.query<MemoryRow & { created: boolean }>(CREATE_DEDUPE, params)
          const row = rows[0]
          if (row === undefined) continue
          if (!row.created) return { entry: await entryOf(row), created: false }
          written(ctx, write)
          return { entry: await writtenEntry(row, entry.content), created: true }
        }
        throw new AppError('backend_unavailable', 'Concurrent writes of this content did not settle; retry the request.')
      } catch (err) {
        return idTaken(err, entry)
      }
    },

    async update(entry, options = {}) {
      if (!isStoredId(entry.id)) throw notFound()
      const expect = options.expectVersion
      const write = await prepareWrite(ctx, entry)
      const { rows } = await db.query<MemoryRow>(UPDATE, [...replacementValues(write), entry.id, expect ?? null, ctx.now()])
      if (rows[0]) {
        written(ctx, write)
        return writtenEntry(rows[0], entry.content)
      }
      const current = expect === undefined ? null : await versionOf(ctx, VERSION_BY_ID, [entry.tool, entry.id, ctx.now()])
      if (current === null) throw notFound()
      throw versionConflict(current)
    },

    async upsertByKey(entry, options = {}): Promise<CreateResult> {
      const e = entry
      const expect = options.expectVersion
      if (expect === undefined || expect === 0) assertStoredId(e.id)
      const write = await prepareWrite(ctx, e)
      if (expect !== undefined && expect !== 0) {
        const { rows } = await db.query<MemoryRow>(UPDATE_BY_KEY, [...replacementValues(write), expect, ctx.now()])
        if (rows[0]) {
          written(ctx, write)
          return { entry: await writtenEntry(rows[0], e.content), created: false }
        }
        throw versionConflict(await versionOf(ctx, VERSION_BY_KEY, [e.tool, e.key, ctx.now()]))
      }
      let rows: MemoryRow[]
      try {
        rows = (await db.query<MemoryRow>(UPSERT_BY_KEY, [...entryValues(write), ctx.now(), expect === undefined])).rows
      } catch (err) {
        return idTaken(err, e)
      }
      if (rows[0]) {
        written(ctx, write)
        return { entry: await writtenEntry(rows[0], e.content), created: Number(rows[0].version) === 1 }
      }
      throw versionConflict(await versionOf(ctx, VERSION_BY_KEY, [e.tool, e.key, ctx.now()]))
    },

    async delete(tool, id, options = {}) {
      const expect = options.expectVersion
      if (isStoredId(id)) {
        const now = ctx.now()
        const { rows } = await db.query<TombstoneRow>(DELETE, [tool, id, now, expect ?? null])
        if (rows[0]) return toTombstone(rows[0])
      }
      if (expect === undefined) return null
      const current = isStoredId(id) ? await versionOf(ctx, VERSION_BY_ID, [tool, id, ctx.now()]) : null
      if (expect === 0 && current === null) return null
      throw versionConflict(current)
    },
  }
}

function notFound(): AppError {
  return new AppError('not_found', 'No such entry.')
}

/** Ids are stored in canonical lowercase form only, so that mirrors stay byte-identical. */
function assertStoredId(id: string): void {
  if (!isStoredId(id)) {
    throw new AppError('validation_failed', 'An entry id must be a lowercase canonical UUID.', {
      errors: [{ pointer: '/id', message: 'must be a lowercase canonical UUID' }],
    })
  }
}
