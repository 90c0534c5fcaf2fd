/**
 * When the hot cache may be trusted. A store write whose cache update failed (Redis down or slow)
 * leaves an old value that must never be served once Redis is back, so:
 * - the keys such writes touched are remembered (pending invalidations) and deleted as soon as
 *   Redis answers again; until then this process neither reads nor fills the cache;
 * - if more keys fail than can be remembered, the cache stays bypassed until `maxStalenessMs`
 *   after Redis is back — by then every value filled before the outage is too old to be served
 *   (CachedStore refuses values older than that), so nothing needs to be known about them;
 * - after a burst of consecutive errors the cache is skipped for a moment (circuit breaker), so
 *   requests do not each wait out a command timeout on a struggling Redis.
 * Other replicas are covered by the same staleness bound (see README: failure behaviour).
 */
import type { HotCache } from './hot-cache.js'

export interface CacheGuardOptions {
  maxStalenessMs: number
  ttlSeconds: number
  now: () => number
  /** Invalidations remembered before falling back to waiting out the staleness bound. @default 10000 */
  maxPending?: number
  /** Consecutive errors that open the breaker. @default 5 */
  breakerThreshold?: number
  /** How long the breaker stays open. @default 1000 */
  breakerOpenMs?: number
  /** How often pending invalidations are retried. @default 1000 */
  retryMs?: number
  onError?: (err: unknown, op: string) => void
}

export class CacheGuard {
  private readonly pendingDeletes = new Set<string>()
  private readonly pendingGenerations = new Set<string>()
  private overflowed = false
  private bypassUntil = 0
  private consecutiveErrors = 0
  private breakerUntil = 0
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> | null = null

  constructor(
    private readonly cache: HotCache,
    private readonly options: CacheGuardOptions,
  ) {}

  /** True when reads and fills may use the cache now. */
  get usable(): boolean {
    const now = this.options.now()
    return this.pendingDeletes.size === 0 && this.pendingGenerations.size === 0 && !this.overflowed &&
      now >= this.bypassUntil && now >= this.breakerUntil
  }

  /** How many invalidations wait for the cache to come back. */
  get pending(): number {
    return this.pendingDeletes.size + this.pendingGenerations.size
  }

  succeeded(): void {
    this.consecutiveErrors = 0
  }

  failed(err: unknown, op: string): void {
    this.options.onError?.(err, op)
    if (++this.consecutiveErrors >= (this.options.breakerThreshold ?? 5)) {
      this.breakerUntil = this.options.now() + (this.options.breakerOpenMs ?? 1000)
      this.consecutiveErrors = 0
    }
  }

  /** A committed write could not update these cache keys: invalidate them once the cache is back. */
  lost(entryKeys: string[], generationKeys: string[]): void {
    if (!this.overflowed) {
      for (const k of entryKeys) this.pendingDeletes.add(k)
      for (const k of generationKeys) this.pendingGenerations.add(k)
      if (this.pending > (this.options.maxPending ?? 10_000)) {
        this.overflowed = true
        this.pendingDeletes.clear()
        this.pendingGenerations.clear()
      }
    }
    this.timer ??= setInterval(() => void this.flush(), this.options.retryMs ?? 1000)
    this.timer.unref()
  }

  /** Apply pending invalidations; stops retrying once all are done. Concurrent calls share one run. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  private async doFlush(): Promise<void> {
    try {
      if (this.overflowed) {
        await this.cache.ping()
        this.overflowed = false
        this.bypassUntil = this.options.now() + this.options.maxStalenessMs
      } else {
        // One key per call: pending keys belong to different tools, i.e. different cluster slots.
        for (const k of [...this.pendingDeletes]) {
          await this.cache.delete([k])
          this.pendingDeletes.delete(k)
        }
        for (const k of [...this.pendingGenerations]) {
          await this.cache.incr(k, this.options.ttlSeconds)
          this.pendingGenerations.delete(k)
        }
      }
      this.succeeded()
      if (this.pending === 0 && !this.overflowed) this.stop()
    } catch (err) {
      this.options.onError?.(err, 'flush')
    }
  }
}
