/**
 * Shadow reads (design §7, after GitHub Scientist): a sampled read also runs on the other side and
 * the two answers are compared, entirely off the response path. Each shadow call has a deadline and
 * the number in flight is capped (beyond it, compares are skipped and counted), so a slow or broken
 * green can never slow clients down. A first mismatch is re-checked after a short delay by reading
 * both sides again: most first-sight mismatches are races with a concurrent write, and only one
 * that survives the re-check counts as `mismatch`; the re-check reads the served side before and
 * after the other side, and an answer that moved meanwhile makes the compare `transient`.
 */
import type { MemoryEntry } from '../domain/memory/memory-entry.js'
import { withDeadline } from '../shared/async.js'
import type { Page } from '../storage/memory-store.js'
import type { Side } from './routing.js'
import { otherSide } from './routing.js'

export const SHADOW_RESULTS = ['match', 'mismatch', 'transient', 'error', 'timeout', 'skipped'] as const
export type ShadowResult = (typeof SHADOW_RESULTS)[number]

export interface ShadowOptions {
  deadlineMs: number
  maxInFlight: number
  recheckMs: number
  /** Told every outcome; `detail` names the operation and both signatures for a confirmed mismatch. */
  onResult(result: ShadowResult, detail?: { op: string; served: string; shadow: string }): void
}

/** A read to compare: how to run it on a side, and what of its answer must agree. */
export interface ShadowRead<T> {
  op: string
  run(side: Side): Promise<T>
  signature(value: T): string
}

// What two sides' answers must agree on (design §7): id, version, content hash and visibility of
// each entry, in order; read statistics are not mirrored and not compared.
export const entrySignature = (e: MemoryEntry | null): string =>
  e === null ? '-' : `${e.tool}/${e.id}@${e.version}#${e.contentHash}:${e.visibility}`
export const listSignature = (list: MemoryEntry[]): string => list.map(entrySignature).join(',')
export const pageSignature = (page: Page<MemoryEntry>): string =>
  `${listSignature(page.items)}${page.nextCursor === null ? '' : '+'}`

class DeadlineError extends Error {}

export class ShadowReader {
  private inFlight = 0
  private closed = false
  /** Scheduled re-checks: their timers, and how to end their wait early on close. */
  private readonly sleepers = new Map<NodeJS.Timeout, (awake: boolean) => void>()

  constructor(private readonly options: ShadowOptions) {}

  /** Compare `served` (the answer `servedBy` gave the client) with the other side, in the background. */
  compare<T>(servedBy: Side, served: T, read: ShadowRead<T>): void {
    if (this.closed) return
    if (this.inFlight >= this.options.maxInFlight) {
      this.options.onResult('skipped')
      return
    }
    // A slot is held until every read the compare started has settled, not just until its
    // deadline: a hung side must not pile up reads beyond the cap.
    this.inFlight++
    const reads: Promise<unknown>[] = []
    const tracked: ShadowRead<T> = {
      ...read,
      run: (side) => {
        const p = read.run(side)
        reads.push(p)
        return p
      },
    }
    void this.run(servedBy, served, tracked).finally(async () => {
      await Promise.allSettled(reads)
      this.inFlight--
    })
  }

  get pending(): number {
    return this.inFlight
  }

  /** Stop starting compares and drop scheduled re-checks. */
  close(): void {
    this.closed = true
    for (const [timer, wake] of this.sleepers) {
      clearTimeout(timer)
      wake(false)
    }
    this.sleepers.clear()
  }

  private async run<T>(servedBy: Side, served: T, read: ShadowRead<T>): Promise<void> {
    const shadowSide = otherSide(servedBy)
    let first: string
    try {
      first = read.signature(await this.withDeadline(read.run(shadowSide)))
    } catch (err) {
      this.options.onResult(err instanceof DeadlineError ? 'timeout' : 'error')
      return
    }
    const servedSignature = read.signature(served)
    if (first === servedSignature) {
      this.options.onResult('match')
      return
    }
    if (!(await this.sleep(this.options.recheckMs))) return
    try {
      // Served side, shadow side, served side again, one after the other: if the two served reads
      // differ the entry is being written right now and the compare is inconclusive (a race), so
      // a concurrent write cannot make a mismatch look confirmed.
      const before = read.signature(await this.withDeadline(read.run(servedBy)))
      const shadow = read.signature(await this.withDeadline(read.run(shadowSide)))
      const after = read.signature(await this.withDeadline(read.run(servedBy)))
      if (before !== after || shadow === after) this.options.onResult('transient')
      else this.options.onResult('mismatch', { op: read.op, served: after, shadow })
    } catch (err) {
      this.options.onResult(err instanceof DeadlineError ? 'timeout' : 'error')
    }
  }

  private withDeadline<T>(promise: Promise<T>): Promise<T> {
    return withDeadline(promise, this.options.deadlineMs, () => new DeadlineError())
  }


  /** Resolves true after `ms`, or false when closed meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(false)
      const timer = setTimeout(() => {
        this.sleepers.delete(timer)
        resolve(!this.closed)
      }, ms)
      timer.unref()
      this.sleepers.set(timer, resolve)
    })
  }
}
