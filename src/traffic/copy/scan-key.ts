/**
 * (tool, id) keys in `scan` order. Tools are ASCII (TOOL_PATTERN) and ids lowercase UUIDs, so
 * JavaScript string order equals the "C"-collated order of the SQL stores and the in-memory order.
 */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { ScanKey } from '../../storage/memory-store.js'

/** Sorts before every real id: `scan({ tool, id: NIL_ID })` starts at the first entry of `tool`. */
export const NIL_ID = '00000000-0000-0000-0000-000000000000'

export function keyOf(entry: Pick<MemoryEntry, 'tool' | 'id'>): ScanKey {
  return { tool: entry.tool, id: entry.id }
}

export function compareKeys(a: ScanKey, b: ScanKey): number {
  if (a.tool !== b.tool) return a.tool < b.tool ? -1 : 1
  if (a.id !== b.id) return a.id < b.id ? -1 : 1
  return 0
}

export function formatKey(key: ScanKey | null): string {
  return key === null ? '(start)' : `${key.tool}/${key.id}`
}
