/**
 * MemoryManager: the domain rules between the HTTP routes and a MemoryStore — access control,
 * hashing and token counting (through EntryBuilder), dedupe, TTL and optimistic concurrency.
 * It knows nothing of Fastify, pg or Redis.
 */
import { AppError } from '../../errors/app-error.js'
import { parseOrThrow } from '../../errors/zod-issues.js'
import type {
  CreateResult, EntryFilter, MemoryStore, Page, SearchHit, SearchMode, StoreStats,
} from '../../storage/memory-store.js'
import { canRead, readAccess, requireScope, type Caller } from './caller.js'
import { EntryBuilder } from './entry-builder.js'
import { isUuid } from './ids.js'
import type { MemoryEntry, Visibility } from './memory-entry.js'
import { MemoryInputSchema, type KeyedMemoryInput, type MemoryInput } from './memory-input.js'
import { applyMergePatch } from './merge-patch.js'

export interface ListQuery {
  tools?: string[]
  types?: string[]
  tags?: string[]
  key?: string
  visibility?: Visibility
}

export interface SearchQuery extends ListQuery {
  query: string
  mode: SearchMode
  limit: number
}

/** How often a PATCH without If-Match re-reads and retries after losing a race (jittered backoff). */
const PATCH_RETRIES = 10

export class MemoryManager {
  constructor(
    readonly store: MemoryStore,
    private readonly builder: EntryBuilder,
  ) {}

  /** Create; keyless entries are deduplicated on (tool, type, contentHash). */
  async create(caller: Caller, input: MemoryInput): Promise<CreateResult> {
    requireScope(caller, 'write')
    const entry = this.builder.build(caller.tool, input)
    return this.store.create(entry, { dedupe: entry.key === null })
  }

  /** Own entries by (tool, id); others' shared or granted entries by id. Unreadable = not found. */
  async get(caller: Caller, id: string): Promise<MemoryEntry> {
    requireScope(caller, 'read')
    assertId(id)
    const own = await this.store.get(caller.tool, id)
    if (own) return own
    const other = await this.store.getById(id)
    if (other && canRead(caller, other)) return other
    throw notFound(id)
  }

  async replace(caller: Caller, id: string, input: MemoryInput, expectVersion?: number): Promise<MemoryEntry> {
    requireScope(caller, 'write')
    assertId(id)
    // The store keeps id, tool, createdAt and access fields, so no read is needed first.
    const base = this.placeholder(caller.tool, id)
    return this.store.update(this.builder.replace(base, input), versionOption(expectVersion))
  }

