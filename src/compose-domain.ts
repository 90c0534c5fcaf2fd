/**
 * Part of the composition root: the domain services over a ready store — the tool registry (with
 * the configured defaults), the cross-tool access log, the MemoryManager (entry builder with the
 * configured tokenizer and content limit), context packing, and the knowledge-graph GraphService.
 * Shared by the HTTP app, `mcp-memory stdio` and the data commands.
 */
import type { Config } from './config/config.schema.js'
import { ContextService } from './domain/context/context-service.js'
import { GraphService } from './domain/graph/graph-service.js'
import { EntryBuilder } from './domain/memory/entry-builder.js'
import type { MemoryEntry } from './domain/memory/memory-entry.js'
import { MemoryManager } from './domain/memory/memory-manager.js'
import { loadTokenCounter } from './domain/memory/token-counter.js'
import { CrossToolReadLog } from './domain/tools/cross-tool-reads.js'
import { ToolRegistry } from './domain/tools/tool-registry.js'
import type { Metrics } from './metrics/create-metrics.js'
import type { MemoryStore } from './storage/memory-store.js'

/** Content above this size counts in `large_entries_total` (from /v2, /v1 and MCP alike). */
export const LARGE_ENTRY_BYTES = 100 * 1024

export interface Domain {
  manager: MemoryManager
  graph: GraphService
  registry: ToolRegistry
  context: ContextService
  /** Batched cross-tool access log: `start()` it with the app, `stop()` it before closing the store. */
  crossToolReads: CrossToolReadLog
}

export type DomainConfig = Pick<Config,
  | 'MAX_CONTENT_BYTES' | 'TOKENIZER' | 'TOOL_DEFAULT_MAX_TOKENS' | 'TOOL_DEFAULT_OVER_BUDGET' | 'TOOL_DEFAULT_EVICTION_ORDER'
  | 'TOOL_DEFAULT_TTL_SECONDS' | 'TOOL_REGISTRY_REFRESH_MS' | 'ACCESS_LOG_MAX_ROWS' | 'ACCESS_FLUSH_SECONDS' | 'CONTEXT_MAX_CANDIDATES'>

/** Where the domain reports: logs and metrics (both optional for CLI use). */
export interface DomainLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export async function composeDomain(
  config: DomainConfig,
  store: MemoryStore,
  options: {
    now: () => number
    /** Told of every single-entry read (access statistics). */
    onRead?: (entry: MemoryEntry) => void
    metrics?: Metrics
    log?: DomainLog
  },
): Promise<Domain> {
  const { metrics, log, now } = options
  const countTokens = await loadTokenCounter(config.TOKENIZER)
  const registry = new ToolRegistry(store, {
    defaults: {
      maxTokens: config.TOOL_DEFAULT_MAX_TOKENS ?? null,
      overBudget: config.TOOL_DEFAULT_OVER_BUDGET,
      evictionOrder: config.TOOL_DEFAULT_EVICTION_ORDER,
      defaultTtlSeconds: config.TOOL_DEFAULT_TTL_SECONDS ?? null,
    },
    refreshMs: config.TOOL_REGISTRY_REFRESH_MS,
    now,
    onRegistered: (record) => {
      metrics?.toolRegistrations.inc()
      log?.info({ tool: record.tool, maxTokens: record.maxTokens, overBudget: record.overBudget }, 'tool registered on its first write')
    },
    onRefreshError: (err) => log?.warn({ err }, 'tool registry not refreshed; serving the last snapshot'),
  })
  const crossToolReads = new CrossToolReadLog(store, {
    intervalMs: config.ACCESS_FLUSH_SECONDS * 1000,
    keepRows: config.ACCESS_LOG_MAX_ROWS,
    now,
    onRead: (read) => metrics?.crossToolReads.inc({ owner: read.owner }),
    onError: (err) => log?.warn({ err }, 'cross-tool access log not written; retrying with the next batch'),
  })
  const manager = new MemoryManager(
    store,
    new EntryBuilder({ maxContentBytes: config.MAX_CONTENT_BYTES, countTokens, now }),
    {
      registry,
      onRead: options.onRead,
      onCrossToolRead: (reader, entries, via) => crossToolReads.record(reader, entries, via),
      onWritten: (entry) => {
        if (metrics && Buffer.byteLength(entry.content, 'utf8') > LARGE_ENTRY_BYTES) metrics.largeEntries.inc()
      },
      onEvicted: (tool, count) => metrics?.budgetEvictions.inc({ tool }, count),
      onBudgetRefused: (tool, reason) => metrics?.budgetRejections.inc({ tool, reason }),
    },
  )
  const context = new ContextService(manager, { maxCandidates: config.CONTEXT_MAX_CANDIDATES, now })
  return { manager, graph: new GraphService(manager), registry, context, crossToolReads }
}
