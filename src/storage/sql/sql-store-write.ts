/** Write operations of the SQL store: create, update, upsert by key, delete. One statement each on the common path. */
import { AppError } from '../../errors/app-error.js'
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
import { entryValues, isStoredId, type MemoryRow, toEntry, toTombstone, type TombstoneRow } from './rows.js'
import { isIdTaken, type StoreContext, versionConflict, versionOf } from './store-context.js'

type WriteOperations = Pick<MemoryStore, 'create' | 'update' | 'upsertByKey' | 'delete'>

/** A concurrent duplicate can hide from one snapshot; a retry sees it. More misses mean something is wrong. */
const DEDUPE_ATTEMPTS = 5

export function writeOperations(ctx: StoreContext): WriteOperations {
  const { db } = ctx

  /** Rethrow `err`, giving a taken id its `version_conflict` with the live version. */
  async function idTaken(err: unknown, entry: MemoryEntry): Promise<never> {
    if (!isIdTaken(err)) throw err
    const current = await versionOf(ctx, VERSION_BY_ID, [entry.tool, entry.id, ctx.now()])
    throw new AppError('version_conflict', 'An entry with this id already exists.', {
      extensions: { currentVersion: current ?? 0 },
      cause: err,
    })
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
      const e = entry
      const expect = options.expectVersion
      const { rows } = await db.query<MemoryRow>(UPDATE, [
        e.tool, e.id, e.type, e.key, e.content, e.contentType, JSON.stringify(e.metadata), e.tags, e.importance,
        e.visibility, e.contentHash, e.tokens, e.updatedAt, e.expiresAt, expect ?? null, ctx.now(),
      ])
      if (rows[0]) return toEntry(rows[0])
      const current = expect === undefined ? null : await versionOf(ctx, VERSION_BY_ID, [e.tool, e.id, ctx.now()])
      if (current === null || expect === undefined) throw notFound()
      throw versionConflict(expect, current)
    },

    async upsertByKey(entry, options = {}): Promise<CreateResult> {
      const e = entry
      const expect = options.expectVersion
      if (expect !== undefined && expect !== 0) {
        const { rows } = await db.query<MemoryRow>(UPDATE_BY_KEY, [
          e.tool, e.key, e.type, e.content, e.contentType, JSON.stringify(e.metadata), e.tags, e.importance,
          e.visibility, e.contentHash, e.tokens, e.updatedAt, e.expiresAt, expect, ctx.now(),
        ])
        if (rows[0]) return { entry: toEntry(rows[0]), created: false }
        throw versionConflict(expect, (await versionOf(ctx, VERSION_BY_KEY, [e.tool, e.key, ctx.now()])) ?? 0)
      }
      assertStoredId(e.id)
      let rows: MemoryRow[]
      try {
        rows = (await db.query<MemoryRow>(UPSERT_BY_KEY, [...entryValues(e), ctx.now(), expect === undefined])).rows
      } catch (err) {
        return idTaken(err, e)
      }
      if (rows[0]) return { entry: toEntry(rows[0]), created: Number(rows[0].version) === 1 }
      throw versionConflict(0, (await versionOf(ctx, VERSION_BY_KEY, [e.tool, e.key, ctx.now()])) ?? 0)
    },

    async delete(tool, id, options = {}) {
      const expect = options.expectVersion
      if (isStoredId(id)) {
        const now = ctx.now()
        const { rows } = await db.query<TombstoneRow>(DELETE, [tool, id, now, expect ?? null])
        if (rows[0]) return toTombstone(rows[0])
      }
      if (expect === undefined) return null
      const current = isStoredId(id) ? ((await versionOf(ctx, VERSION_BY_ID, [tool, id, ctx.now()])) ?? 0) : 0
      if (expect === 0 && current === 0) return null
      throw versionConflict(expect, current)
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
