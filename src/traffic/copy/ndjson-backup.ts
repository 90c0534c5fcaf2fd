/**
 * NDJSON backups (design §7): one line per tool registration (`{"registration":{…}}`, by tool), then
 * one stored entry per line (every field, access stats included) in (tool, id) order, then a
 * trailer line `{"trailer":{"format":"mcp-memory-ndjson","version":2,"rows":N,"registrations":R,
 * "sha256":"<hex of all preceding bytes>"}}`. Version 1 files (entries only) still import.
 * Import checks the trailer before anything else: a file without it, with another row count or
 * checksum (truncated, edited, mixed) is refused whole. Lines that then fail the entry schema are
 * reported by line number and, by default, nothing is written (a restore is all or nothing);
 * `skipInvalid` writes the valid rest. Writes use `applyMirror`, which is idempotent, so importing
 * the same file twice only reports the rows as stale. Registrations are written when the target
 * lacks them or holds an older one (by `updatedAt`), like the backfill's copy.
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { readFile, rename, rm } from 'node:fs/promises'
import { once } from 'node:events'
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { MemoryStore, ScanKey } from '../../storage/memory-store.js'
import { mapLimit } from './concurrency.js'
import { entryFromJson, entryToJson, type StoredEntryJson, storedEntryProblems } from './entry-json.js'
import type { ToolRecord } from '../../domain/tools/tool-record.js'
import { applyRegistrations, registrationFromJson, registrationToJson, type RegistryTarget } from './registrations.js'
import { compareKeys, keyOf } from './scan-key.js'

export const NDJSON_FORMAT = 'mcp-memory-ndjson'
export const NDJSON_VERSION = 2
/** Versions `import` reads: 1 (entries only) and 2 (registrations, then entries). */
const READABLE_VERSIONS = [1, 2]

/** The file is not a complete, unmodified backup; nothing was written. */
export class BackupFormatError extends Error {
  override name = 'BackupFormatError'
}

export interface ExportResult {
  /** Entry lines. */
  rows: number
  registrations: number
  sha256: string
}

/** Write the backup of `store` through `write` (which should wait for the sink to drain). */
export async function exportNdjson(
  store: BackupSource, write: (text: string) => Promise<void>,
  options: { chunkSize?: number; signal?: AbortSignal } = {},
): Promise<ExportResult> {
  const hash = createHash('sha256')
  const registrations = await store.listTools()
  if (registrations.length > 0) {
    const text = registrations.map((r) => JSON.stringify({ registration: registrationToJson(r) }) + '\n').join('')
    hash.update(text, 'utf8')
    await write(text)
  }
  let rows = 0
  let after: ScanKey | null = null
  for (;;) {
    if (options.signal?.aborted) throw new Error('export aborted')
    const batch: MemoryEntry[] = await store.scan(after, options.chunkSize ?? 500)
    if (batch.length === 0) break
    const text = batch.map((e) => JSON.stringify(entryToJson(e)) + '\n').join('')
    hash.update(text, 'utf8')
    await write(text)
    rows += batch.length
    after = keyOf(batch[batch.length - 1]!)
  }
  const sha256 = hash.digest('hex')
  const trailer = { format: NDJSON_FORMAT, version: NDJSON_VERSION, rows, registrations: registrations.length, sha256 }
  await write(JSON.stringify({ trailer }) + '\n')
  return { rows, registrations: registrations.length, sha256 }
}

/** Export to `path`, or to stdout for `-`. A file appears only when complete (temp file + rename). */
export async function exportToFile(store: BackupSource, path: string, options: { chunkSize?: number; signal?: AbortSignal } = {}): Promise<ExportResult> {
  if (path === '-') return exportNdjson(store, (text) => writeTo(process.stdout, text), options)
  const temp = `${path}.${process.pid}.tmp`
  const out = createWriteStream(temp)
  try {
    const result = await exportNdjson(store, (text) => writeTo(out, text), options)
    out.end()
    await once(out, 'finish')
    await rename(temp, path)
    return result
  } catch (err) {
    out.destroy()
    await rm(temp, { force: true })
    throw err
  }
}

export interface RejectedLine {
  line: number
  problems: string[]
}

export interface ParsedBackup {
  /** Entry lines. */
  rows: number
  entries: MemoryEntry[]
  registrations: ToolRecord[]
  rejected: RejectedLine[]
}

export type BackupSource = Pick<MemoryStore, 'scan' | 'listTools'>
export type BackupTarget = Pick<MemoryStore, 'applyMirror'> & RegistryTarget

