/**
 * `entries{tool,type}`, `tokens{tool}` and `token_budget_utilization_ratio{tool}` from `store.stats()`, refreshed at scrape time at most
 * once per `maxAgeMs`, so a scrape every few seconds does not run a GROUP BY every few seconds.
 * Concurrent scrapes share one refresh.
 */
import type { ToolRecord } from '../domain/tools/tool-record.js'
import type { MemoryStore } from '../storage/memory-store.js'
import type { Metrics } from './create-metrics.js'

export class StatsGauges {
  private refreshedAt = 0
  private inflight: Promise<void> | null = null

  constructor(
    private readonly store: MemoryStore,
    private readonly metrics: Metrics,
    private readonly maxAgeMs: number,
    /** Registrations with a budget, for `token_budget_utilization_ratio{tool}`. */
    private readonly budgeted: () => Promise<ToolRecord[]> = async () => [],
  ) {}

  async refreshIfStale(): Promise<void> {
    if (Date.now() - this.refreshedAt < this.maxAgeMs) return
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = null
    })
    return this.inflight
  }

  private async refresh(): Promise<void> {
    const [stats, budgeted] = await Promise.all([this.store.stats(), this.budgeted()])
    // Reset so that tools/types that disappeared stop being reported.
    this.metrics.entries.reset()
    this.metrics.tokens.reset()
    for (const tool of stats.tools) {
      this.metrics.tokens.set({ tool: tool.tool }, tool.tokens)
      for (const [type, count] of Object.entries(tool.types)) this.metrics.entries.set({ tool: tool.tool, type }, count)
    }
    this.metrics.tokenBudgetUtilization.reset()
    const tokens = new Map(stats.tools.map((t) => [t.tool, t.tokens]))
    for (const record of budgeted) {
      const used = tokens.get(record.tool) ?? 0
      // A zero budget holds nothing: report it full only when something is there.
      const ratio = record.maxTokens! > 0 ? used / record.maxTokens! : used > 0 ? 1 : 0
      this.metrics.tokenBudgetUtilization.set({ tool: record.tool }, ratio)
    }
    this.refreshedAt = Date.now()
  }
}
