/**
 * The cross-tool access log (design §5): every entry a tool reads that another tool owns (by id, in
 * a listing, a search or a context) is noted here on the request path (synchronously, no I/O) and
 * written to the store in batches every `intervalMs` and at shutdown. The store keeps the newest
 * `keepRows`; admins read it through `GET /admin/access-log`. Like access statistics, the log may
 * lag and, past `maxPending` unwritten reads, drop the surplus (counted in `dropped`), but it never
 * slows a read down.
 */
import { PeriodicBatch } from '../../shared/periodic-batch.js'
import type { MemoryStore } from '../../storage/memory-store.js'
import type { MemoryEntry } from '../memory/memory-entry.js'
import type { CrossToolRead } from './tool-record.js'

export interface CrossToolReadLogOptions {
  intervalMs: number
  keepRows: number
  now: () => number
  /** @default 10 000 */
  maxPending?: number
  /** Told of each cross-tool read as it happens (the counter). */
  onRead?: (read: CrossToolRead) => void
  onError?: (err: unknown) => void
}

export class CrossToolReadLog extends PeriodicBatch {
  private pending: CrossToolRead[] = []
  /** Reads not logged because too many were waiting. */
  dropped = 0

  constructor(
    private readonly store: Pick<MemoryStore, 'appendAccessLog'>,
    private readonly options: CrossToolReadLogOptions,
  ) {
    super(options.intervalMs)
  }

  /** Note the entries of `entries` that `reader` does not own. */
  record(reader: string, entries: readonly MemoryEntry[], via: string): void {
    const at = new Date(this.options.now())
    for (const entry of entries) {
      if (entry.tool === reader) continue
      const read: CrossToolRead = { reader, owner: entry.tool, id: entry.id, via, at }
      this.options.onRead?.(read)
      if (this.pending.length < (this.options.maxPending ?? 10_000)) this.pending.push(read)
      else this.dropped++
    }
  }

  /** Write what is pending (`flush()`, the timer, `stop()`); a failed batch is retried next time. */
  protected async writeBatch(): Promise<void> {
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    try {
      await this.store.appendAccessLog(batch, this.options.keepRows)
    } catch (err) {
      this.options.onError?.(err)
      const room = Math.max(0, (this.options.maxPending ?? 10_000) - this.pending.length)
      this.dropped += Math.max(0, batch.length - room)
      this.pending = [...batch.slice(0, room), ...this.pending]
    }
  }
}
