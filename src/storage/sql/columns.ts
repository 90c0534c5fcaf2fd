/**
 * The columns of `memories` as the statements name and bind them. Statements select exactly
 * `MEMORY_COLUMNS` (never the derived `content_head` / `search_vector`), so every memory row has
 * the `MemoryRow` shape (rows.ts). Writes bind `ENTRY_PARAMS` or `REPLACEMENT_PARAMS` and compute
 * the derived columns from the plain-text `content` parameter (see stored-content.ts).
 */
import { CONTENT_HEAD_CHARS, type EntryWrite, INDEXED_CHARS } from './stored-content.js'

/** Every selected column with its SQL type, in insert order. */
const COLUMN_TYPES = {
  tool: 'text', id: 'uuid', type: 'text', key: 'text', content: 'text', content_type: 'text', metadata: 'jsonb',
  tags: 'text[]', importance: 'float8', visibility: 'text', content_hash: 'text', tokens: 'int', version: 'int',
  created_at: 'timestamptz', updated_at: 'timestamptz', expires_at: 'timestamptz', last_accessed_at: 'timestamptz',
  access_count: 'bigint', content_codec: 'text', content_blob: 'bytea',
} as const

export type MemoryColumn = keyof typeof COLUMN_TYPES

/** Columns every write computes in SQL from the bound content; never selected. */
const DERIVED_COLUMNS = ['content_head', 'search_vector'] as const
type DerivedColumn = (typeof DERIVED_COLUMNS)[number]

/** A column a write sets. */
export type WrittenColumn = MemoryColumn | DerivedColumn

/**
 * How an entry field travels as a parameter. Metadata travels as JSON text and is cast to jsonb in
 * SQL: the pg driver would turn a top-level array into a Postgres array literal. `content` is the
 * plain text (whole, or the indexed prefix of a compressed entry); the statement stores it in the
 * `content` column only when no blob is bound.
 */
const COLUMN_VALUES: { [C in MemoryColumn]: (w: EntryWrite) => unknown } = {
  tool: (w) => w.entry.tool,
  id: (w) => w.entry.id,
  type: (w) => w.entry.type,
  key: (w) => w.entry.key,
  content: (w) => w.stored.text,
  content_type: (w) => w.entry.contentType,
  metadata: (w) => JSON.stringify(w.entry.metadata),
  tags: (w) => w.entry.tags,
  importance: (w) => w.entry.importance,
  visibility: (w) => w.entry.visibility,
  content_hash: (w) => w.entry.contentHash,
  tokens: (w) => w.entry.tokens,
  version: (w) => w.entry.version,
  created_at: (w) => w.entry.createdAt,
  updated_at: (w) => w.entry.updatedAt,
  expires_at: (w) => w.entry.expiresAt,
  last_accessed_at: (w) => w.entry.lastAccessedAt,
  access_count: (w) => w.entry.accessCount,
  content_codec: (w) => w.stored.codec,
  content_blob: (w) => w.stored.blob,
}

/** The selected columns, in insert order. */
export const MEMORY_COLUMN_NAMES = Object.keys(COLUMN_TYPES) as MemoryColumn[]

/** `tool, id, …` for SELECT/RETURNING; `prefixed('m')` gives `m.tool, m.id, …`. */
export const MEMORY_COLUMNS = MEMORY_COLUMN_NAMES.join(', ')
export function prefixedColumns(alias: string): string {
  return MEMORY_COLUMN_NAMES.map((c) => `${alias}.${c}`).join(', ')
}

/** Every column an insert sets, in order: the selected ones, then the derived ones. */
export const WRITTEN_COLUMN_NAMES: readonly WrittenColumn[] = [...MEMORY_COLUMN_NAMES, ...DERIVED_COLUMNS]
export const WRITTEN_COLUMNS = WRITTEN_COLUMN_NAMES.join(', ')

/** The bound columns a replacement takes from the incoming entry (see REPLACED_COLUMNS). */
const REPLACED_BOUND_COLUMNS = [
  'type', 'key', 'content', 'content_type', 'metadata', 'tags', 'importance', 'visibility', 'content_hash', 'tokens',
  'updated_at', 'expires_at', 'content_codec', 'content_blob',
] as const satisfies readonly MemoryColumn[]

