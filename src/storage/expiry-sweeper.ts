/**
 * Periodically removes expired entries (they are already invisible to reads; this frees space).
 * Purges in bounded chunks so one sweep never holds a long transaction; overlapping sweeps are skipped.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { MemoryStore } from './memory-store.js'

const CHUNK = 1000
const MAX_CHUNKS_PER_SWEEP = 50

export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null
  private running = false

  constructor(
    private readonly store: MemoryStore,
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** One sweep; returns how many entries were removed. */
  async sweep(): Promise<number> {
    if (this.running) return 0
    this.running = true
    let total = 0
    try {
      for (let i = 0; i < MAX_CHUNKS_PER_SWEEP; i++) {
        const n = await this.store.purgeExpired(this.now(), CHUNK)
        total += n
        if (n < CHUNK) break
      }
      if (total > 0) this.log.info({ purged: total }, 'expired entries purged')
    } catch (err) {
      this.log.warn({ err }, 'expiry sweep failed; will retry next interval')
    } finally {
      this.running = false
    }
    return total
  }
}
