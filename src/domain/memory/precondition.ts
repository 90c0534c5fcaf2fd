/**
 * Write preconditions (RFC 9110 If-Match / If-None-Match) in one place, for every write route and
 * for batch operations. An entity tag names a version, and — on by-key routes, where the URL does
 * not name the entry — the entry id too, so that a tag of a deleted-and-recreated entry can never
 * match its successor.
 */
import { versionConflict } from '../../errors/conflicts.js'
import type { MemoryEntry } from './memory-entry.js'

export interface EntityTag {
  /** Null for the short form `"<version>"`, only meaningful where the URL names the id. */
  id: string | null
  version: number
}

export type Precondition =
  | { kind: 'none' }
  /** `If-Match: *`: the entry must exist. */
  | { kind: 'exists' }
  /** `If-None-Match: *`: the entry must not exist (create only). */
  | { kind: 'absent' }
  /** `If-Match: <tags>`: the current entry must match one of them (an empty list never matches). */
  | { kind: 'match'; tags: EntityTag[] }

export const UNCONDITIONAL: Precondition = { kind: 'none' }

/** `"<version>"`: the ETag of routes whose URL names the entry id. */
export function versionTag(entry: Pick<MemoryEntry, 'version'>): string {
  return `"${entry.version}"`
}

/** `"<id>.<version>"`: the ETag of by-key routes, where the key may move to another entry. */
export function identityTag(entry: Pick<MemoryEntry, 'id' | 'version'>): string {
  return `"${entry.id}.${entry.version}"`
}

/** True when `entry` satisfies the precondition (`exists`/`match` need an entry). */
export function satisfies(pre: Precondition, entry: MemoryEntry | null, options: { requireId: boolean }): boolean {
  switch (pre.kind) {
    case 'none':
      return true
    case 'absent':
      return entry === null
    case 'exists':
      return entry !== null
    case 'match':
      return entry !== null && pre.tags.some((t) =>
        t.version === entry.version && (t.id === null ? !options.requireId : t.id === entry.id))
  }
}

/**
 * For writes by id: the version to pass as `expectVersion` without reading first when the
 * precondition is a single tag, or null when the current entry must be read and checked.
 */
export function directVersion(pre: Precondition, id: string): number | undefined | null {
  if (pre.kind === 'none') return undefined
  if (pre.kind === 'absent') return 0
  if (pre.kind === 'match') {
    const usable = pre.tags.filter((t) => t.id === null || t.id === id)
    if (usable.length === 0) return -1 // nothing can match: the store answers 412 with the current version
    if (usable.length === 1) return usable[0]!.version
  }
  return null
}

export function preconditionFailed(current: MemoryEntry | null) {
  return versionConflict(current?.version ?? null)
}
