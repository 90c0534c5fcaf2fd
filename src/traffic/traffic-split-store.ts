/**
 * TrafficSplitStore (design §7): one MemoryStore over a blue (current) and a green (new) store,
 * routing each operation by sticky bucket and the live dials (`settings()` is read on every call,
 * so a reload, the kill switch or the guard take effect on the next operation).
 *
 * - Writes: `MirrorWriter` (primary commits, the other side gets `applyMirror`, outbox on failure).
 * - Reads by id/key/hash and lists: the bucket's read side; a green failure is served by blue.
 *   Sampled reads are compared with the other side by the `ShadowReader`, off the response path.
 *   Search is not shadowed: rank ties and candidate limits legitimately differ between engines.
 * - Whole-store operations (stats, scan, cross-tool reads by id under tool routing) use
 *   `wholeStoreSide`; idempotency records stay on blue until `complete` (moving them with the write
 *   dial would let a retry run twice), then green.
 * - Access statistics go to every side in use, best effort: they are counters, not data.
 * - Green that fails to initialise is retried in the background; until then every green call fails
 *   fast with `backend_unavailable`, which the fallbacks above absorb.
 */
import { AppError } from '../errors/app-error.js'
import type { AccessRecord } from '../domain/memory/access-recorder.js'
import type { MemoryEntry, MirrorRecord } from '../domain/memory/memory-entry.js'
import { isBackendFailure } from '../storage/backend-failure.js'
import type { TokenBudget } from '../domain/tools/tool-record.js'
import type {
  BudgetedResult, BudgetedWrite, CandidateOrder, CreateOptions, CreateResult, EntryFilter, IdempotencyClaim, MemoryStore, MirrorResult, OutboxItem, OutboxStats, Page,
  ScanKey, SearchHit, SearchRequest, StoreStats, WriteOptions,
} from '../storage/memory-store.js'
import { HomeSide } from './home-side.js'
import { MirrorWriter, type TrafficObserver } from './mirror-writer.js'
import { bucketFor, otherSide, readSide, type Side, wholeStoreSide, writePrimary } from './routing.js'
import { entrySignature, listSignature, pageSignature, type ShadowReader } from './shadow-reader.js'
import { StaleMarks } from './stale-marks.js'
import type { TrafficSettings } from './stages.js'

export interface TrafficSplitOptions {
  blue: MemoryStore
  green: MemoryStore
  /** The effective settings; read on every operation. */
  settings: () => TrafficSettings
  observer: TrafficObserver
  shadow: ShadowReader
  mirrorTimeoutMs: number
  /** @default 30 000 */
  intentGraceMs?: number
  /** @default 1 000 */
  retryDelayMs?: number
  /** Told when green fails to initialise (it is retried every `greenInitRetryMs`). */
  onGreenInitError?: (err: unknown) => void
  /** @default 5 000 */
  greenInitRetryMs?: number
  /** Clock for stale marks (the stores' clock, which stamps outbox rows). @default Date.now */
  now?: () => number
}

export class TrafficSplitStore implements MemoryStore {
  readonly backend = 'traffic-split'
  /** Sides that missed a mirror write, per tool, until the repair worker catches them up. */
  readonly stale = new StaleMarks()
  private readonly writer: MirrorWriter
  private readonly home: HomeSide
  private greenReady = false
  private greenRetry: NodeJS.Timeout | null = null
  private closed = false

  constructor(private readonly options: TrafficSplitOptions) {
    this.writer = new MirrorWriter((side) => this.store(side), {
      mirrorTimeoutMs: options.mirrorTimeoutMs,
      intentGraceMs: options.intentGraceMs ?? 30_000,
      retryDelayMs: options.retryDelayMs ?? 1000,
      observer: options.observer,
      onMissed: (target, tool) => this.stale.mark(target, tool, (options.now ?? Date.now)()),
      mayTakeOver: (tool) => !this.stale.isStale('blue', tool),
    })
    this.home = new HomeSide(
      () => this.store(this.options.settings().stage === 'complete' ? 'green' : 'blue'),
      () => (this.options.settings().stage === 'complete' ? this.options.blue : this.greenReady ? this.options.green : null),
    )
  }

