/**
 * Canonical rows for `verify`: what must be equal on both sides of a migration, in one string per
 * entry. Read stats (`accessCount`, `lastAccessedAt`) are left out because they are not mirrored.
 * Metadata keys are sorted at every depth because jsonb (Postgres) reorders object keys while the
 * in-memory store keeps insertion order; the same data must give the same string on both.
 */
import { createHash } from 'node:crypto'
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import { entryToJson } from './entry-json.js'

export function canonicalRow(entry: MemoryEntry): string {
  const { lastAccessedAt: _read, accessCount: _count, metadata, ...rest } = entryToJson(entry)
  return JSON.stringify({ ...rest, metadata: sortKeys(metadata) })
}

/**
 * sha256 over the rows' canonical JSON in the given (key) order, one row per line. Order-sensitive
 * and counting every row, unlike XOR/sum digests: a duplicated row or two swapped values change it.
 * A newline separates rows unambiguously (JSON.stringify escapes newlines inside strings).
 */
export function chunkDigest(entries: readonly MemoryEntry[]): string {
  const hash = createHash('sha256')
  for (const entry of entries) hash.update(canonicalRow(entry)).update('\n')
  return hash.digest('hex')
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  const sorted: Record<string, unknown> = {}
  for (const k of Object.keys(value).sort()) sorted[k] = sortKeys((value as Record<string, unknown>)[k])
  return sorted
}
