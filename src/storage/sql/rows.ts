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

/** Every column of `MemoryRow` with its SQL type, in insert order. */
const COLUMN_TYPES = {
  tool: 'text', id: 'uuid', type: 'text', key: 'text', content: 'text', content_type: 'text', metadata: 'jsonb',
  tags: 'text[]', importance: 'float8', visibility: 'text', content_hash: 'text', tokens: 'int', version: 'int',
  created_at: 'timestamptz', updated_at: 'timestamptz', expires_at: 'timestamptz', last_accessed_at: 'timestamptz',
  access_count: 'bigint',
} as const

export type MemoryColumn = keyof typeof COLUMN_TYPES

/**
 * How an entry field travels as a parameter. Metadata travels as JSON text and is cast to jsonb in
 * SQL: the pg driver would turn a top-level array into a Postgres array literal.
 */
const COLUMN_VALUES: { [C in MemoryColumn]: (e: MemoryEntry) => unknown } = {
  tool: (e) => e.tool,
  id: (e) => e.id,
  type: (e) => e.type,
  key: (e) => e.key,
  content: (e) => e.content,
  content_type: (e) => e.contentType,
  metadata: (e) => JSON.stringify(e.metadata),
  tags: (e) => e.tags,
  importance: (e) => e.importance,
  visibility: (e) => e.visibility,
  content_hash: (e) => e.contentHash,
  tokens: (e) => e.tokens,
  version: (e) => e.version,
  created_at: (e) => e.createdAt,
  updated_at: (e) => e.updatedAt,
  expires_at: (e) => e.expiresAt,
  last_accessed_at: (e) => e.lastAccessedAt,
  access_count: (e) => e.accessCount,
}

/** The columns of `MemoryRow`, in insert order. */
export const MEMORY_COLUMN_NAMES = Object.keys(COLUMN_TYPES) as MemoryColumn[]

/** `tool, id, …` for SELECT/RETURNING; `prefixed('m')` gives `m.tool, m.id, …`. */
export const MEMORY_COLUMNS = MEMORY_COLUMN_NAMES.join(', ')
export function prefixedColumns(alias: string): string {
  return MEMORY_COLUMN_NAMES.map((c) => `${alias}.${c}`).join(', ')
}

/**
 * What a replacement (update, upsert by key, update by key) takes from the incoming entry: every
 * column but tool, id, created_at, the access data and version (which the statement computes).
 */
export const REPLACED_COLUMNS = [
  'type', 'key', 'content', 'content_type', 'metadata', 'tags', 'importance', 'visibility', 'content_hash', 'tokens',
  'updated_at', 'expires_at',
] as const satisfies readonly MemoryColumn[]

/** What a mirrored entry overwrites on top of a replacement: it is stored exactly as given. */
export const MIRRORED_COLUMNS = [
  ...REPLACED_COLUMNS, 'version', 'created_at', 'last_accessed_at', 'access_count',
] as const satisfies readonly MemoryColumn[]

/** `col = <source(col)>, …` for an UPDATE SET or ON CONFLICT DO UPDATE SET. */
export function assignments<C extends MemoryColumn>(columns: readonly C[], source: (column: C) => string): string {
  return columns.map((c) => `${c} = ${source(c)}`).join(', ')
}

/** `EXCLUDED.<column>`, for ON CONFLICT DO UPDATE. */
export const excluded = (column: MemoryColumn): string => `EXCLUDED.${column}`

/** Entry columns bound as `$1..$n` in a fixed order: their values, and each one's typed placeholder. */
export class ColumnParams {
  constructor(readonly columns: readonly MemoryColumn[]) {}

  /** The parameter values of `entry`, in column order. */
  values(entry: MemoryEntry): unknown[] {
    return this.columns.map((c) => COLUMN_VALUES[c](entry))
  }

  /** `$n::type` of `column`. */
  param(column: MemoryColumn): string {
    const index = this.columns.indexOf(column)
    if (index < 0) throw new Error(`column ${column} is not bound by this statement`)
    return `$${index + 1}::${COLUMN_TYPES[column]}`
  }

  /** The number of the first parameter after the columns. */
  get next(): number {
    return this.columns.length + 1
  }
}

/**
 * Insert statements: `$1..$17`, every column in `MEMORY_COLUMN_NAMES` order but `version` (statements
 * set it: 1 on create, the given one on mirror).
 */
export const ENTRY_PARAMS = new ColumnParams(MEMORY_COLUMN_NAMES.filter((c) => c !== 'version'))

/** Replacement statements: `$1` tool, then `REPLACED_COLUMNS` as `$2..$13`. */
export const REPLACEMENT_PARAMS = new ColumnParams(['tool', ...REPLACED_COLUMNS])

/** `entry` as the `$1..$17` of `ENTRY_PARAMS`. */
export function entryValues(entry: MemoryEntry): unknown[] {
  return ENTRY_PARAMS.values(entry)
}

/** `entry` as the `$1..$13` of `REPLACEMENT_PARAMS`. */
export function replacementValues(entry: MemoryEntry): unknown[] {
  return REPLACEMENT_PARAMS.values(entry)
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
