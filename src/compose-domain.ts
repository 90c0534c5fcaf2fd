/**
 * Part of the composition root: the domain services over a ready store — the MemoryManager (entry
 * builder with the configured tokenizer and content limit) and the knowledge-graph GraphService
 * over it. Shared by the HTTP app and `mcp-memory stdio`.
 */
import type { Config } from './config/config.schema.js'
import { GraphService } from './domain/graph/graph-service.js'
import { EntryBuilder } from './domain/memory/entry-builder.js'
import type { MemoryEntry } from './domain/memory/memory-entry.js'
import { MemoryManager } from './domain/memory/memory-manager.js'
import { loadTokenCounter } from './domain/memory/token-counter.js'
import type { MemoryStore } from './storage/memory-store.js'

export interface Domain {
  manager: MemoryManager
  graph: GraphService
}

export async function composeDomain(
  config: Pick<Config, 'MAX_CONTENT_BYTES' | 'TOKENIZER'>,
  store: MemoryStore,
  options: {
    now: () => number
    /** Told of every single-entry read (access statistics). */
    onRead?: (entry: MemoryEntry) => void
  },
): Promise<Domain> {
  const countTokens = await loadTokenCounter(config.TOKENIZER)
  const manager = new MemoryManager(
    store,
    new EntryBuilder({ maxContentBytes: config.MAX_CONTENT_BYTES, countTokens, now: options.now }),
    options.onRead,
  )
  return { manager, graph: new GraphService(manager) }
}
