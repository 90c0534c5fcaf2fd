/**
 * Write-side rules of the in-memory store: version preconditions and the uniqueness constraints
 * (id, key per tool, keyless content per tool and type). Expired rows never block a write: a rule
 * that meets one removes it physically, as the SQL store does before its unique indexes would fire.
 */
import { AppError } from '../../errors/app-error.js'
import { versionConflict } from '../../errors/conflicts.js'
import { isExpired, type MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { EntryTable } from './entry-table.js'

/**
 * `version_conflict` unless `expected` is unset or matches the live version `current` (null when
 * absent, which `expected` 0 — "must not exist" — matches).
 */
export function checkVersion(current: number | null, expected: number | undefined): void {
  if (expected !== undefined && expected !== (current ?? 0)) throw versionConflict(current)
}

/** `entry` as a replacement of `current`: id, tool, createdAt and access data are kept; version + 1. */
export function replacement(current: MemoryEntry, entry: MemoryEntry): MemoryEntry {
  return {
    ...structuredClone(entry),
    id: current.id,
    tool: current.tool,
    createdAt: new Date(current.createdAt),
    lastAccessedAt: current.lastAccessedAt === null ? null : new Date(current.lastAccessedAt),
    accessCount: current.accessCount,
    version: current.version + 1,
  }
}

export interface Constraints {
  /** `entry` when it exists and has not expired. */
  live(entry: MemoryEntry | undefined, at?: number): MemoryEntry | undefined
  /** Fails with `version_conflict` when a live entry of the tool already has this id. */
  claimId(tool: string, id: string): void
  /** The live entry other than `exceptId` holding `key` in `tool`. */
  keyHolder(tool: string, key: string, exceptId: string | null): MemoryEntry | undefined
  /** The oldest live keyless entry other than `exceptId` with the same (tool, type, contentHash). */
  sameContent(entry: MemoryEntry, exceptId: string): MemoryEntry | undefined
  /** `key_conflict` / `duplicate_content` for an entry about to be stored at (entry.tool, entry.id). */
  checkUnique(entry: MemoryEntry): void
}

export function createConstraints(table: EntryTable, now: () => number): Constraints {
  const live = (entry: MemoryEntry | undefined, at = now()) =>
    entry !== undefined && !isExpired(entry, at) ? entry : undefined

  const keyHolder = (tool: string, key: string, exceptId: string | null) => {
    const holder = table.keyHolder(tool, key)
    if (holder === undefined || holder.id === exceptId) return undefined
    if (live(holder)) return holder
    table.remove(holder.tool, holder.id)
    return undefined
  }

  const sameContent = (entry: MemoryEntry, exceptId: string) => {
    let found: MemoryEntry | undefined
    for (const other of table.withHash(entry.tool, entry.contentHash)) {
      if (other.key !== null || other.type !== entry.type || other.id === exceptId) continue
      if (!live(other)) table.remove(other.tool, other.id)
      else if (found === undefined || other.id < found.id) found = other
    }
    return found
  }

  return {
    live,
    keyHolder,
    sameContent,
    claimId(tool, id) {
      const existing = table.row(tool, id)
      if (existing === undefined) return
      if (live(existing)) throw versionConflict(existing.version)
      table.remove(tool, id)
    },
    checkUnique(entry) {
      if (entry.key !== null) {
        if (keyHolder(entry.tool, entry.key, entry.id)) {
          throw new AppError('key_conflict', `The key ${JSON.stringify(entry.key)} is already in use.`)
        }
      } else if (sameContent(entry, entry.id)) {
        throw new AppError('duplicate_content', 'Another entry of this type already has this content.')
      }
    },
  }
}
