/**
 * The write path of the traffic split (design §7). The primary side commits and decides the
 * version; the other side receives the same versioned result through `applyMirror`.
 *
 * Nothing acknowledged is lost, even if the process dies between the two writes: before the
 * primary write, an outbox row naming (tool, id, key) and the mirror side is added to the primary
 * (write-ahead). It is removed once the mirror landed; if the mirror fails or times out, the row
 * stays, due after a short delay, and the repair worker replays the primary's current state of
 * that id. This gives the guarantee a same-transaction outbox gives (a committed write always has
 * its outbox row) for one extra statement, without asking every store for transactions. A leftover
 * row (a primary write that failed, a crash before the removal) only causes a harmless replay:
 * `applyMirror` is idempotent and newer-version-wins.
 *
 * Green as primary falls back to blue when green fails (blue still receives every write, so it can
 * take over). A failure after green accepted the outbox row is ambiguous: green may have committed
 * the write. Blue then commits it too and the client's acknowledged version is blue's; if green did
 * commit, both sides hold the same version with different content until `verify --repair` (the
 * repair worker reports it). Blue as primary never falls back: it is the system of record.
 */
import { withDeadline } from '../shared/async.js'
import { isBackendFailure } from '../storage/backend-failure.js'
import type { MemoryEntry, MirrorRecord } from '../domain/memory/memory-entry.js'
import type { MemoryStore } from '../storage/memory-store.js'
import { OutboxAcker } from './outbox-acker.js'
import { otherSide, type Side } from './routing.js'

export type OperationKind = 'read' | 'write'
export type OperationRole = 'primary' | 'mirror' | 'fallback' | 'shadow'

/** What the split layer reports: metrics and the guard listen. */
export interface TrafficObserver {
  operation(side: Side, kind: OperationKind, role: OperationRole, durationMs: number, failed: boolean): void
  /** A mirror write to `target` failed; its outbox row will replay it. */
  syncFailure(target: Side, err: unknown): void
}

export interface MirrorWriterOptions {
  /** A mirror write slower than this is left to the outbox. */
  mirrorTimeoutMs: number
  /** When an outbox row becomes due if nobody removes it (longer than any mirror write may take). */
  intentGraceMs: number
  /** When a row whose mirror just failed is replayed first. */
  retryDelayMs: number
  observer: TrafficObserver
  /** Told which side missed a write of which tool (after its outbox row exists). */
  onMissed: (target: Side, tool: string) => void
  /** Whether blue may take over a write of `tool` from a failing green (it has every earlier one). */
  mayTakeOver: (tool: string) => boolean
}

/** Where a write goes: `primary` first, then a mirror to the other side when `mirror` is set. */
export interface WritePlan {
  primary: Side
  mirror: boolean
  tool: string
  id: string
  key: string | null
}

export class MirrorTimeoutError extends Error {
  constructor(ms: number) {
    super(`mirror write took longer than ${ms} ms`)
  }
}

export class MirrorWriter {
  private readonly acker: OutboxAcker
  /** Outbox rows being re-added after failed mirrors (`flush` waits for them). */
  private readonly requeues = new Set<Promise<void>>()

  constructor(
    private readonly store: (side: Side) => MemoryStore,
    private readonly options: MirrorWriterOptions,
  ) {
    this.acker = new OutboxAcker(store)
  }

  /**
   * Run `op` as planned; `recordOf` says what the mirror side must receive: the written record
   * (null: nothing changed), or several (a budgeted write's entry, then the tombstones of what it
   * evicted). Each record that fails to land gets its own outbox row.
   */
  async write<T>(plan: WritePlan, op: (store: MemoryStore) => Promise<T>, recordOf: (result: T) => MirrorRecord | MirrorRecord[] | null): Promise<T> {
    if (!plan.mirror) return this.timed(plan.primary, 'write', 'primary', () => op(this.store(plan.primary)))
    let side = plan.primary
    let done: { seq: number; result: T }
    try {
      done = await this.timed(side, 'write', 'primary', () => this.guarded(side, plan, op))
    } catch (err) {
      // Blue takes over only if it has every earlier write of the tool: a blue that missed one
      // would derive this write's version from an older state, and the sides would diverge.
      if (side !== 'green' || !isBackendFailure(err) || !this.options.mayTakeOver(plan.tool)) throw err
      side = 'blue'
      done = await this.timed(side, 'write', 'fallback', () => this.guarded(side, plan, op))
    }
    const produced = recordOf(done.result)
    const records = produced === null ? [] : Array.isArray(produced) ? produced : [produced]
    const target = otherSide(side)
    const failures = await Promise.all(records.map((record) => this.mirror(target, record)))
    const missed = records.flatMap((record, i) => (failures[i] === null ? [] : [{ record, failure: failures[i] }]))
    if (missed.length === 0) {
      this.acker.remove(side, done.seq)
      return done.result
    }
    this.options.onMissed(target, plan.tool)
    this.options.observer.syncFailure(target, missed[0]!.failure)
    missed.forEach(({ record, failure }, i) => {
      const { tool, id } = record.kind === 'entry' ? record.entry : record.tombstone
      // The written entry's row keeps the plan's key (an upsert may have landed on another id);
      // the tombstones of evictions name their own ids.
      const row = { target, tool, id, key: record.kind === 'entry' || id === plan.id ? plan.key : null }
      // The first fresh row replaces the write-ahead row (requeue removes it); the others only add.
      const requeued = this.requeue(side, i === 0 ? done.seq : null, row, failure)
      this.requeues.add(requeued)
      void requeued.finally(() => this.requeues.delete(requeued))
    })
    return done.result
  }

