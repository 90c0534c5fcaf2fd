/**
 * MemoryManager: the domain rules between the HTTP routes and a MemoryStore — access control
 * (caller.ts, with the registry's read grants), hashing and token counting (through EntryBuilder),
 * dedupe, TTL (with the tool's default TTL), token budgets (budgeted writes for tools that have
 * one) and optimistic concurrency. It knows nothing of Fastify, pg or Redis.
 */
import { AppError } from '../../errors/app-error.js'
import { parseOrThrow } from '../../errors/zod-issues.js'
import type { EntryFilter, MemoryStore, Page, SearchHit, SearchMode, StoreStats } from '../../storage/memory-store.js'
import { type BudgetHooks, BudgetedWriter, withDefaultTtl, type WriteOutcome } from '../tools/budgeted-writer.js'
import { ToolRegistry } from '../tools/tool-registry.js'

export type { WriteOutcome } from '../tools/budgeted-writer.js'
import { canRead, readAccess, readsOwn, requireScope, requireSomeRead, type Caller } from './caller.js'
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

/** What the manager tells the rest of the service (metrics, access statistics, the access log). */
export interface ManagerHooks extends BudgetHooks {
  /** Told of every single-entry read (access statistics, batched elsewhere). */
  onRead?: (entry: MemoryEntry) => void
  /** Told of entries a caller read that another tool owns (the cross-tool access log). */
  onCrossToolRead?: (reader: string, entries: readonly MemoryEntry[], via: string) => void
  /** Budgets, default TTLs, read grants. @default a registry with no budgets, refreshed every second */
  registry?: ToolRegistry
}

export class MemoryManager {
  readonly registry: ToolRegistry
  private readonly writes: BudgetedWriter

  constructor(
    readonly store: MemoryStore,
    private readonly builder: EntryBuilder,
    private readonly hooks: ManagerHooks = {},
  ) {
    this.registry = hooks.registry ?? new ToolRegistry(store, {
      defaults: { maxTokens: null, overBudget: 'reject', evictionOrder: 'lru', defaultTtlSeconds: null },
      refreshMs: 1000,
      now: Date.now,
    })
    this.writes = new BudgetedWriter(store, hooks)
  }

  /** Create; keyless entries are deduplicated on (tool, type, contentHash). */
  async create(caller: Caller, input: MemoryInput): Promise<WriteOutcome> {
    requireScope(caller, 'write')
    const tool = await this.registry.ensure(caller.tool)
    const entry = this.builder.build(caller.tool, withDefaultTtl(input, tool))
    return this.writes.write(tool, { op: 'create', entry, options: { dedupe: entry.key === null } })
  }

  /** Own entries by (tool, id); others' shared or granted entries by id. Unreadable = not found. */
  async get(caller: Caller, id: string): Promise<MemoryEntry> {
    requireSomeRead(caller)
    assertId(id)
    const own = readsOwn(caller) ? await this.store.get(caller.tool, id) : null
    const entry = own ?? (await this.store.getById(id))
    if (!entry || !canRead(caller, entry, await this.registry.grantsTo(caller.tool))) throw notFound(id)
    this.hooks.onRead?.(entry)
    this.crossToolRead(caller, [entry], 'get')
    return entry
  }

  async replace(caller: Caller, id: string, input: MemoryInput, pre: Precondition = UNCONDITIONAL): Promise<WriteOutcome> {
    requireScope(caller, 'write')
    assertId(id)
    const tool = await this.registry.ensure(caller.tool)
    const expect = await this.expectedVersion(caller.tool, id, pre)
    // The store keeps id, tool, createdAt and access fields, so no read is needed first.
    const base = this.placeholder(caller.tool, id)
    const entry = this.builder.replace(base, withDefaultTtl(input, tool))
    return withPrecondition(pre, () => this.writes.write(tool, { op: 'update', entry, options: versionOption(expect) }))
  }

  /**
   * RFC 7396 merge patch. Without a precondition it retries on a concurrent change, so no update is
   * lost; a patch that changes nothing returns the entry unchanged (no new version).
   */
  async patch(caller: Caller, id: string, patch: unknown, pre: Precondition = UNCONDITIONAL): Promise<WriteOutcome> {
    requireScope(caller, 'write')
    assertId(id)
    const tool = await this.registry.ensure(caller.tool)
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
      if (EntryBuilder.sameWritable(current, next)) return { entry: current, created: false, evicted: [] }
      try {
        return await this.writes.write(tool, { op: 'update', entry: next, options: { expectVersion: current.version } })
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
    this.hooks.onRead?.(entry)
    return entry
  }

  /**
   * Upsert by key. With `If-Match` the tags must name the current holder of the key by id and
   * version (identity tags), and the write goes to that entry by id, so a key that was deleted and
   * re-created in between can never be overwritten by a client that saw its predecessor.
   */
  async putByKey(caller: Caller, key: string, input: KeyedMemoryInput, pre: Precondition = UNCONDITIONAL): Promise<WriteOutcome> {
    requireScope(caller, 'write')
    const tool = await this.registry.ensure(caller.tool)
    const keyed = withDefaultTtl({ ...input, key }, tool)
    if (pre.kind === 'none' || pre.kind === 'absent') {
      const entry = { ...this.builder.build(caller.tool, keyed), key }
      return this.writes.write(tool, { op: 'upsertByKey', entry, options: pre.kind === 'absent' ? { expectVersion: 0 } : {} })
    }
    const current = await this.keyHolder(caller.tool, key, pre)
    const entry = this.builder.replace(current, keyed)
    return withPrecondition(pre, () => this.writes.write(tool, { op: 'update', entry, options: { expectVersion: current.version } }))
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
    const page = await this.store.query(await this.filter(caller, query), cursor, limit)
    this.crossToolRead(caller, page.items, 'list')
    return page
  }

  async search(caller: Caller, query: SearchQuery): Promise<SearchHit[]> {
    const filter = await this.filter(caller, query)
    const hits = await this.store.search({ text: query.query, mode: query.mode, limit: query.limit, filter })
    this.crossToolRead(caller, hits.map((h) => h.entry), 'search')
    return hits
  }

  /** Counts for the tools this caller may read (its own and granting tools). */
  async stats(caller: Caller): Promise<StoreStats> {
    requireSomeRead(caller)
    const access = readAccess(caller, await this.registry.grantsTo(caller.tool))
    return this.store.stats([...(access.tool === null ? [] : [access.tool]), ...access.grantedTools])
  }

  /** Entries handed to `caller` in full (context packing): access statistics and the access log. */
  noteReads(caller: Caller, entries: readonly MemoryEntry[], via: string): void {
    for (const entry of entries) this.hooks.onRead?.(entry)
    this.crossToolRead(caller, entries, via)
  }

  /** Note entries read by `caller` that other tools own (the cross-tool access log). */
  crossToolRead(caller: Caller, entries: readonly MemoryEntry[], via: string): void {
    if (this.hooks.onCrossToolRead && entries.some((e) => e.tool !== caller.tool)) this.hooks.onCrossToolRead(caller.tool, entries, via)
  }

  /** The store filter of a read by `caller` (access from its scopes and the registry's grants). */
  async filter(caller: Caller, query: ListQuery): Promise<EntryFilter> {
    requireSomeRead(caller)
    const filter: EntryFilter = { access: readAccess(caller, await this.registry.grantsTo(caller.tool)) }
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