/** Check the trailer and validate every line. Throws BackupFormatError when the file is not intact. */
export function parseBackup(bytes: Buffer): ParsedBackup {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length
  const split = bytes.lastIndexOf(0x0a, end - 1)
  const body = bytes.subarray(0, split + 1)
  const trailer = readTrailer(bytes.subarray(split + 1, end).toString('utf8'))
  const lines = body.length === 0 ? [] : body.toString('utf8').slice(0, -1).split('\n')
  if (lines.length !== trailer.rows + trailer.registrations) {
    const counted = trailer.registrations > 0 ? `${trailer.rows} rows and ${trailer.registrations} registrations` : `${trailer.rows} rows`
    throw new BackupFormatError(`the trailer counts ${counted} but the file has ${lines.length} lines; refusing a truncated or edited file`)
  }
  const actual = createHash('sha256').update(body).digest('hex')
  if (actual !== trailer.sha256) throw new BackupFormatError('checksum mismatch: the file was modified or damaged after export')

  const entries: MemoryEntry[] = []
  const registrations: ToolRecord[] = []
  const rejected: RejectedLine[] = []
  let previous: ScanKey | null = null
  lines.forEach((text, i) => {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      rejected.push({ line: i + 1, problems: ['not valid JSON'] })
      return
    }
    if (i < trailer.registrations) {
      const registration = registrationFromJson((value as { registration?: unknown } | null)?.registration)
      if ('record' in registration) registrations.push(registration.record)
      else rejected.push({ line: i + 1, problems: registration.problems })
      return
    }
    const problems = storedEntryProblems(value)
    if (problems.length === 0) {
      const key = keyOf(value as StoredEntryJson)
      if (previous !== null && compareKeys(previous, key) >= 0) problems.push('out of (tool, id) order or a duplicate of an earlier line')
      else previous = key
    }
    if (problems.length > 0) rejected.push({ line: i + 1, problems })
    else entries.push(entryFromJson(value as StoredEntryJson))
  })
  return { rows: lines.length - trailer.registrations, entries, registrations, rejected }
}

export interface ImportReport {
  /** Entry lines. */
  rows: number
  /** Registrations written (absent or older in the target). */
  registrations: number
  applied: number
  stale: number
  rejected: RejectedLine[]
  /** 0 all imported (or already present), 1 lines rejected. Format errors throw instead (exit 2). */
  exitCode: 0 | 1
}

export async function importNdjson(
  store: BackupTarget, bytes: Buffer,
  options: { concurrency?: number; onRows?: (n: number) => void; skipInvalid?: boolean } = {},
): Promise<ImportReport> {
  const parsed = parseBackup(bytes)
  if (parsed.rejected.length > 0 && options.skipInvalid !== true) {
    return { rows: parsed.rows, registrations: 0, applied: 0, stale: 0, rejected: parsed.rejected, exitCode: 1 }
  }
  const registrations = await applyRegistrations(store, parsed.registrations)
  const results = await mapLimit(parsed.entries, options.concurrency ?? 8, (entry) => store.applyMirror({ kind: 'entry', entry }))
  const applied = results.filter((r) => r === 'applied').length
  options.onRows?.(applied)
  return {
    rows: parsed.rows, registrations, applied, stale: results.length - applied, rejected: parsed.rejected,
    exitCode: parsed.rejected.length > 0 ? 1 : 0,
  }
}

export async function importFromFile(
  store: BackupTarget, path: string, options: { concurrency?: number; skipInvalid?: boolean } = {},
): Promise<ImportReport> {
  return importNdjson(store, await readFile(path), options)
}

function readTrailer(text: string): { rows: number; registrations: number; sha256: string } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = null
  }
  const t = (value as { trailer?: Record<string, unknown> } | null)?.trailer
  if (t === undefined || t === null || typeof t !== 'object') {
    throw new BackupFormatError('missing trailer: the last line is not a backup trailer (truncated file?)')
  }
  if (t.format !== NDJSON_FORMAT || !READABLE_VERSIONS.includes(t.version as number)) {
    throw new BackupFormatError(`unsupported backup format ${JSON.stringify(t.format)} version ${JSON.stringify(t.version)}`)
  }
  if (!Number.isSafeInteger(t.rows) || (t.rows as number) < 0 || typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256)) {
    throw new BackupFormatError('malformed trailer (rows or sha256)')
  }
  const registrations = t.version === 1 ? 0 : t.registrations
  if (!Number.isSafeInteger(registrations) || (registrations as number) < 0) throw new BackupFormatError('malformed trailer (registrations)')
  return { rows: t.rows as number, registrations: registrations as number, sha256: t.sha256 }
}

async function writeTo(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain')
}
