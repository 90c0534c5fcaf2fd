/**
 * The in-memory backend (`memory://`): the reference implementation of the MemoryStore contract,
 * used for local runs, tests and as one side of blue/green rehearsals. State lives in Maps and is
 * lost on close. Every method runs synchronously to completion inside its promise, so each write is
 * atomic with respect to every other call.
 *
 * Behaviour the contract leaves open, decided here (the conformance suite pins most of it):
 * - A write that collides with an *expired* entry (same id, key, or keyless content) removes that
 *   entry physically first; `purgeExpired` only counts what it removes itself.
 * - `create` (and the insert branch of `upsertByKey`) on an id that a live entry of the tool
 *   already has fails with `version_conflict` (create means "must not exist").
 * - `update` of an absent or expired entry is `not_found` even when `expectVersion` is given.
 * - `version_conflict` carries `extensions.currentVersion` (null when absent).
 * - `delete` remembers its tombstone like `applyMirror` does, so an older mirrored entry cannot
 *   bring a locally deleted entry back — for the tombstone retention: `purgeExpired` forgets
 *   tombstones deleted at or before `now - tombstoneRetentionMs` (store clock), after which such
 *   an entry applies again.
 * - `applyMirror` of an entry compares versions with the stored row even when it has expired, and
 *   displaces other rows of the tool that hold the same key (or, keyless, the same type and content):
 *   the primary already enforced uniqueness, so the mirror's copy of the displaced row is stale.
 */
import { AppError } from '../../errors/app-error.js'
import { isExpired, type MemoryEntry, type Tombstone } from '../../domain/memory/memory-entry.js'
import { decodeCursor, encodeCursor } from '../cursor.js'
import {
  DEFAULT_TOMBSTONE_RETENTION_MS,
  type BudgetedWrite,
  type CreateOptions,
  type CreateResult,
  type EntryFilter,
  type MemoryStore,
  type MirrorResult,
  type Page,
  type ScanKey,
  type SearchHit,
  type SearchRequest,
  type StoreClockOptions,
  type StoreStats,
  type WriteOptions,
} from '../memory-store.js'
import { pair } from './composite-key.js'
import { checkVersion, createConstraints, replacement } from './constraints.js'
import { entryStats } from './entry-stats.js'
import { EntryTable } from './entry-table.js'
import { compareScanKey, compareText, matchesFilter, newestFirst } from './filters.js'
import { IdempotencyTable } from './idempotency-table.js'
import { OutboxTable, outboxOperations } from './outbox-table.js'
import { budgetedWrite } from './budget.js'
import { ToolsTable, toolOperations } from './tools-table.js'
import { fulltextScorer, substringScorer } from './text-match.js'

/** Options of the in-memory backend: the clock and the tombstone retention. */
export type InMemoryStoreOptions = StoreClockOptions

