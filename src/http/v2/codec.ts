/** Domain entry → /v2 wire JSON (RFC 3339 timestamps). */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import { AppError } from '../../errors/app-error.js'

export type WireEntry = Omit<MemoryEntry, 'createdAt' | 'updatedAt' | 'expiresAt' | 'lastAccessedAt'> & {
  createdAt: string
  updatedAt: string
  expiresAt: string | null
  lastAccessedAt: string | null
}

export function toWire(entry: MemoryEntry): WireEntry {
  return {
    ...entry,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
    expiresAt: entry.expiresAt?.toISOString() ?? null,
    lastAccessedAt: entry.lastAccessedAt?.toISOString() ?? null,
  }
}

export function etag(entry: Pick<MemoryEntry, 'version'>): string {
  return `"${entry.version}"`
}

/**
 * The version an `If-Match` header names. `*` → 'any' (must exist). A value that is not one of our
 * ETags can never match, so it yields a version no entry has (→ 412), as RFC 9110 requires.
 */
export function parseIfMatch(header: string | undefined): number | 'any' | undefined {
  if (header === undefined) return undefined
  const value = header.trim()
  if (value === '*') return 'any'
  const first = value.split(',')[0]?.trim() ?? ''
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(first)
  if (!match?.[1]) return -1
  return Number(match[1])
}

/** True when an `If-None-Match` header matches the entry (→ 304 on GET). */
export function ifNoneMatchHits(header: string | undefined, entry: Pick<MemoryEntry, 'version'>): boolean {
  if (header === undefined) return false
  return header.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t.replace(/^W\//, '') === etag(entry)
  })
}

export function assertNever(value: never): never {
  throw new AppError('internal', `unexpected ${String(value)}`)
}
