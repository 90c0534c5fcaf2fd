/**
 * The in-memory store's table: entries by (tool, id) plus the two lookup indexes the contract needs
 * (key per tool, content hash per tool). It knows nothing about expiry or versions; the store decides
 * what is live. Entries are kept as private copies: callers of the table must not hand them out.
 */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import { pair } from './composite-key.js'

export class EntryTable {
  /** id → tool → entry. The primary key is (tool, id); ids are practically unique on their own. */
  readonly #rows = new Map<string, Map<string, MemoryEntry>>()
  /** `tool\0key` → id of the entry holding that key. */
  readonly #keys = new Map<string, string>()
  /** `tool\0contentHash` → ids of the entries with that hash. */
  readonly #hashes = new Map<string, Set<string>>()

  row(tool: string, id: string): MemoryEntry | undefined {
    return this.#rows.get(id)?.get(tool)
  }

  /** Every entry stored under `id`, whatever its tool. */
  rowsWithId(id: string): MemoryEntry[] {
    return [...(this.#rows.get(id)?.values() ?? [])]
  }

  *all(): IterableIterator<MemoryEntry> {
    for (const byTool of this.#rows.values()) yield* byTool.values()
  }

  /** The entry of `tool` holding `key`, expired or not. */
  keyHolder(tool: string, key: string): MemoryEntry | undefined {
    const id = this.#keys.get(pair(tool, key))
    return id === undefined ? undefined : this.row(tool, id)
  }

  /** Entries of `tool` with this content hash, expired or not (a snapshot: safe to remove while iterating). */
  withHash(tool: string, hash: string): MemoryEntry[] {
    const ids = this.#hashes.get(pair(tool, hash))
    if (!ids) return []
    return [...ids].flatMap((id) => this.row(tool, id) ?? [])
  }

  /** Insert or replace the entry at (entry.tool, entry.id). The table takes ownership of `entry`. */
  put(entry: MemoryEntry): void {
    this.remove(entry.tool, entry.id)
    let byTool = this.#rows.get(entry.id)
    if (!byTool) this.#rows.set(entry.id, (byTool = new Map()))
    byTool.set(entry.tool, entry)
    if (entry.key !== null) this.#keys.set(pair(entry.tool, entry.key), entry.id)
    const hashKey = pair(entry.tool, entry.contentHash)
    let ids = this.#hashes.get(hashKey)
    if (!ids) this.#hashes.set(hashKey, (ids = new Set()))
    ids.add(entry.id)
  }

  /** Remove (tool, id); returns whether there was an entry. */
  remove(tool: string, id: string): boolean {
    const byTool = this.#rows.get(id)
    const entry = byTool?.get(tool)
    if (!byTool || !entry) return false
    byTool.delete(tool)
    if (byTool.size === 0) this.#rows.delete(id)
    if (entry.key !== null && this.#keys.get(pair(tool, entry.key)) === id) this.#keys.delete(pair(tool, entry.key))
    const hashKey = pair(tool, entry.contentHash)
    const ids = this.#hashes.get(hashKey)
    ids?.delete(id)
    if (ids?.size === 0) this.#hashes.delete(hashKey)
    return true
  }

  clear(): void {
    this.#rows.clear()
    this.#keys.clear()
    this.#hashes.clear()
  }
}
