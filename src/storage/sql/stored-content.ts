/**
 * How the SQL store keeps an entry's content (migration 0002): plain in `content`, or — when a
 * `CompressionPolicy` is configured and compressing pays — as `content_blob` bytes with their
 * `content_codec`, `content` then NULL. Either way every write also sends the plain text (as the
 * `content` parameter), from which the statement fills the derived, never-selected columns:
 *
 * - `search_vector` = to_tsvector('english', left(text, INDEXED_CHARS)): full-text search covers
 *   compressed entries as far as it covers plain ones (their first 100 000 characters).
 * - `content_head` = left(text, CONTENT_HEAD_CHARS) for compressed rows, NULL for plain rows. The
 *   trigram index is on `coalesce(content, content_head)`, so substring search covers plain
 *   entries whole but compressed ones only within their first 4 096 characters.
 *
 * For a compressed row the parameter carries only the first INDEXED_CHARS characters (all the
 * statement reads of it), so a large entry does not travel twice in full.
 */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import { AppError } from '../../errors/app-error.js'
import { type Codec, compressIfWorthIt, type CompressionPolicy, decompress } from '../../compression/content-codec.js'

/** Characters of the text indexed for full-text search (a tsvector is capped at 1 MiB; see 0001). */
export const INDEXED_CHARS = 100_000

/** Characters of a compressed entry kept plain in `content_head` for substring search. */
export const CONTENT_HEAD_CHARS = 4_096

/** What a write binds for an entry's content. */
export interface StoredContent {
  /** The plain text: all of it for a plain row, its first INDEXED_CHARS characters for a compressed one. */
  text: string
  /** Null for a plain row. */
  codec: Codec | null
  /** The compressed UTF-8 bytes; null for a plain row. */
  blob: Buffer | null
  /** UTF-8 bytes saved by compressing (0 for a plain row). */
  savedBytes: number
  /** Compressed size / original size (1 for a plain row). */
  ratio: number
}

/** Store the content plain. */
function plain(text: string): StoredContent {
  return { text, codec: null, blob: null, savedBytes: 0, ratio: 1 }
}

/**
 * The stored form of `content` under `policy` (undefined: never compress). Plain content below the
 * threshold costs no allocation: UTF-8 needs at most 3 bytes per UTF-16 unit, so a text shorter
 * than a third of `minBytes` is known to be below it without encoding it.
 */
export async function storeContent(content: string, policy: CompressionPolicy | undefined): Promise<StoredContent> {
  if (policy === undefined || policy.codec === null || content.length * 3 < policy.minBytes) return plain(content)
  const compressed = await compressIfWorthIt(content, policy)
  if (compressed === null) return plain(content)
  // Postgres rejects NUL in text (the plain path fails with 22021 → validation_failed); the bytes
  // would take it, and only the indexed prefix travels as text, so refuse it here the same way.
  if (content.includes('\u0000')) {
    throw new AppError('validation_failed', 'Text must not contain NUL (U+0000) characters.')
  }
  return {
    text: leftChars(content, INDEXED_CHARS),
    codec: compressed.codec,
    blob: compressed.bytes,
    savedBytes: compressed.originalBytes - compressed.bytes.length,
    ratio: compressed.bytes.length / compressed.originalBytes,
  }
}

/**
 * The first `count` characters of `text` as Postgres' `left()` counts them: code points, a
 * surrogate pair being one (a lone surrogate also counts as one: it travels as U+FFFD).
 */
export function leftChars(text: string, count: number): string {
  if (text.length <= count) return text
  let units = 0
  for (let chars = 0; chars < count && units < text.length; chars++) {
    const unit = text.charCodeAt(units)
    const pair = unit >= 0xd800 && unit <= 0xdbff && units + 1 < text.length
    units += pair && isLowSurrogate(text.charCodeAt(units + 1)) ? 2 : 1
  }
  return text.slice(0, units)
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

/** The stored columns of a row's content: plain `content`, or `content_blob` + `content_codec`. */
export interface ContentColumns {
  content: string | null
  content_codec: string | null
  /** bytea: a Buffer on pg, a Uint8Array on PGlite. */
  content_blob: Uint8Array | null
}

/** The plain text of a compressed row. */
export async function decodeContent(row: ContentColumns): Promise<string> {
  const blob = row.content_blob!
  const bytes = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)
  return decompress(row.content_codec as Codec, bytes)
}

/** Reports of saved bytes after a write that stored compressed content. */
export type CompressedListener = (savedBytes: number, ratio: number) => void

/** Tell `listener` about `stored` when it was compressed. */
export function reportCompressed(stored: StoredContent, listener: CompressedListener | undefined): void {
  if (stored.codec !== null) listener?.(stored.savedBytes, stored.ratio)
}

/** An entry with the content form a write binds. */
export interface EntryWrite {
  entry: MemoryEntry
  stored: StoredContent
}
