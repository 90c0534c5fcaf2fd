/** `EntryFilter` evaluation and orderings for the in-memory store (the SQL store does the same in WHERE/ORDER BY). */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { EntryFilter, ReadAccess, ScanKey } from '../memory-store.js'

/** Own tool, granted tools, or any shared entry when `includeShared`. */
export function canRead(entry: MemoryEntry, access: ReadAccess): boolean {
  return (
    entry.tool === access.tool ||
    access.grantedTools.includes(entry.tool) ||
    (access.includeShared && entry.visibility === 'shared')
  )
}

/**
 * True when `entry` passes every given criterion. An empty `tools` or `types` list matches nothing
 * ("any of none"); an empty `tags` list matches everything ("all of none"), and so does an empty
 * `contains`. `contains` compares the whole content, lowercased, literally.
 */
export function matchesFilter(entry: MemoryEntry, filter: EntryFilter): boolean {
  if (!canRead(entry, filter.access)) return false
  if (filter.tools !== undefined && !filter.tools.includes(entry.tool)) return false
  if (filter.types !== undefined && !filter.types.includes(entry.type)) return false
  if (filter.tags !== undefined && !filter.tags.every((tag) => entry.tags.includes(tag))) return false
  if (filter.key !== undefined && entry.key !== filter.key) return false
  if (filter.visibility !== undefined && entry.visibility !== filter.visibility) return false
  if (filter.contains && !entry.content.toLowerCase().includes(filter.contains.toLowerCase())) return false
  return true
}

/** Code-unit string order (what Postgres gives with `COLLATE "C"`, and bytewise for ASCII). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Newest first: id descending (UUIDv7 ids are lowercase, so string order is time order). */
export function newestFirst(a: MemoryEntry, b: MemoryEntry): number {
  return compareText(b.id, a.id)
}

/** (tool, id) ascending, the `scan` order. */
export function compareScanKey(a: ScanKey, b: ScanKey): number {
  return compareText(a.tool, b.tool) || compareText(a.id, b.id)
}