  /** Send `record` to `target`; null when it landed (or the target already holds it or newer), else why not. */
  private async mirror(target: Side, record: MirrorRecord): Promise<unknown> {
    try {
      const result = await this.timed(target, 'write', 'mirror', () => this.withTimeout(this.store(target).applyMirror(record)))
      if (result === 'applied') return null
      // `stale`: a newer version got there first (concurrent writes of one id), or the same one
      // again; the same version with other content means the sides diverged.
      const mine = record.kind === 'entry' ? record.entry : record.tombstone
      const there = await this.store(target).mirrorRecord(mine.tool, mine.id)
      const theirs = there === null ? null : there.kind === 'entry' ? there.entry : there.tombstone
      if (theirs !== null && theirs.version > mine.version) return null
      if (theirs !== null && theirs.version === mine.version && there!.kind === record.kind &&
        (record.kind === 'tombstone' || (there as { entry: MemoryEntry }).entry.contentHash === record.entry.contentHash)) return null
      return new Error(`the ${target} side holds version ${theirs?.version ?? 'none'} of ${mine.tool}/${mine.id} with other content`)
    } catch (err) {
      return err
    }
  }

  /**
   * Keep the write's outbox row for the repair worker. A fresh row (due after the retry delay)
   * replaces the write-ahead one: that one may already have been claimed and replayed with the
   * state from before a slow write, and retrying a removed row would silently do nothing.
   */
  private async requeue(side: Side, seq: number | null, row: { target: Side; tool: string; id: string; key: string | null }, failure: unknown): Promise<void> {
    const message = failure instanceof Error ? failure.message : String(failure)
    try {
      const store = this.store(side)
      const fresh = await store.outboxAdd(row, this.options.retryDelayMs)
      if (seq !== null) this.acker.remove(side, seq)
      // Record the failure on the row (attempts, lastError) for /admin/traffic; best effort.
      await store.outboxRetry(fresh, this.options.retryDelayMs, message).catch(() => {})
    } catch {
      // If even this fails, the write-ahead row still becomes due after the grace period (it names
      // the written id only: a missed eviction is then left to verify --repair).
      if (seq !== null) await Promise.resolve().then(() => this.store(side).outboxRetry(seq, this.options.retryDelayMs, message)).catch(() => {})
    }
  }

  /** Outbox row, then the write; a domain answer (conflict, not found) removes the row again. */
  private async guarded<T>(side: Side, plan: WritePlan, op: (store: MemoryStore) => Promise<T>): Promise<{ seq: number; result: T }> {
    const store = this.store(side)
    const row = { target: otherSide(side), tool: plan.tool, id: plan.id, key: plan.key }
    const seq = await store.outboxAdd(row, this.options.intentGraceMs)
    try {
      return { seq, result: await op(store) }
    } catch (err) {
      if (!isBackendFailure(err)) this.acker.remove(side, seq)
      throw err
    }
  }

  /** Run `fn`, reporting its duration and whether the backend failed. */
  async timed<T>(side: Side, kind: OperationKind, role: OperationRole, fn: () => Promise<T>): Promise<T> {
    const start = performance.now()
    try {
      const value = await fn()
      this.options.observer.operation(side, kind, role, performance.now() - start, false)
      return value
    } catch (err) {
      this.options.observer.operation(side, kind, role, performance.now() - start, isBackendFailure(err))
      throw err
    }
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.mirrorTimeoutMs
    return withDeadline(promise, ms, () => new MirrorTimeoutError(ms))
  }


  /** Finish re-adding rows of failed mirrors, then remove the rows of mirrors that landed. */
  async flush(): Promise<void> {
    await Promise.all(this.requeues)
    await this.acker.flush()
  }
}