export function createInMemoryStore(options: InMemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now
  const retention = options.tombstoneRetentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS
  if (!(retention >= 0)) throw new RangeError(`tombstoneRetentionMs must be >= 0 ms (Infinity keeps them), got ${retention}`)
  const table = new EntryTable()
  /** Remembered deletes by `tool\0id`, from `delete` and mirrored tombstones. */
  const tombstones = new Map<string, Tombstone>()
  const idempotency = new IdempotencyTable(now)
  const outbox = new OutboxTable(now)
  const tools = new ToolsTable()
  const { live, claimId, keyHolder, sameContent, checkUnique } = createConstraints(table, now)
  let closed = false

  function assertOpen(): void {
    if (closed) throw new AppError('backend_unavailable', 'The in-memory store has been closed.')
  }

  /** Live entries passing `filter`, in no particular order. */
  function visible(filter: EntryFilter): MemoryEntry[] {
    const at = now()
    return [...table.all()].filter((e) => !isExpired(e, at) && matchesFilter(e, filter))
  }

  /**
   * Store `entry` (the table takes it) and return a copy for the caller. Both copies are made before
   * the table changes, so a value that cannot be cloned leaves nothing half-written.
   */
  function put(entry: MemoryEntry): MemoryEntry {
    const returned = structuredClone(entry)
    table.put(entry)
    return returned
  }

  function insert(entry: MemoryEntry): MemoryEntry {
    return put({ ...structuredClone(entry), version: 1 })
  }

  /** Remember a delete; a repeated delete of the id keeps the highest version (as the SQL store does). */
  function rememberTombstone(tombstone: Tombstone): void {
    const copy = structuredClone(tombstone)
    copy.version = Math.max(copy.version, tombstoneVersion(tombstone.tool, tombstone.id))
    tombstones.set(pair(tombstone.tool, tombstone.id), copy)
  }

  function tombstoneVersion(tool: string, id: string): number {
    return tombstones.get(pair(tool, id))?.version ?? 0
  }

  // The writes run synchronously to completion (budgeted writes rely on it, see budget.ts).
  function create(entry: MemoryEntry, options: CreateOptions): CreateResult {
    claimId(entry.tool, entry.id)
    if (entry.key === null) {
      const duplicate = sameContent(entry, entry.id)
      if (duplicate && options.dedupe) return { entry: structuredClone(duplicate), created: false }
    }
    checkUnique(entry)
    return { entry: insert(entry), created: true }
  }

  function update(entry: MemoryEntry, options: WriteOptions): MemoryEntry {
    const current = live(table.row(entry.tool, entry.id))
    if (!current) throw new AppError('not_found', 'No such entry.')
    checkVersion(current.version, options.expectVersion)
    checkUnique(entry)
    return put(replacement(current, entry))
  }

  function upsertByKey(entry: MemoryEntry & { key: string }, options: WriteOptions): CreateResult {
    const current = keyHolder(entry.tool, entry.key, null)
    checkVersion(current?.version ?? null, options.expectVersion)
    if (!current) {
      claimId(entry.tool, entry.id)
      return { entry: insert(entry), created: true }
    }
    return { entry: put(replacement(current, entry)), created: false }
  }

  /** Delete a live entry, remembering its tombstone. */
  function remove(current: MemoryEntry): Tombstone {
    table.remove(current.tool, current.id)
    const tombstone: Tombstone = { tool: current.tool, id: current.id, version: current.version + 1, deletedAt: new Date(now()) }
    rememberTombstone(tombstone)
    return structuredClone(tombstone)
  }

  return {
    backend: 'memory',

    async init() {
      assertOpen()
    },

    async get(tool, id) {
      assertOpen()
      const entry = live(table.row(tool, id))
      return entry ? structuredClone(entry) : null
    },

    async getById(id) {
      assertOpen()
      const entry = table.rowsWithId(id).find((e) => live(e))
      return entry ? structuredClone(entry) : null
    },

    async getMany(tool, ids) {
      assertOpen()
      const at = now()
      return ids.flatMap((id) => {
        const entry = live(table.row(tool, id), at)
        return entry ? [structuredClone(entry)] : []
      })
    },

    async findByHash(tool, hash) {
      assertOpen()
      const at = now()
      return table
        .withHash(tool, hash)
        .filter((e) => live(e, at))
        .sort((a, b) => compareText(a.id, b.id))
        .map((e) => structuredClone(e))
    },

    async findByKey(tool, key) {
      assertOpen()
      const entry = live(table.keyHolder(tool, key))
      return entry ? structuredClone(entry) : null
    },

    async create(entry, options: CreateOptions): Promise<CreateResult> {
      assertOpen()
      return create(entry, options)
    },

    async update(entry, options: WriteOptions = {}) {
      assertOpen()
      return update(entry, options)
    },

    async upsertByKey(entry, options: WriteOptions = {}) {
      assertOpen()
      return upsertByKey(entry, options)
    },

    async delete(tool, id, options: WriteOptions = {}) {
      assertOpen()
      const current = live(table.row(tool, id))
      checkVersion(current?.version ?? null, options.expectVersion)
      return current ? remove(current) : null
    },

    async writeWithinBudget(write, budget) {
      assertOpen()
      const run = (w: BudgetedWrite): CreateResult =>
        w.op === 'create' ? create(w.entry, w.options)
          : w.op === 'update' ? { entry: update(w.entry, w.options), created: false }
            : upsertByKey(w.entry, w.options)
      return budgetedWrite({ table, now, write: run, remove }, write, budget)
    },

    ...toolOperations(tools, assertOpen),

    async topEntries(filter, order, limit) {
      assertOpen()
      const byImportance = (a: MemoryEntry, b: MemoryEntry) => b.importance - a.importance || newestFirst(a, b)
      return visible(filter)
        .sort(order === 'importance' ? byImportance : newestFirst)
        .slice(0, Math.max(0, Math.floor(limit)))
        .map((e) => structuredClone(e))
    },

    async applyMirror(record): Promise<MirrorResult> {
      assertOpen()
      if (record.kind === 'tombstone') {
        const { tool, id, version } = record.tombstone
        const stored = table.row(tool, id)
        if (version <= (stored?.version ?? 0) || version <= tombstoneVersion(tool, id)) return 'stale'
        table.remove(tool, id)
        rememberTombstone(record.tombstone)
        return 'applied'
      }
      const entry = record.entry
      const stored = table.row(entry.tool, entry.id)
      if (entry.version <= (stored?.version ?? 0) || entry.version <= tombstoneVersion(entry.tool, entry.id)) {
        return 'stale'
      }
      const displaced =
        entry.key !== null
          ? [table.keyHolder(entry.tool, entry.key)]
          : table.withHash(entry.tool, entry.contentHash).filter((e) => e.key === null && e.type === entry.type)
      for (const other of displaced) if (other && other.id !== entry.id) table.remove(other.tool, other.id)
      table.put(structuredClone(entry))
      return 'applied'
    },

    async mirrorRecord(tool, id) {
      assertOpen()
      const [entry, tombstone] = [table.row(tool, id), tombstones.get(pair(tool, id))]
      if (entry) return { kind: 'entry', entry: structuredClone(entry) }
      return tombstone ? { kind: 'tombstone', tombstone: structuredClone(tombstone) } : null
    },

    ...outboxOperations(outbox, assertOpen),

    async query(filter, cursor, limit): Promise<Page<MemoryEntry>> {
      assertOpen()
      const after = cursor === null ? null : decodeCursor(cursor)
      const size = Math.max(0, Math.floor(limit))
      const rows = visible(filter)
        .filter((e) => after === null || e.id < after)
        .sort(newestFirst)
      const items = rows.slice(0, size).map((e) => structuredClone(e))
      const last = items[items.length - 1]
      return { items, nextCursor: rows.length > size && last ? encodeCursor(last.id) : null }
    },

    async search(request: SearchRequest): Promise<SearchHit[]> {
      assertOpen()
      const scorer = request.mode === 'fulltext' ? fulltextScorer(request.text) : substringScorer(request.text)
      if (scorer === null) return []
      const hits: SearchHit[] = []
      for (const entry of visible(request.filter)) {
        const score = scorer(entry.content)
        if (score !== null) hits.push({ entry, score })
      }
      hits.sort((a, b) => b.score - a.score || newestFirst(a.entry, b.entry))
      return hits.slice(0, Math.max(0, request.limit)).map((h) => ({ entry: structuredClone(h.entry), score: h.score }))
    },

    async stats(tools?: string[]): Promise<StoreStats> {
      assertOpen()
      return entryStats(table.all(), now(), tools)
    },

    async scan(after: ScanKey | null, limit) {
      assertOpen()
      const at = now()
      return [...table.all()]
        .filter((e) => !isExpired(e, at) && (after === null || compareScanKey(e, after) > 0))
        .sort(compareScanKey)
        .slice(0, Math.max(0, limit))
        .map((e) => structuredClone(e))
    },

    async purgeExpired(at, limit) {
      assertOpen()
      const expired = [...table.all()]
        .filter((e) => isExpired(e, at))
        .sort((a, b) => a.expiresAt!.getTime() - b.expiresAt!.getTime() || compareScanKey(a, b))
        .slice(0, Math.max(0, limit))
      for (const entry of expired) table.remove(entry.tool, entry.id)
      const clock = now()
      idempotency.prune(clock)
      let forgotten = 0
      for (const [k, tombstone] of [...tombstones].sort(([, a], [, b]) => a.deletedAt.getTime() - b.deletedAt.getTime())) {
        if (forgotten >= limit || tombstone.deletedAt.getTime() > clock - retention) break
        tombstones.delete(k)
        forgotten += 1
      }
      return expired.length
    },

    async recordAccess(records) {
      assertOpen()
      const at = now()
      for (const r of records) {
        const entry = live(table.row(r.tool, r.id), at)
        if (!entry) continue
        entry.accessCount += r.count
        if (!entry.lastAccessedAt || entry.lastAccessedAt < r.lastAccessedAt) entry.lastAccessedAt = new Date(r.lastAccessedAt)
      }
    },

    async claimIdempotencyKey(tool, key, requestHash, ttlMs) {
      assertOpen()
      return idempotency.claim(tool, key, requestHash, ttlMs)
    },

    async completeIdempotencyKey(tool, key, requestHash, response, ttlMs) {
      assertOpen()
      return idempotency.complete(tool, key, requestHash, response, ttlMs)
    },

    async releaseIdempotencyKey(tool, key) {
      assertOpen()
      idempotency.release(tool, key)
    },

    async ping() {
      assertOpen()
    },

    async close() {
      closed = true
      table.clear()
      tombstones.clear()
      idempotency.clear()
      outbox.clear()
      tools.clear()
    },
  }
}
