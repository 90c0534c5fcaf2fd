/**
 * The bytes of a cached entry: a fixed header — version (10 ASCII digits, compared by the
 * version-guarded set), kind (1 byte), fill time in ms (13 digits) — then the payload. Kinds:
 * `E` entry as JSON, `B`/`G` the same JSON compressed with brotli/gzip, `T` tombstone (deleted at
 * that version; blocks fills of older versions).
 */
import { compressIfWorthIt, decompress, type CompressionPolicy } from '../compression/content-codec.js'
import type { MemoryEntry } from '../domain/memory/memory-entry.js'

const HEADER = 24

export type CacheRecord =
  | { kind: 'entry'; version: number; filledAt: number; entry: MemoryEntry }
  | { kind: 'tombstone'; version: number; filledAt: number }

export interface EncodeResult {
  value: Buffer
  /** Bytes saved by compressing the payload (0 when stored raw). */
  savedBytes: number
  /** compressed / original, when compressed. */
  ratio: number | null
}

function header(version: number, kind: string, filledAt: number): Buffer {
  return Buffer.from(`${String(version).padStart(10, '0')}${kind}${String(filledAt).padStart(13, '0')}`, 'latin1')
}

export async function encodeEntry(entry: MemoryEntry, filledAt: number, policy: CompressionPolicy): Promise<EncodeResult> {
  const json = JSON.stringify(entry)
  const compressed = await compressIfWorthIt(json, policy)
  if (!compressed) return { value: Buffer.concat([header(entry.version, 'E', filledAt), Buffer.from(json, 'utf8')]), savedBytes: 0, ratio: null }
  const kind = compressed.codec === 'br' ? 'B' : 'G'
  return {
    value: Buffer.concat([header(entry.version, kind, filledAt), compressed.bytes]),
    savedBytes: compressed.originalBytes - compressed.bytes.length,
    ratio: compressed.bytes.length / compressed.originalBytes,
  }
}

export function encodeTombstone(version: number, filledAt: number): Buffer {
  return header(version, 'T', filledAt)
}

/** Decode a cached value; null for anything malformed (treated as a miss, never as data). */
export async function decodeRecord(value: Buffer): Promise<CacheRecord | null> {
  if (value.length < HEADER) return null
  const head = value.subarray(0, HEADER).toString('latin1')
  const version = Number(head.slice(0, 10))
  const kind = head[10]
  const filledAt = Number(head.slice(11))
  if (!Number.isInteger(version) || !Number.isInteger(filledAt)) return null
  if (kind === 'T') return { kind: 'tombstone', version, filledAt }
  const payload = value.subarray(HEADER)
  let json: string
  if (kind === 'E') json = payload.toString('utf8')
  else if (kind === 'B') json = await decompress('br', payload)
  else if (kind === 'G') json = await decompress('gzip', payload)
  else return null
  return { kind: 'entry', version, filledAt, entry: reviveEntry(JSON.parse(json) as Record<string, unknown>) }
}

function reviveEntry(raw: Record<string, unknown>): MemoryEntry {
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string))
  return {
    ...(raw as unknown as MemoryEntry),
    createdAt: new Date(raw.createdAt as string),
    updatedAt: new Date(raw.updatedAt as string),
    expiresAt: date(raw.expiresAt),
    lastAccessedAt: date(raw.lastAccessedAt),
  }
}