  /** Whether green has initialised (admin and readiness report it). */
  get greenInitialised(): boolean {
    return this.greenReady
  }

  /** The side's store; green fails fast until it has initialised. */
  store(side: Side): MemoryStore {
    if (side === 'blue') return this.options.blue
    if (!this.greenReady) throw new AppError('backend_unavailable', 'The green storage backend is not initialised yet.')
    return this.options.green
  }

  async init(): Promise<void> {
    await this.options.blue.init()
    await this.initGreen()
  }

  private async initGreen(): Promise<void> {
    try {
      await this.options.green.init()
      this.greenReady = true
    } catch (err) {
      this.options.onGreenInitError?.(err)
      if (this.closed) return
      this.greenRetry = setTimeout(() => void this.initGreen(), this.options.greenInitRetryMs ?? 5000)
      this.greenRetry.unref()
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  /**
   * A read of `tool`'s entries (`tool` null: a list or search that may span tools) from the side
   * the bucket says, unless stale marks say that side may be behind for it.
   */
  private async read<T>(
    tool: string | null, bucket: number, op: string, run: (store: MemoryStore) => Promise<T>, signature?: (value: T) => string,
  ): Promise<T> {
    const settings = this.options.settings()
    return this.readFrom(readSide(settings, bucket), settings, op, run, signature, tool)
  }

  private behind(side: Side, tool: string | null): boolean {
    return tool === null ? this.stale.any(side) : this.stale.isStale(side, tool)
  }

  private async readFrom<T>(
    wanted: Side, settings: TrafficSettings, op: string, run: (store: MemoryStore) => Promise<T>,
    signature?: (value: T) => string, tool: string | null = null,
  ): Promise<T> {
    const avoid = this.behind(wanted, tool) && !this.behind(otherSide(wanted), tool)
    const side = avoid ? otherSide(wanted) : wanted
    let served = side
    let value: T
    try {
      value = await this.writer.timed(side, 'read', avoid ? 'fallback' : 'primary', () => run(this.store(side)))
    } catch (err) {
      if (side !== 'green' || !isBackendFailure(err)) throw err
      served = 'blue'
      value = await this.writer.timed('blue', 'read', 'fallback', () => run(this.options.blue))
    }
    const shadowed = signature && settings.shadowReadPercent > 0 && !this.behind(otherSide(served), tool)
    if (shadowed && Math.random() * 100 < settings.shadowReadPercent) {
      this.options.shadow.compare(served, value, {
        op,
        run: (s) => this.writer.timed(s, 'read', 'shadow', () => run(this.store(s))),
        signature,
      })
    }
    return value
  }

  get(tool: string, id: string): Promise<MemoryEntry | null> {
    return this.read(tool, bucketFor(this.options.settings(), tool, id), 'get', (s) => s.get(tool, id), entrySignature)
  }

  getById(id: string): Promise<MemoryEntry | null> {
    const settings = this.options.settings()
    const side = settings.routingKey === 'id' ? readSide(settings, bucketFor(settings, '', id)) : wholeStoreSide(settings)
    return this.readFrom(side, settings, 'getById', (s) => s.getById(id), entrySignature, null)
  }

  getMany(tool: string, ids: string[]): Promise<MemoryEntry[]> {
    return this.read(tool, bucketFor(this.options.settings(), tool), 'getMany', (s) => s.getMany(tool, ids), listSignature)
  }

  findByHash(tool: string, hash: string): Promise<MemoryEntry[]> {
    return this.read(tool, bucketFor(this.options.settings(), tool), 'findByHash', (s) => s.findByHash(tool, hash), listSignature)
  }

  findByKey(tool: string, key: string): Promise<MemoryEntry | null> {
    return this.read(tool, bucketFor(this.options.settings(), tool), 'findByKey', (s) => s.findByKey(tool, key), entrySignature)
  }

  query(filter: EntryFilter, cursor: string | null, limit: number): Promise<Page<MemoryEntry>> {
    const bucket = bucketFor(this.options.settings(), filter.access.tool ?? '')
    return this.read(null, bucket, 'query', (s) => s.query(filter, cursor, limit), pageSignature)
  }

  search(request: SearchRequest): Promise<SearchHit[]> {
    return this.read(null, bucketFor(this.options.settings(), request.filter.access.tool ?? ''), 'search', (s) => s.search(request))
  }

  stats(tools?: string[]): Promise<StoreStats> {
    const settings = this.options.settings()
    return this.readFrom(wholeStoreSide(settings), settings, 'stats', (s) => s.stats(tools))
  }

  scan(after: ScanKey | null, limit: number): Promise<MemoryEntry[]> {
    const settings = this.options.settings()
    return this.readFrom(wholeStoreSide(settings), settings, 'scan', (s) => s.scan(after, limit))
  }

  mirrorRecord(tool: string, id: string): Promise<MirrorRecord | null> {
    const settings = this.options.settings()
    return this.readFrom(wholeStoreSide(settings), settings, 'mirrorRecord', (s) => s.mirrorRecord(tool, id))
  }

  // ---- writes ------------------------------------------------------------------------------

  /**
   * The bucket's write primary, unless that side missed an earlier write of the tool (stale marks).
   * Writes whose uniqueness spans ids (a key, deduplicated content) route by tool even under id
   * routing: two writes of one key must meet on one primary, which decides between them.
   */
  private plan(tool: string, id: string, key: string | null, byTool = false) {
    const settings = this.options.settings()
    let primary = writePrimary(settings, bucketFor(settings, tool, byTool ? undefined : id))
    if (settings.dualWrite && this.stale.isStale(primary, tool) && !this.stale.isStale(otherSide(primary), tool)) primary = otherSide(primary)
    return { primary, mirror: settings.dualWrite, tool, id, key }
  }

  create(entry: MemoryEntry, options: CreateOptions): Promise<CreateResult> {
    const byTool = entry.key !== null || options.dedupe
    return this.writer.write(this.plan(entry.tool, entry.id, entry.key, byTool), (s) => s.create(entry, options),
      (r) => (r.created ? { kind: 'entry', entry: r.entry } : null))
  }

  update(entry: MemoryEntry, options?: WriteOptions): Promise<MemoryEntry> {
    return this.writer.write(this.plan(entry.tool, entry.id, null), (s) => s.update(entry, options),
      (e) => ({ kind: 'entry', entry: e }))
  }

  upsertByKey(entry: MemoryEntry & { key: string }, options?: WriteOptions): Promise<CreateResult> {
    return this.writer.write(this.plan(entry.tool, entry.id, entry.key, true), (s) => s.upsertByKey(entry, options),
      (r) => ({ kind: 'entry', entry: r.entry }))
  }

  /**
   * Routed by tool whatever the routing key: two budgeted writes of one tool must meet on one
   * primary, whose lock decides between them. The mirror receives the entry and the tombstones
   * of whatever the primary evicted, so both sides evict the same entries.
   */
  writeWithinBudget(write: BudgetedWrite, budget: TokenBudget): Promise<BudgetedResult> {
    const { entry } = write
    return this.writer.write(this.plan(entry.tool, entry.id, entry.key, true), (s) => s.writeWithinBudget(write, budget), (r) => [
      ...(r.created || write.op !== 'create' ? [{ kind: 'entry' as const, entry: r.entry }] : []),
      ...r.evicted.map((tombstone) => ({ kind: 'tombstone' as const, tombstone })),
    ])
  }

  topEntries(filter: EntryFilter, order: CandidateOrder, limit: number): Promise<MemoryEntry[]> {
    const bucket = bucketFor(this.options.settings(), filter.access.tool ?? '')
    return this.read(null, bucket, 'topEntries', (s) => s.topEntries(filter, order, limit), listSignature)
  }

  delete(tool: string, id: string, options?: WriteOptions) {
    return this.writer.write(this.plan(tool, id, null), (s) => s.delete(tool, id, options),
      (t) => (t === null ? null : { kind: 'tombstone', tombstone: t }))
  }

  /** Applied to blue and, when mirroring, to green; blue's answer is returned (green's failure is ignored). */
  async applyMirror(record: MirrorRecord): Promise<MirrorResult> {
    const settings = this.options.settings()
    if (settings.stage === 'complete') return this.store('green').applyMirror(record)
    const toGreen = settings.dualWrite || settings.greenReadPercent > 0
    const [blue] = await Promise.all([
      this.options.blue.applyMirror(record),
      toGreen ? Promise.resolve().then(() => this.store('green').applyMirror(record)).catch(() => undefined) : undefined,
    ])
    return blue
  }

  // ---- upkeep ------------------------------------------------------------------------------

  /** The sides that receive writes now. */
  private writtenSides(): Side[] {
    const s = this.options.settings()
    if (s.stage === 'complete' && !s.dualWrite) return ['green']
    return s.dualWrite ? ['blue', 'green'] : ['blue']
  }

  /** Purges every written side; returns the first side's count (the sweeper's chunking follows it). */
  async purgeExpired(now: number, limit: number): Promise<number> {
    const [first, ...rest] = this.writtenSides()
    const others = rest.map((side) => Promise.resolve().then(() => this.store(side).purgeExpired(now, limit)).catch(() => 0))
    const count = await this.store(first!).purgeExpired(now, limit)
    await Promise.all(others)
    return count
  }

  async recordAccess(records: AccessRecord[]): Promise<void> {
    const results = await Promise.allSettled(this.writtenSides().map((side) => this.store(side).recordAccess(records)))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed && results.every((r) => r.status === 'rejected')) throw (failed as PromiseRejectedResult).reason
  }

  // Records that are not entries (idempotency, tool registry, access log) live on one side.
  readonly claimIdempotencyKey: MemoryStore['claimIdempotencyKey'] = (...a) => this.home.claimIdempotencyKey(...a)
  readonly completeIdempotencyKey: MemoryStore['completeIdempotencyKey'] = (...a) => this.home.completeIdempotencyKey(...a)
  readonly releaseIdempotencyKey: MemoryStore['releaseIdempotencyKey'] = (...a) => this.home.releaseIdempotencyKey(...a)
  readonly getTool: MemoryStore['getTool'] = (...a) => this.home.getTool(...a)
  readonly listTools: MemoryStore['listTools'] = (...a) => this.home.listTools(...a)
  readonly registerTool: MemoryStore['registerTool'] = (...a) => this.home.registerTool(...a)
  readonly putTool: MemoryStore['putTool'] = (...a) => this.home.putTool(...a)
  readonly appendAccessLog: MemoryStore['appendAccessLog'] = (...a) => this.home.appendAccessLog(...a)
  readonly readAccessLog: MemoryStore['readAccessLog'] = (...a) => this.home.readAccessLog(...a)

  // The split store's own outbox members act on blue's outbox (the repair worker uses the sides).
  // Claims and stats first remove the rows of mirrors known to have landed, so they see only rows
  // that still need a replay.
  outboxAdd(item: { target: string; tool: string; id: string; key: string | null }, dueInMs: number): Promise<number> {
    return this.options.blue.outboxAdd(item, dueInMs)
  }
  async outboxClaim(target: string, limit: number, leaseMs: number): Promise<OutboxItem[]> {
    await this.writer.flush()
    return this.options.blue.outboxClaim(target, limit, leaseMs)
  }
  outboxRetry(seq: number, delayMs: number, error: string): Promise<void> {
    return this.options.blue.outboxRetry(seq, delayMs, error)
  }
  outboxRemove(seqs: number[]): Promise<void> {
    return this.options.blue.outboxRemove(seqs)
  }
  async outboxStats(): Promise<OutboxStats> {
    await this.writer.flush()
    return this.options.blue.outboxStats()
  }

  /** Remove now the outbox rows of mirrors known to have landed (before reading outbox figures). */
  flushOutboxAcks(): Promise<void> {
    return this.writer.flush()
  }

  /** Blue's liveness, or green's once blue is retired (`complete`); green's health is reported apart. */
  ping(): Promise<void> {
    return this.options.settings().stage === 'complete' ? this.store('green').ping() : this.options.blue.ping()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.greenRetry) clearTimeout(this.greenRetry)
    this.options.shadow.close()
    await this.writer.flush()
    await Promise.all([this.options.blue.close(), this.options.green.close()])
  }
}
