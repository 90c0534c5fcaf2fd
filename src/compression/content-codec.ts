/**
 * Adaptive content compression (node:zlib, no native add-on). Content at or above `minBytes` is
 * compressed with the configured codec and kept compressed only when that saves at least
 * `minSaving` of its size — already-compressed or tiny texts stay raw. Compression and large
 * decompressions run on libuv's thread pool (async zlib), so a 1 MiB entry does not block the event
 * loop; small blobs are decompressed inline, which costs less than the round trip to the pool.
 */
import { promisify } from 'node:util'
import { brotliCompress, brotliDecompress, brotliDecompressSync, constants, gunzip, gunzipSync, gzip } from 'node:zlib'

export const CODECS = ['br', 'gzip'] as const
/** The codec stored beside compressed bytes. */
export type Codec = (typeof CODECS)[number]

/** `COMPRESSION` flag values. */
export const COMPRESSION_SETTINGS = ['brotli', 'gzip', 'none'] as const
export type CompressionSetting = (typeof COMPRESSION_SETTINGS)[number]

export interface CompressionPolicy {
  codec: Codec | null
  /** Content smaller than this (UTF-8 bytes) is never compressed. */
  minBytes: number
  /** Fraction of the size that must be saved to keep the compressed form (0.1 = 10 %). */
  minSaving: number
}

export interface Compressed {
  codec: Codec
  bytes: Buffer
  /** Size of the UTF-8 text. */
  originalBytes: number
}

const brotli = promisify(brotliCompress)
const unbrotli = promisify(brotliDecompress)
const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

/** Quality 5 gives most of brotli's ratio on text at a small fraction of quality 11's CPU. */
const BROTLI_OPTIONS = {
  params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
}

export function compressionPolicy(setting: CompressionSetting, minBytes: number, minSaving = 0.1): CompressionPolicy {
  return { codec: setting === 'brotli' ? 'br' : setting === 'gzip' ? 'gzip' : null, minBytes, minSaving }
}

/** The compressed form of `text` when the policy says it pays, else null (store it raw). */
export async function compressIfWorthIt(text: string, policy: CompressionPolicy): Promise<Compressed | null> {
  if (policy.codec === null) return null
  const raw = Buffer.from(text, 'utf8')
  if (raw.length < policy.minBytes) return null
  const bytes = policy.codec === 'br' ? await brotli(raw, BROTLI_OPTIONS) : await gzipAsync(raw)
  if (bytes.length > raw.length * (1 - policy.minSaving)) return null
  return { codec: policy.codec, bytes, originalBytes: raw.length }
}

/**
 * Compressed blobs up to this size are decompressed inline: for a ~330-byte blob the thread-pool
 * round trip cost 37–98 µs of CPU against 8–36 µs inline (bench/README.md, context packing,
 * finding 3), and 8 KiB of compressed text decompresses in well under a millisecond.
 */
export const INLINE_DECOMPRESS_BYTES = 8 * 1024

export async function decompress(codec: Codec, bytes: Buffer): Promise<string> {
  if (bytes.length <= INLINE_DECOMPRESS_BYTES) {
    return (codec === 'br' ? brotliDecompressSync(bytes) : gunzipSync(bytes)).toString('utf8')
  }
  const raw = codec === 'br' ? await unbrotli(bytes) : await gunzipAsync(bytes)
  return raw.toString('utf8')
}
