/**
 * Row shapes of the SQL tables and their conversion to and from the domain model. Statements
 * select exactly `MEMORY_COLUMNS` (never `search_vector`), so every memory row has this shape.
 */
import type { ContentType, MemoryEntry, Tombstone, Visibility } from '../../domain/memory/memory-entry.js'
import type { IdempotencyClaim, StoredResponse } from '../memory-store.js'

/** A `memories` row as the drivers return it. */
export interface MemoryRow {
  tool: string
  id: string
  type: string
  key: string | null
  content: string
  content_type: string
  /** jsonb, parsed. */
  metadata: Record<string, unknown>
  tags: string[]
  importance: number
  visibility: string
  content_hash: string
  tokens: number
  version: number
  created_at: Date
  updated_at: Date
  expires_at: Date | null
  last_accessed_at: Date | null
  /** bigint: a string on pg, a number on PGlite. */
  access_count: string | number
}

/** The columns of `MemoryRow`, in insert order. */
export const MEMORY_COLUMN_NAMES = [
  'tool', 'id', 'type', 'key', 'content', 'content_type', 'metadata', 'tags', 'importance', 'visibility',
  'content_hash', 'tokens', 'version', 'created_at', 'updated_at', 'expires_at', 'last_accessed_at', 'access_count',
] as const

/** `tool, id, …` for SELECT/RETURNING; `prefixed('m')` gives `m.tool, m.id, …`. */
export const MEMORY_COLUMNS = MEMORY_COLUMN_NAMES.join(', ')
export function prefixedColumns(alias: string): string {
  return MEMORY_COLUMN_NAMES.map((c) => `${alias}.${c}`).join(', ')
}

export function toEntry(row: MemoryRow): MemoryEntry {
  return {
    id: row.id,
    tool: row.tool,
    type: row.type,
    key: row.key,
    content: row.content,
    contentType: row.content_type as ContentType,
    metadata: row.metadata,
    tags: row.tags,
    importance: Number(row.importance),
    visibility: row.visibility as Visibility,
    contentHash: row.content_hash,
    tokens: Number(row.tokens),
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    lastAccessedAt: row.last_accessed_at,
    accessCount: Number(row.access_count),
  }
}

/**
 * The 17 values `$1..$17` of an entry for the INSERT statements, in `MEMORY_COLUMN_NAMES` order
 * without `version` (statements set it: 1 on create, the given one on mirror). Metadata travels as
 * JSON text and is cast to jsonb in SQL: the pg driver would turn a top-level array into a
 * Postgres array literal.
 */
export function entryValues(e: MemoryEntry): unknown[] {
  return [
    e.tool, e.id, e.type, e.key, e.content, e.contentType, JSON.stringify(e.metadata), e.tags, e.importance,
    e.visibility, e.contentHash, e.tokens, e.createdAt, e.updatedAt, e.expiresAt, e.lastAccessedAt, e.accessCount,
  ]
}

/** `memory_tombstones` row. */
export interface TombstoneRow {
  tool: string
  id: string
  version: number
  deleted_at: Date
}

export function toTombstone(row: TombstoneRow): Tombstone {
  return { tool: row.tool, id: row.id, version: Number(row.version), deletedAt: row.deleted_at }
}

/** What the idempotency claim statement returns: `claimed`, or the state of the live record. */
export interface IdempotencyRow {
  state: 'claimed' | 'pending' | 'done'
  request_hash: string
  /** json, parsed; null unless done. */
  response: StoredResponse | null
}

export function toClaim(row: IdempotencyRow): IdempotencyClaim {
  if (row.state === 'done' && row.response !== null) {
    return { state: 'done', requestHash: row.request_hash, response: row.response }
  }
  return { state: row.state === 'claimed' ? 'claimed' : 'pending' }
}

/** Canonical (lowercase, hyphenated) UUID text, the only id form stores hold. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** False for text that cannot be a stored id: such ids are treated as absent, never sent to SQL. */
export function isStoredId(id: string): boolean {
  return CANONICAL_UUID.test(id)
}
