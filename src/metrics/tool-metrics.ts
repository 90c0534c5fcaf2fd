/**
 * Metrics of tools, budgets and cross-tool reads (design §5, §9), declared on the app's registry by
 * `createMetrics`. The `tool`/`owner` labels take registered tool names: as many series as tools.
 */
import { Counter, Gauge, type Registry } from 'prom-client'

export function createToolMetrics(registry: Registry, prefix: string) {
  const registers = [registry]
  return {
    toolRegistrations: new Counter({
      name: `${prefix}tool_registrations_total`,
      help: 'Tools registered automatically on their first write (informational)',
      registers,
    }),
    tokenBudgetUtilization: new Gauge({
      name: `${prefix}token_budget_utilization_ratio`,
      help: 'Live tokens / token budget, by tool with a budget (from a cached stats snapshot)',
      labelNames: ['tool'] as const,
      registers,
    }),
    budgetEvictions: new Counter({
      name: `${prefix}budget_evictions_total`,
      help: 'Entries evicted to keep a tool within its token budget (evict policy)',
      labelNames: ['tool'] as const,
      registers,
    }),
    budgetRejections: new Counter({
      name: `${prefix}budget_rejections_total`,
      help: 'Writes refused by a token budget, by tool and reason (token_budget_exceeded, entry_exceeds_token_budget)',
      labelNames: ['tool', 'reason'] as const,
      registers,
    }),
    crossToolReads: new Counter({
      name: `${prefix}cross_tool_reads_total`,
      help: 'Entries read by a tool other than their owner, by owner (logged in the access log)',
      labelNames: ['owner'] as const,
      registers,
    }),
    contextRequests: new Counter({
      name: `${prefix}context_requests_total`,
      help: 'POST /v2/context packings, by whether entries were left out for lack of room',
      labelNames: ['truncated'] as const,
      registers,
    }),
  }
}
