/** `stats` of the in-memory store: live entries and tokens per tool and type, tools in name order. */
import { isExpired, type MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { StoreStats, ToolStats } from '../memory-store.js'
import { compareText } from './filters.js'

export function entryStats(entries: Iterable<MemoryEntry>, at: number, tools?: string[]): StoreStats {
  const only = tools === undefined ? null : new Set(tools)
  const perTool = new Map<string, ToolStats>()
  for (const entry of entries) {
    if (isExpired(entry, at) || (only !== null && !only.has(entry.tool))) continue
    let stats = perTool.get(entry.tool)
    if (!stats) perTool.set(entry.tool, (stats = { tool: entry.tool, entries: 0, tokens: 0, types: {} }))
    stats.entries += 1
    stats.tokens += entry.tokens
    stats.types[entry.type] = (stats.types[entry.type] ?? 0) + 1
  }
  const sorted = [...perTool.values()].sort((a, b) => compareText(a.tool, b.tool))
  return { entries: sorted.reduce((n, s) => n + s.entries, 0), tokens: sorted.reduce((n, s) => n + s.tokens, 0), tools: sorted }
}
