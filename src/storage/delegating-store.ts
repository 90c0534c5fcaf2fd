/**
 * A MemoryStore that forwards every call to `inner`: the base of decorators, which override only
 * the operations they change (CachedStore overrides reads by id/key/hash and the writes).
 */
import type { AccessRecord } from '../domain/memory/access-recorder.js'
import type { MemoryEntry, MirrorRecord, Tombstone } from '../domain/memory/memory-entry.js'
import type { AccessLogQuery, CrossToolRead, LoggedRead, TokenBudget, ToolRecord } from '../domain/tools/tool-record.js'
import type {
  BudgetedResult, BudgetedWrite, CandidateOrder, CreateOptions, CreateResult, EntryFilter, IdempotencyClaim, MemoryStore, MirrorResult, OutboxItem, OutboxStats, Page,
  ScanKey, SearchHit, SearchRequest, StoreStats, StoredResponse, WriteOptions,
} from './memory-store.js'

export class DelegatingStore implements MemoryStore {
  readonly backend: string

  constructor(protected readonly inner: MemoryStore) {
    this.backend = inner.backend
  }

  init(): Promise<void> { return this.inner.init() }
  get(tool: string, id: string): Promise<MemoryEntry | null> { return this.inner.get(tool, id) }
  getById(id: string): Promise<MemoryEntry | null> { return this.inner.getById(id) }
  getMany(tool: string, ids: string[]): Promise<MemoryEntry[]> { return this.inner.getMany(tool, ids) }
  findByHash(tool: string, hash: string): Promise<MemoryEntry[]> { return this.inner.findByHash(tool, hash) }
  findByKey(tool: string, key: string): Promise<MemoryEntry | null> { return this.inner.findByKey(tool, key) }
  create(entry: MemoryEntry, options: CreateOptions): Promise<CreateResult> { return this.inner.create(entry, options) }
  update(entry: MemoryEntry, options?: WriteOptions): Promise<MemoryEntry> { return this.inner.update(entry, options) }
  upsertByKey(entry: MemoryEntry & { key: string }, options?: WriteOptions): Promise<CreateResult> {
    return this.inner.upsertByKey(entry, options)
  }
  delete(tool: string, id: string, options?: WriteOptions): Promise<Tombstone | null> { return this.inner.delete(tool, id, options) }
  writeWithinBudget(write: BudgetedWrite, budget: TokenBudget): Promise<BudgetedResult> {
    return this.inner.writeWithinBudget(write, budget)
  }
  getTool(tool: string): Promise<ToolRecord | null> { return this.inner.getTool(tool) }
  listTools(): Promise<ToolRecord[]> { return this.inner.listTools() }
  registerTool(record: ToolRecord): Promise<{ record: ToolRecord; created: boolean }> { return this.inner.registerTool(record) }
  putTool(record: ToolRecord, options?: WriteOptions): Promise<ToolRecord> { return this.inner.putTool(record, options) }
  appendAccessLog(records: CrossToolRead[], keepRows: number): Promise<void> { return this.inner.appendAccessLog(records, keepRows) }
  readAccessLog(query: AccessLogQuery): Promise<LoggedRead[]> { return this.inner.readAccessLog(query) }
  topEntries(filter: EntryFilter, order: CandidateOrder, limit: number): Promise<MemoryEntry[]> {
    return this.inner.topEntries(filter, order, limit)
  }
  applyMirror(record: MirrorRecord): Promise<MirrorResult> { return this.inner.applyMirror(record) }
  mirrorRecord(tool: string, id: string): Promise<MirrorRecord | null> { return this.inner.mirrorRecord(tool, id) }
  outboxAdd(item: { target: string; tool: string; id: string; key: string | null }, dueInMs: number): Promise<number> {
    return this.inner.outboxAdd(item, dueInMs)
  }
  outboxClaim(target: string, limit: number, leaseMs: number): Promise<OutboxItem[]> {
    return this.inner.outboxClaim(target, limit, leaseMs)
  }
  outboxRetry(seq: number, delayMs: number, error: string): Promise<void> { return this.inner.outboxRetry(seq, delayMs, error) }
  outboxRemove(seqs: number[]): Promise<void> { return this.inner.outboxRemove(seqs) }
  outboxStats(): Promise<OutboxStats> { return this.inner.outboxStats() }
  query(filter: EntryFilter, cursor: string | null, limit: number): Promise<Page<MemoryEntry>> {
    return this.inner.query(filter, cursor, limit)
  }
  search(request: SearchRequest): Promise<SearchHit[]> { return this.inner.search(request) }
  stats(tools?: string[]): Promise<StoreStats> { return this.inner.stats(tools) }
  scan(after: ScanKey | null, limit: number): Promise<MemoryEntry[]> { return this.inner.scan(after, limit) }
  purgeExpired(now: number, limit: number): Promise<number> { return this.inner.purgeExpired(now, limit) }
  recordAccess(records: AccessRecord[]): Promise<void> { return this.inner.recordAccess(records) }
  claimIdempotencyKey(tool: string, key: string, requestHash: string, ttlMs: number): Promise<IdempotencyClaim> {
    return this.inner.claimIdempotencyKey(tool, key, requestHash, ttlMs)
  }
  completeIdempotencyKey(tool: string, key: string, requestHash: string, response: StoredResponse, ttlMs: number): Promise<boolean> {
    return this.inner.completeIdempotencyKey(tool, key, requestHash, response, ttlMs)
  }
  releaseIdempotencyKey(tool: string, key: string): Promise<void> { return this.inner.releaseIdempotencyKey(tool, key) }
  ping(): Promise<void> { return this.inner.ping() }
  close(): Promise<void> { return this.inner.close() }
}
