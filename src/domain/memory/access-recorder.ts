/**
 * Access statistics without a write per read: reads are counted in memory and flushed to the
 * store in one batched statement every `intervalMs` (and at shutdown). A failed flush keeps the
 * counts for the next attempt, bounded by `maxPending` distinct entries (beyond it, new entries
 * are not tracked until the next flush: statistics may lag, reads never wait).
 */
import { PeriodicFlush } from '../../shared/periodic-flush.js'

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

export class AccessRecorder {
  private pending = new Map<string, AccessRecord>()
  private readonly periodic: PeriodicFlush

  constructor(
    private readonly sink: AccessSink,
    private readonly options: AccessRecorderOptions,
  ) {
    this.periodic = new PeriodicFlush(options.intervalMs, () => this.doFlush())
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

  start(): void {
    this.periodic.start()
  }

  /** Write the pending counts; concurrent calls share one flush. */
  flush(): Promise<void> {
    return this.periodic.flush()
  }

  /** Stop the timer and write what is pending. */
  stop(): Promise<void> {
    return this.periodic.stop()
  }

  private async doFlush(): Promise<void> {
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