  /** RFC 7396 merge patch; without If-Match it retries on a concurrent change, so no update is lost. */
  async patch(caller: Caller, id: string, patch: unknown, expectVersion?: number): Promise<MemoryEntry> {
    requireScope(caller, 'write')
    assertId(id)
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new AppError('validation_failed', 'a merge patch must be a JSON object', {
        errors: [{ pointer: '/body', message: 'must be an object' }],
      })
    }
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.get(caller.tool, id)
      if (!current) throw notFound(id)
      if (expectVersion !== undefined && current.version !== expectVersion) throw versionConflict(current.version)
      const base = EntryBuilder.writable(current)
      if ('ttlSeconds' in patch) delete base.expiresAt
      const merged = parseOrThrow(MemoryInputSchema, applyMergePatch(base, patch), '/body')
      try {
        return await this.store.update(this.builder.replace(current, merged), { expectVersion: current.version })
      } catch (err) {
        const raced = err instanceof AppError && err.code === 'version_conflict' && expectVersion === undefined
        if (!raced || attempt >= PATCH_RETRIES) throw err
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt))
      }
    }
  }

  async delete(caller: Caller, id: string, expectVersion?: number): Promise<void> {
    requireScope(caller, 'write')
    assertId(id)
    const tombstone = await this.store.delete(caller.tool, id, versionOption(expectVersion))
    if (!tombstone) throw notFound(id)
  }

  async getByKey(caller: Caller, key: string): Promise<MemoryEntry> {
    requireScope(caller, 'read')
    const entry = await this.store.findByKey(caller.tool, key)
    if (!entry) throw new AppError('not_found', `no memory with key "${truncate(key)}"`)
    return entry
  }

  /** Upsert by key; `expectVersion` 0 = create only (If-None-Match: *). */
  async putByKey(caller: Caller, key: string, input: KeyedMemoryInput, expectVersion?: number): Promise<CreateResult> {
    requireScope(caller, 'write')
    const entry = this.builder.build(caller.tool, { ...input, key })
    return this.store.upsertByKey({ ...entry, key }, versionOption(expectVersion))
  }

  async deleteByKey(caller: Caller, key: string, expectVersion?: number): Promise<void> {
    requireScope(caller, 'write')
    const entry = await this.store.findByKey(caller.tool, key)
    if (!entry) {
      if (expectVersion !== undefined && expectVersion !== 0) throw versionConflict(null)
      throw new AppError('not_found', `no memory with key "${truncate(key)}"`)
    }
    await this.delete(caller, entry.id, expectVersion)
  }

  /** The caller's own entries with this content hash. */
  async findByHash(caller: Caller, hash: string): Promise<MemoryEntry[]> {
    requireScope(caller, 'read')
    return this.store.findByHash(caller.tool, hash)
  }

  async list(caller: Caller, query: ListQuery, cursor: string | null, limit: number): Promise<Page<MemoryEntry>> {
    requireScope(caller, 'read')
    return this.store.query(this.filter(caller, query), cursor, limit)
  }

  async search(caller: Caller, query: SearchQuery): Promise<SearchHit[]> {
    requireScope(caller, 'read')
    return this.store.search({ text: query.query, mode: query.mode, limit: query.limit, filter: this.filter(caller, query) })
  }

  /** Counts for the tools this caller may read (its own and granting tools). */
  async stats(caller: Caller, all = false): Promise<StoreStats> {
    requireScope(caller, 'read')
    const stats = await this.store.stats()
    if (all) return stats
    const access = readAccess(caller)
    const tools = stats.tools.filter((s) => s.tool === access.tool || access.grantedTools.includes(s.tool))
    return {
      entries: tools.reduce((n, s) => n + s.entries, 0),
      tokens: tools.reduce((n, s) => n + s.tokens, 0),
      tools,
    }
  }

  private filter(caller: Caller, query: ListQuery): EntryFilter {
    const filter: EntryFilter = { access: readAccess(caller) }
    if (query.tools?.length) filter.tools = query.tools
    if (query.types?.length) filter.types = query.types
    if (query.tags?.length) filter.tags = query.tags
    if (query.key !== undefined) filter.key = query.key
    if (query.visibility !== undefined) filter.visibility = query.visibility
    return filter
  }

  private placeholder(tool: string, id: string): MemoryEntry {
    const now = new Date(0)
    return {
      id, tool, type: 'fact', key: null, content: '', contentType: 'text/plain', metadata: {}, tags: [],
      importance: 0.5, visibility: 'private', contentHash: '', tokens: 0, version: 0,
      createdAt: now, updatedAt: now, expiresAt: null, lastAccessedAt: null, accessCount: 0,
    }
  }
}

function versionOption(expectVersion: number | undefined) {
  return expectVersion === undefined ? {} : { expectVersion }
}

function assertId(id: string): void {
  // Ids are UUIDs; anything else cannot exist, and must not reach SQL as a uuid cast error.
  if (!isUuid(id)) throw notFound(id)
}

function notFound(id: string): AppError {
  return new AppError('not_found', `no memory with id ${truncate(id)}`)
}

export function versionConflict(current: number | null): AppError {
  return new AppError('version_conflict', current === null ? 'the entry does not exist' : `the entry is at version ${current}`, {
    extensions: { currentVersion: current },
  })
}

function truncate(s: string): string {
  return s.length > 80 ? s.slice(0, 80) + '…' : s
}
