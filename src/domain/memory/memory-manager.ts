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
import { directVersion, preconditionFailed, satisfies, UNCONDITIONAL, type Precondition } from './precondition.js'

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
    /** Told of every single-entry read (access statistics, batched elsewhere). */
    private readonly onRead: (entry: MemoryEntry) => void = () => {},
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
    const entry = own ?? (await this.store.getById(id))
    if (!entry || !canRead(caller, entry)) throw notFound(id)
    this.onRead(entry)
    return entry
  }

  async replace(caller: Caller, id: string, input: MemoryInput, pre: Precondition = UNCONDITIONAL): Promise<MemoryEntry> {
    requireScope(caller, 'write')
    assertId(id)
    const expect = await this.expectedVersion(caller.tool, id, pre)
    // The store keeps id, tool, createdAt and access fields, so no read is needed first.
    const base = this.placeholder(caller.tool, id)
    return withPrecondition(pre, () => this.store.update(this.builder.replace(base, input), versionOption(expect)))
  }

  /**
   * RFC 7396 merge patch. Without a precondition it retries on a concurrent change, so no update is
   * lost; a patch that changes nothing returns the entry unchanged (no new version).
   */
  async patch(caller: Caller, id: string, patch: unknown, pre: Precondition = UNCONDITIONAL): Promise<MemoryEntry> {
    requireScope(caller, 'write')
    assertId(id)
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new AppError('validation_failed', 'a merge patch must be a JSON object', {
        errors: [{ pointer: '/body', message: 'must be an object' }],
      })
    }
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.get(caller.tool, id)
      if (!current) throw pre.kind === 'none' ? notFound(id) : preconditionFailed(null)
      if (!satisfies(pre, current, { requireId: false })) throw preconditionFailed(current)
      const base = EntryBuilder.writable(current)
      // A new relative expiry replaces the absolute one it would otherwise conflict with.
      if ((patch as Record<string, unknown>).ttlSeconds != null) delete base.expiresAt
      const merged = parseOrThrow(MemoryInputSchema, applyMergePatch(base, patch), '/body')
      const next = this.builder.replace(current, merged)
      if (EntryBuilder.sameWritable(current, next)) return current
      try {
        return await this.store.update(next, { expectVersion: current.version })
      } catch (err) {
        const raced = err instanceof AppError && err.code === 'version_conflict' && pre.kind === 'none'
        if (!raced || attempt >= PATCH_RETRIES) throw err
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt))
      }
    }
  }

  async delete(caller: Caller, id: string, pre: Precondition = UNCONDITIONAL): Promise<void> {
    requireScope(caller, 'write')
    assertId(id)
    const expect = await this.expectedVersion(caller.tool, id, pre)
    const tombstone = await withPrecondition(pre, () => this.store.delete(caller.tool, id, versionOption(expect)))
    if (!tombstone) throw notFound(id)
  }

  async getByKey(caller: Caller, key: string): Promise<MemoryEntry> {
    requireScope(caller, 'read')
    const entry = await this.store.findByKey(caller.tool, key)
    if (!entry) throw keyNotFound(key)
    this.onRead(entry)
    return entry
  }

  /**
   * Upsert by key. With `If-Match` the tags must name the current holder of the key by id and
   * version (identity tags), and the write goes to that entry by id, so a key that was deleted and
   * re-created in between can never be overwritten by a client that saw its predecessor.
   */
  async putByKey(caller: Caller, key: string, input: KeyedMemoryInput, pre: Precondition = UNCONDITIONAL): Promise<CreateResult> {
    requireScope(caller, 'write')
    const entry = this.builder.build(caller.tool, { ...input, key })
    if (pre.kind === 'none' || pre.kind === 'absent') {
      return this.store.upsertByKey({ ...entry, key }, pre.kind === 'absent' ? { expectVersion: 0 } : {})
    }
    const current = await this.keyHolder(caller.tool, key, pre)
    const updated = await withPrecondition(pre, () =>
      this.store.update(this.builder.replace(current, { ...input, key }), { expectVersion: current.version }))
    return { entry: updated, created: false }
  }

  async deleteByKey(caller: Caller, key: string, pre: Precondition = UNCONDITIONAL): Promise<void> {
    requireScope(caller, 'write')
    const current = pre.kind === 'none' ? await this.store.findByKey(caller.tool, key) : await this.keyHolder(caller.tool, key, pre)
    if (!current) throw keyNotFound(key)
    const expect = pre.kind === 'none' ? {} : { expectVersion: current.version }
    const tombstone = await withPrecondition(pre, () => this.store.delete(caller.tool, current.id, expect))
    if (!tombstone) throw keyNotFound(key)
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
  async stats(caller: Caller): Promise<StoreStats> {
    requireScope(caller, 'read')
    const access = readAccess(caller)
    return this.store.stats([access.tool, ...access.grantedTools])
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

  /** The version a write by id must find, reading the entry only when the precondition needs it. */
  private async expectedVersion(tool: string, id: string, pre: Precondition): Promise<number | undefined> {
    const direct = directVersion(pre, id)
    if (direct !== null) return direct
    const current = await this.store.get(tool, id)
    if (!satisfies(pre, current, { requireId: false })) throw preconditionFailed(current)
    return current!.version
  }

  /** The live holder of `key`, which must satisfy an `exists` or `match` precondition. */
  private async keyHolder(tool: string, key: string, pre: Precondition): Promise<MemoryEntry> {
    const current = await this.store.findByKey(tool, key)
    if (!current || !satisfies(pre, current, { requireId: true })) throw preconditionFailed(current)
    return current
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

/** Under a precondition, an entry that vanished before the write is a failed precondition (412). */
async function withPrecondition<T>(pre: Precondition, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (pre.kind !== 'none' && err instanceof AppError && err.code === 'not_found') throw preconditionFailed(null)
    throw err
  }
}

function keyNotFound(key: string): AppError {
  return new AppError('not_found', `no memory with key "${truncate(key)}"`)
}

function truncate(s: string): string {
  return s.length > 80 ? s.slice(0, 80) + '…' : s
}
