/**
 * `entries{tool,type}` and `tokens{tool}` from `store.stats()`, refreshed at scrape time at most
 * once per `maxAgeMs`, so a scrape every few seconds does not run a GROUP BY every few seconds.
 * Concurrent scrapes share one refresh.
 */
import type { MemoryStore } from '../storage/memory-store.js'
import type { Metrics } from './create-metrics.js'

export class StatsGauges {
  private refreshedAt = 0
  private inflight: Promise<void> | null = null

  constructor(
    private readonly store: MemoryStore,
    private readonly metrics: Metrics,
    private readonly maxAgeMs: number,
  ) {}

  async refreshIfStale(): Promise<void> {
    if (Date.now() - this.refreshedAt < this.maxAgeMs) return
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = null
    })
    return this.inflight
  }

  private async refresh(): Promise<void> {
    const stats = await this.store.stats()
    // Reset so that tools/types that disappeared stop being reported.
    this.metrics.entries.reset()
    this.metrics.tokens.reset()
    for (const tool of stats.tools) {
      this.metrics.tokens.set({ tool: tool.tool }, tool.tokens)
      for (const [type, count] of Object.entries(tool.types)) this.metrics.entries.set({ tool: tool.tool, type }, count)
    }
    this.refreshedAt = Date.now()
  }
}