/**
 * What a replacement (update, upsert by key, update by key) takes from the incoming entry: every
 * column but tool, id, created_at, the access data and version (which the statement computes),
 * the derived columns included.
 */
export const REPLACED_COLUMNS = [...REPLACED_BOUND_COLUMNS, ...DERIVED_COLUMNS] as const

/** What a mirrored entry overwrites on top of a replacement: it is stored exactly as given. */
export const MIRRORED_COLUMNS = [
  ...REPLACED_COLUMNS, 'version', 'created_at', 'last_accessed_at', 'access_count',
] as const satisfies readonly WrittenColumn[]

/** `col = <source(col)>, …` for an UPDATE SET or ON CONFLICT DO UPDATE SET. */
export function assignments<C extends WrittenColumn>(columns: readonly C[], source: (column: C) => string): string {
  return columns.map((c) => `${c} = ${source(c)}`).join(', ')
}

/** `EXCLUDED.<column>`, for ON CONFLICT DO UPDATE (derived columns included: EXCLUDED holds the computed values). */
export const excluded = (column: WrittenColumn): string => `EXCLUDED.${column}`

/** Entry columns bound as `$1..$n` in a fixed order: their values, and each one's typed placeholder. */
export class ColumnParams {
  constructor(readonly columns: readonly MemoryColumn[]) {}

  /** The parameter values of a write, in column order. */
  values(write: EntryWrite): unknown[] {
    return this.columns.map((c) => COLUMN_VALUES[c](write))
  }

  /** `$n::type` of a bound `column`. */
  param(column: MemoryColumn): string {
    const index = this.columns.indexOf(column)
    if (index < 0) throw new Error(`column ${column} is not bound by this statement`)
    return `$${index + 1}::${COLUMN_TYPES[column]}`
  }

  /**
   * The SQL value a write gives `column` from these parameters: the bound value, except for the
   * content columns, computed from the plain `content` parameter and the blob (NULL = plain row).
   */
  written(column: Exclude<WrittenColumn, 'version'>): string {
    const [text, blob] = [this.param('content'), this.param('content_blob')]
    switch (column) {
      case 'content':
        return `CASE WHEN ${blob} IS NULL THEN ${text} END`
      case 'content_head':
        return `CASE WHEN ${blob} IS NOT NULL THEN left(${text}, ${CONTENT_HEAD_CHARS}) END`
      case 'search_vector':
        return `to_tsvector('english'::regconfig, left(${text}, ${INDEXED_CHARS}))`
      default:
        return this.param(column)
    }
  }

  /** The number of the first parameter after the columns. */
  get next(): number {
    return this.columns.length + 1
  }
}

/**
 * Insert statements: `$1..$19`, every selected column in `MEMORY_COLUMN_NAMES` order but `version`
 * (statements set it: 1 on create, the given one on mirror).
 */
export const ENTRY_PARAMS = new ColumnParams(MEMORY_COLUMN_NAMES.filter((c) => c !== 'version'))

/** Replacement statements: `$1` tool, then the bound `REPLACED_COLUMNS` as `$2..$15`. */
export const REPLACEMENT_PARAMS = new ColumnParams(['tool', ...REPLACED_BOUND_COLUMNS])

/** The values an insert (or the mirror statement) of `write` binds to the `ENTRY_PARAMS`. */
export function entryValues(write: EntryWrite): unknown[] {
  return ENTRY_PARAMS.values(write)
}

/** The values a replacement of `write` binds to the `REPLACEMENT_PARAMS`. */
export function replacementValues(write: EntryWrite): unknown[] {
  return REPLACEMENT_PARAMS.values(write)
}

/** The `WRITTEN_COLUMNS` values of an insert from the `ENTRY_PARAMS`, with `version` (an SQL expression) in its slot. */
export function insertValues(version: string): string {
  return WRITTEN_COLUMN_NAMES.map((c) => (c === 'version' ? version : ENTRY_PARAMS.written(c))).join(', ')
}
