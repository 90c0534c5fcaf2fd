/**
 * Access statistics without a write per read: reads are counted in memory and flushed to the
 * store in one batched statement every `intervalMs` (and at shutdown). A failed flush keeps the
 * counts for the next attempt, bounded by `maxPending` distinct entries (beyond it, new entries
 * are not tracked until the next flush: statistics may lag, reads never wait).
 */
import { PeriodicBatch } from '../../shared/periodic-batch.js'

export interface AccessRecord {
  tool: string
  id: string
  /** Reads since the last flush. */
  count: number
  /** Time of the latest of those reads. */
  lastAccessedAt: Date
}

export interface AccessSink {
  recordAccess(records: AccessRecord[]): Promise<void>
}

export interface AccessRecorderOptions {
  intervalMs: number
  now: () => number
  /** @default 50000 */
  maxPending?: number
  onError?: (err: unknown) => void
}

export class AccessRecorder extends PeriodicBatch {
  private pending = new Map<string, AccessRecord>()

  constructor(
    private readonly sink: AccessSink,
    private readonly options: AccessRecorderOptions,
  ) {
    super(options.intervalMs)
  }

  /** Note one read of (tool, id). Synchronous and allocation-light: on the request path. */
  record(tool: string, id: string): void {
    const key = `${tool}\u0000${id}`
    const at = new Date(this.options.now())
    const current = this.pending.get(key)
    if (current) {
      current.count++
      current.lastAccessedAt = at
    } else if (this.pending.size < (this.options.maxPending ?? 50_000)) {
      this.pending.set(key, { tool, id, count: 1, lastAccessedAt: at })
    }
  }

  /** Write the pending counts (`flush()`, the timer, `stop()`). */
  protected async writeBatch(): Promise<void> {
    if (this.pending.size === 0) return
    const batch = this.pending
    this.pending = new Map()
    try {
      await this.sink.recordAccess([...batch.values()])
    } catch (err) {
      this.options.onError?.(err)
      // Put the counts back, merged with reads recorded meanwhile.
      for (const [key, record] of batch) {
        const newer = this.pending.get(key)
        if (newer) {
          newer.count += record.count
        } else if (this.pending.size < (this.options.maxPending ?? 50_000)) {
          this.pending.set(key, record)
        }
      }
    }
  }
}
