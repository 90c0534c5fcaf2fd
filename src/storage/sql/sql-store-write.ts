/** Write operations of the SQL store: create, update, upsert by key, delete. One statement each on the common path. */
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
import {
  entryValues,
  isStoredId,
  type MemoryRow,
  replacementValues,
  toEntry,
  toTombstone,
  type TombstoneRow,
} from './rows.js'
import { isIdTaken, type StoreContext, versionOf } from './store-context.js'

type WriteOperations = Pick<MemoryStore, 'create' | 'update' | 'upsertByKey' | 'delete'>

/** A concurrent duplicate can hide from one snapshot; a retry sees it. More misses mean something is wrong. */
const DEDUPE_ATTEMPTS = 5

export function writeOperations(ctx: StoreContext): WriteOperations {
  const { db } = ctx

  /** Rethrow `err`, giving a taken id its `version_conflict` with the live version. */
  async function idTaken(err: unknown, entry: MemoryEntry): Promise<never> {
    if (!isIdTaken(err)) throw err
    throw versionConflict(await versionOf(ctx, VERSION_BY_ID, [entry.tool, entry.id, ctx.now()]))
  }

  return {
    async create(entry, options): Promise<CreateResult> {
      assertStoredId(entry.id)
      const params = [...entryValues(entry), ctx.now()]
      try {
        if (!options.dedupe || entry.key !== null) {
          const { rows } = await db.query<MemoryRow>(CREATE, params)
          return { entry: toEntry(rows[0]!), created: true }
        }
        for (let attempt = 0; attempt < DEDUPE_ATTEMPTS; attempt++) {
          const { rows } = await db.query<MemoryRow & { created: boolean }>(CREATE_DEDUPE, params)
          if (rows[0]) return { entry: toEntry(rows[0]), created: rows[0].created }
        }
        throw new AppError('backend_unavailable', 'Concurrent writes of this content did not settle; retry the request.')
      } catch (err) {
        return idTaken(err, entry)
      }
    },

    async update(entry, options = {}) {
      if (!isStoredId(entry.id)) throw notFound()
      const expect = options.expectVersion
      const { rows } = await db.query<MemoryRow>(UPDATE, [...replacementValues(entry), entry.id, expect ?? null, ctx.now()])
      if (rows[0]) return toEntry(rows[0])
      const current = expect === undefined ? null : await versionOf(ctx, VERSION_BY_ID, [entry.tool, entry.id, ctx.now()])
      if (current === null) throw notFound()
      throw versionConflict(current)
    },

    async upsertByKey(entry, options = {}): Promise<CreateResult> {
      const e = entry
      const expect = options.expectVersion
      if (expect !== undefined && expect !== 0) {
        const { rows } = await db.query<MemoryRow>(UPDATE_BY_KEY, [...replacementValues(e), expect, ctx.now()])
        if (rows[0]) return { entry: toEntry(rows[0]), created: false }
        throw versionConflict(await versionOf(ctx, VERSION_BY_KEY, [e.tool, e.key, ctx.now()]))
      }
      assertStoredId(e.id)
      let rows: MemoryRow[]
      try {
        rows = (await db.query<MemoryRow>(UPSERT_BY_KEY, [...entryValues(e), ctx.now(), expect === undefined])).rows
      } catch (err) {
        return idTaken(err, e)
      }
      if (rows[0]) return { entry: toEntry(rows[0]), created: Number(rows[0].version) === 1 }
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
