/**
 * The repair worker (design §7): replays outbox rows whose mirror write failed (or whose removal
 * never happened). Each side's outbox holds rows targeting the other side. A row names (tool, id,
 * key); the worker reads that id's current state from the side holding the row (`mirrorRecord`:
 * entry or tombstone) and, for writes by key, the entry now holding the key, and sends it with
 * `applyMirror`. Replaying current state rather than a stored payload keeps replays idempotent and
 * never older than what the primary has. Rows are leased while worked on, so replicas share the
 * work; a failed replay backs off exponentially (1 s doubling to 60 s, with jitter).
 *
 * A replay answered `stale` while the target holds the same version with different content means
 * the two sides diverged (an ambiguous green failure, see mirror-writer.ts): it is reported, not
 * retried, and `mcp-memory verify --repair` settles it.
 */
import { withDeadline } from '../shared/async.js'
import type { MemoryEntry, MirrorRecord } from '../domain/memory/memory-entry.js'
import type { MemoryStore, OutboxItem } from '../storage/memory-store.js'
import { otherSide, type Side } from './routing.js'

export interface RepairOptions {
  store: (side: Side) => MemoryStore
  intervalMs: number
  /** Rows claimed per side and round. @default 100 */
  batch?: number
  /** @default 30 000 */
  leaseMs?: number
  onReplayed?: (target: Side, rows: number) => void
  onFailed?: (target: Side, err: unknown) => void
  onDiverged?: (target: Side, tool: string, id: string) => void
  /**
   * After each round, per side holding an outbox: the creation time of its oldest row, or, when
   * it is empty, the time just before it was looked at. Every row older than that has been
   * replayed (stale marks are cleared by it).
   */
  onOutboxState?: (holder: Side, replayedBefore: number) => void
  /** Run before each round, e.g. to remove this process's rows of mirrors that already landed. */
  beforeRound?: () => Promise<void>
  /** The stores' clock (outbox rows carry its times). @default Date.now */
  now?: () => number
  /** A replay slower than this counts as failed, so one hung side cannot stall the worker. @default 10 000 */
  replayTimeoutMs?: number
}

export interface OutboxFigures {
  pending: number
  /** ms since epoch of the oldest row on either side, or null. */
  oldestCreatedAt: number | null
  bySide: Record<Side, { pending: number; oldestCreatedAt: number | null } | { error: string }>
}

const MAX_BACKOFF_MS = 60_000

export class OutboxRepairWorker {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<number> | null = null

  constructor(private readonly options: RepairOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.runOnce(), this.options.intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running
  }

  /** One round over both sides' outboxes; returns rows replayed. Overlapping calls share a round. */
  runOnce(): Promise<number> {
    this.running ??= this.round().finally(() => (this.running = null))
    return this.running
  }

  private async round(): Promise<number> {
    await this.options.beforeRound?.().catch(() => {})
    const [blue, green] = await Promise.all([this.side('blue'), this.side('green')])
    return blue + green
  }

  /** Drain one holder, then report its outbox state; each call is bounded by the replay timeout. */
  private async side(holder: Side): Promise<number> {
    const replayed = await this.drain(holder)
    if (this.options.onOutboxState) {
      const at = (this.options.now ?? Date.now)()
      const stats = await this.bounded(Promise.resolve().then(() => this.options.store(holder).outboxStats())).catch(() => null)
      if (stats) this.options.onOutboxState(holder, stats.oldestCreatedAt ?? at)
    }
    return replayed
  }

  /** `promise`, or a rejection after the replay timeout. */
  private bounded<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.replayTimeoutMs ?? 10_000
    return withDeadline(promise, ms, () => new Error(`outbox operation took longer than ${ms} ms`))
  }


  /** Replay due rows held by `holder` towards the other side. */
  private async drain(holder: Side): Promise<number> {
    const target = otherSide(holder)
    let items: OutboxItem[]
    try {
      items = await this.bounded(Promise.resolve().then(() =>
        this.options.store(holder).outboxClaim(target, this.options.batch ?? 100, this.options.leaseMs ?? 30_000)))
    } catch {
      return 0 // the holder is down: its rows wait
    }
    const done: number[] = []
    for (const item of items) {
      try {
        await this.bounded(this.replay(holder, target, item))
        done.push(item.seq)
      } catch (err) {
        this.options.onFailed?.(target, err)
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** item.attempts) * (0.75 + Math.random() / 2)
        const message = err instanceof Error ? err.message : String(err)
        await Promise.resolve().then(() => this.options.store(holder).outboxRetry(item.seq, delay, message)).catch(() => {})
      }
    }
    if (done.length > 0) {
      await Promise.resolve().then(() => this.options.store(holder).outboxRemove(done)).catch(() => {})
      this.options.onReplayed?.(target, done.length)
    }
    return done.length
  }

  private async replay(holder: Side, target: Side, item: OutboxItem): Promise<void> {
    const source = this.options.store(holder)
    const records: MirrorRecord[] = []
    const own = await source.mirrorRecord(item.tool, item.id)
    if (own) records.push(own)
    if (item.key !== null) {
      const holderOfKey = await source.findByKey(item.tool, item.key)
      if (holderOfKey && holderOfKey.id !== item.id) records.push({ kind: 'entry', entry: holderOfKey })
    }
    const sink = this.options.store(target)
    for (const record of records) {
      const result = await sink.applyMirror(record)
      if (result === 'stale' && record.kind === 'entry') await this.checkDivergence(sink, target, record.entry)
    }
  }

  private async checkDivergence(sink: MemoryStore, target: Side, entry: MemoryEntry): Promise<void> {
    const there = await sink.mirrorRecord(entry.tool, entry.id)
    if (there?.kind === 'entry' && there.entry.version === entry.version && there.entry.contentHash !== entry.contentHash) {
      this.options.onDiverged?.(target, entry.tool, entry.id)
    }
  }

  /** Depth and oldest row of both outboxes (a side that cannot answer is reported as such). */
  async figures(): Promise<OutboxFigures> {
    const sides: Side[] = ['blue', 'green']
    const results = await Promise.allSettled(sides.map((s) => Promise.resolve().then(() => this.options.store(s).outboxStats())))
    const bySide = {} as OutboxFigures['bySide']
    let pending = 0
    let oldest: number | null = null
    results.forEach((r, i) => {
      const side = sides[i]!
      if (r.status === 'rejected') {
        bySide[side] = { error: r.reason instanceof Error ? r.reason.message : String(r.reason) }
        return
      }
      bySide[side] = r.value
      pending += r.value.pending
      if (r.value.oldestCreatedAt !== null) oldest = oldest === null ? r.value.oldestCreatedAt : Math.min(oldest, r.value.oldestCreatedAt)
    })
    return { pending, oldestCreatedAt: oldest, bySide }
  }
}
