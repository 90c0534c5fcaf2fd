/**
 * Removes outbox rows of mirrors that landed, in batches: one statement per side every few
 * milliseconds instead of one per write. A removal that fails (or never runs because the process
 * stopped) leaves rows that the repair worker replays once due: harmless, since replays are
 * idempotent.
 */
import type { MemoryStore } from '../storage/memory-store.js'
import type { Side } from './routing.js'

const FLUSH_AFTER_MS = 20
const FLUSH_AT = 200

export class OutboxAcker {
  private readonly pending: Record<Side, number[]> = { blue: [], green: [] }
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly store: (side: Side) => MemoryStore) {}

  remove(side: Side, seq: number): void {
    const list = this.pending[side]
    list.push(seq)
    if (list.length >= FLUSH_AT) void this.flushSide(side)
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS).unref()
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await Promise.all([this.flushSide('blue'), this.flushSide('green')])
  }

  private async flushSide(side: Side): Promise<void> {
    const seqs = this.pending[side]
    if (seqs.length === 0) return
    this.pending[side] = []
    try {
      await this.store(side).outboxRemove(seqs)
    } catch {
      // Left for the repair worker (see above).
    }
  }
}
