/**
 * Row shapes of the SQL tables and their conversion to the domain model. Statements select exactly
 * `MEMORY_COLUMNS` (columns.ts), so every memory row has the `MemoryRow` shape. Rows of plain
 * content convert synchronously; compressed rows are decompressed on demand (`toEntries`,
 * `entryOf`), only they paying for a promise.
 */
import type { ContentType, MemoryEntry, Tombstone, Visibility } from '../../domain/memory/memory-entry.js'
import type { IdempotencyClaim, StoredResponse } from '../memory-store.js'
import { type ContentColumns, decodeContent } from './stored-content.js'

/** A `memories` row as the drivers return it. */
export interface MemoryRow extends ContentColumns {
  tool: string
  id: string
  type: string
  key: string | null
  /** The plain text; null when the content is compressed (`content_blob`, `content_codec` set). */
  content: string | null
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

/** The entry of one row, decompressing its content when stored compressed. */
export function entryOf(row: MemoryRow): MemoryEntry | Promise<MemoryEntry> {
  if (row.content_blob === null) return toEntry(row, row.content!)
  return decodeContent(row).then((content) => toEntry(row, content))
}

/**
 * The entry of a row that a write has just stored with `content` (RETURNING): a compressed row's
 * text is the one written, so it is not decompressed again, unless `content` holds lone surrogates
 * (stored, like any text, as U+FFFD) — then the stored text is what the entry must show.
 */
export function writtenEntry(row: MemoryRow, content: string): MemoryEntry | Promise<MemoryEntry> {
  if (row.content_blob === null) return toEntry(row, row.content!)
  return content.isWellFormed() ? toEntry(row, content) : entryOf(row)
}

/**
 * The entries of `rows`, in order, each made by `make` (e.g. `toEntry`, or a search hit around
 * it). Compressed rows are decompressed in parallel (zlib runs on the thread pool); a page of plain
 * rows costs one array and no promise per row.
 */
export function toEntries<R extends MemoryRow, T>(rows: R[], make: (row: R, content: string) => T): T[] | Promise<T[]> {
  const out = new Array<T>(rows.length)
  let pending: Array<Promise<void>> | null = null
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    if (row.content_blob === null) {
      out[i] = make(row, row.content!)
      continue
    }
    const decoded = decodeContent(row).then((content) => {
      out[i] = make(row, content)
    })
    if (pending === null) pending = [decoded]
    else pending.push(decoded)
  }
  return pending === null ? out : Promise.all(pending).then(() => out)
}

/**
 * The entry of a row whose content is `content`: the row's own for a plain row, the decompressed
 * text (or the text just written) for a compressed one. Synchronous and allocation-free beyond
 * the entry itself.
 */
export function toEntry(row: MemoryRow, content: string): MemoryEntry {
  return {
    id: row.id,
    tool: row.tool,
    type: row.type,
    key: row.key,
    content,
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
