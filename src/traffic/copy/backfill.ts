/**
 * Backfill (design §7): copy every live entry of the source (blue) to the target (green) with
 * `applyMirror`, in (tool, id) order, chunk by chunk. `applyMirror` is newer-version-wins, so a row
 * that dual-write already mirrored in a newer version is left alone ('stale'), and re-running a
 * chunk is harmless. After every chunk the checkpoint records the last copied key; a resume with
 * the same settings continues after it, a resume with other settings is refused. A finished run
 * also copies the tool registrations (registrations.ts).
 */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { MemoryStore, ScanKey } from '../../storage/memory-store.js'
import {
  changedSettings, type Checkpoint, type CheckpointSettings, fingerprintOf, loadCheckpoint, newCheckpoint,
  saveCheckpoint, storeIdentity,
} from './checkpoint.js'
import { ChunkSizer } from './chunk-sizer.js'
import { errorMessage, mapLimit, sleep as abortableSleep, withRetry } from './concurrency.js'
import { type ProgressSink, silentProgress } from './progress.js'
import { copyRegistrations, type RegistrySource, type RegistryTarget } from './registrations.js'
import { keyOf, NIL_ID } from './scan-key.js'

export type BackfillSource = Pick<MemoryStore, 'scan' | 'stats'> & RegistrySource
export type BackfillTarget = Pick<MemoryStore, 'applyMirror' | 'getMany'> & RegistryTarget

export interface BackfillOptions {
  source: BackfillSource
  target: BackfillTarget
  /** The stores' URLs (or labels): only hashes of them, credentials removed, reach the checkpoint. */
  sourceId: string
  targetId: string
  checkpointFile: string
  /** Copy only these tools. @default every tool */
  tools?: string[] | null
  /** Initial rows per chunk. @default 500 */
  chunkSize?: number
  /** @default 50 */
  minChunk?: number
  /** @default 5000 */
  maxChunk?: number
  /** Chunk time the adaptive size aims at. @default 500 */
  targetChunkMs?: number
  /** Throttle; 0 = unthrottled. @default 0 */
  rowsPerSecond?: number
  /** applyMirror calls in flight within a chunk. @default 8 */
  concurrency?: number
  /** Retries of a failing chunk (read or write) before the run fails. @default 3 */
  retries?: number
  /** @default 250 */
  retryBaseMs?: number
  /** Read and count only: nothing is written, not even the checkpoint. */
  dryRun?: boolean
  /** Discard an existing checkpoint and start over. */
  restart?: boolean
  /** Aborting stops the run after the chunk in flight, with its checkpoint saved. */
  signal?: AbortSignal
  /** Called after each chunk, once its checkpoint is saved. */
  onChunk?: (chunk: BackfillChunk) => void | Promise<void>
  /** Rows written by each chunk (e.g. `mcp_memory_backfill_rows_total`). */
  onRows?: (n: number) => void
  progress?: ProgressSink
  now?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export interface BackfillChunk {
  index: number
  rows: number
  applied: number
  stale: number
  /** The last key of the chunk. */
  last: ScanKey
  durationMs: number
  size: number
  nextSize: number
  /** Rows done in total, earlier runs included. */
  totalRows: number
}

export interface BackfillResult {
  status: 'done' | 'aborted' | 'already-done'
  dryRun: boolean
  /** Where this run started (null = from the beginning). */
  resumedFrom: ScanKey | null
  /** This run's counts. In a dry run `applied` is the rows the target would take (an estimate: tombstones are not visible). */
  rows: number
  applied: number
  stale: number
  chunks: number
  /** The final state (not saved in a dry run). */
  checkpoint: Checkpoint
  /** Tool registrations copied at the end (0 in a dry run or a stopped run). */
  registrations: number
}

/** A resume whose settings differ from the checkpoint's. */
export class BackfillRefusedError extends Error {
  override name = 'BackfillRefusedError'
  constructor(readonly changed: string[], file: string) {
    super(`checkpoint ${file} was written with other settings (changed: ${changed.join(', ')}); ` +
      'pass --restart to discard it and start over, or run with the original settings')
  }
}

/** A chunk that still failed after its retries; the checkpoint holds the last good chunk. */
export class BackfillChunkError extends Error {
  override name = 'BackfillChunkError'
}

export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const o = withDefaults(options)
  const settings: CheckpointSettings = {
    source: storeIdentity(o.sourceId), target: storeIdentity(o.targetId), tools: o.tools,
    chunkSize: o.chunkSize, minChunk: o.minChunk, maxChunk: o.maxChunk,
  }
  const sizer = new ChunkSizer({ initial: o.chunkSize, min: o.minChunk, max: o.maxChunk, targetMs: o.targetChunkMs })
  const saved = o.restart ? null : await loadCheckpoint(o.checkpointFile)
  if (saved !== null && saved.fingerprint !== fingerprintOf(settings)) {
    throw new BackfillRefusedError(changedSettings(saved.settings, settings), o.checkpointFile)
  }
  const checkpoint: Checkpoint = saved ?? newCheckpoint(settings, new Date(o.now()))
  const result: BackfillResult = {
    status: 'done', dryRun: o.dryRun, resumedFrom: checkpoint.after, rows: 0, applied: 0, stale: 0, chunks: 0, checkpoint, registrations: 0,
  }
  if (checkpoint.done) return { ...result, status: 'already-done' }

  const total = await o.source.stats(o.tools ?? undefined).then((s) => s.entries, () => null)
  const started = o.now()
  const state = () => ({ rows: checkpoint.rows, runRows: result.rows, total, chunkSize: sizer.size, elapsedMs: o.now() - started })
  const retry = { retries: o.retries, baseMs: o.retryBaseMs, sleep: (ms: number) => o.sleep(ms) }

  while (!o.signal?.aborted) {
    // Under a throttle, a chunk holds at most about a second's worth of rows (no long bursts).
    const size = o.rowsPerSecond > 0 ? Math.min(sizer.size, Math.max(o.minChunk, o.rowsPerSecond)) : sizer.size
    const chunkStart = o.now()
    const { rows, applied, stale } = await withRetry(async () => {
      const rows = await readChunk(o.source, checkpoint.after, size, o.tools)
      const counts = o.dryRun ? await countWouldApply(o.target, rows) : await applyRows(o.target, rows, o.concurrency)
      return { rows, ...counts }
    }, retry).catch((err: unknown) => {
      throw new BackfillChunkError(`chunk after ${describe(checkpoint.after)} failed after ${o.retries} retries: ${errorMessage(err)}`)
    })
    if (rows.length === 0) break
    const durationMs = o.now() - chunkStart
    const last = keyOf(rows[rows.length - 1]!)
    Object.assign(checkpoint, {
      after: last, rows: checkpoint.rows + rows.length, applied: checkpoint.applied + applied,
      stale: checkpoint.stale + stale, updatedAt: new Date(o.now()).toISOString(),
    })
    result.rows += rows.length
    result.applied += applied
    result.stale += stale
    result.chunks++
    if (!o.dryRun) {
      await saveCheckpoint(o.checkpointFile, checkpoint)
      o.onRows?.(applied)
    }
    const nextSize = sizer.record(durationMs)
    o.progress.update(state())
    await o.onChunk?.({
      index: result.chunks - 1, rows: rows.length, applied, stale, last, durationMs, size, nextSize, totalRows: checkpoint.rows,
    })
    if (o.rowsPerSecond > 0) await o.sleep(result.rows / o.rowsPerSecond * 1000 - (o.now() - started), o.signal)
  }

  if (o.signal?.aborted) result.status = 'aborted'
  else {
    if (!o.dryRun) result.registrations = await withRetry(() => copyRegistrations(o.source, o.target, o.tools), retry)
    checkpoint.done = true
    checkpoint.updatedAt = new Date(o.now()).toISOString()
    if (!o.dryRun) await saveCheckpoint(o.checkpointFile, checkpoint)
  }
  o.progress.done(state())
  return result
}

/**
 * The next chunk after `after`. With a tool filter, each listed tool is scanned from its first key
 * (`NIL_ID` sorts before every id) and the chunk stops at the tool's end, so unlisted tools are
 * skipped by seeking, not by reading them.
 */
async function readChunk(source: BackfillSource, after: ScanKey | null, limit: number, tools: string[] | null): Promise<MemoryEntry[]> {
  if (tools === null) return source.scan(after, limit)
  for (const tool of tools) {
    if (after !== null && tool < after.tool) continue
    const start = after !== null && after.tool === tool ? after : { tool, id: NIL_ID }
    const rows = await source.scan(start, limit)
    const end = rows.findIndex((r) => r.tool !== tool)
    const own = end === -1 ? rows : rows.slice(0, end)
    if (own.length > 0) return own
  }
  return []
}

async function applyRows(target: BackfillTarget, rows: MemoryEntry[], concurrency: number) {
  const results = await mapLimit(rows, concurrency, (entry) => target.applyMirror({ kind: 'entry', entry }))
  const applied = results.filter((r) => r === 'applied').length
  return { applied, stale: results.length - applied }
}

/** Dry run: how many rows the target would take (absent there, or an older version). */
async function countWouldApply(target: BackfillTarget, rows: MemoryEntry[]) {
  let applied = 0
  for (const [tool, group] of groupByTool(rows)) {
    const there = new Map((await target.getMany(tool, group.map((e) => e.id))).map((e) => [e.id, e.version]))
    applied += group.filter((e) => (there.get(e.id) ?? 0) < e.version).length
  }
  return { applied, stale: rows.length - applied }
}

export function groupByTool(rows: readonly MemoryEntry[]): Map<string, MemoryEntry[]> {
  const groups = new Map<string, MemoryEntry[]>()
  for (const row of rows) {
    const group = groups.get(row.tool)
    if (group) group.push(row)
    else groups.set(row.tool, [row])
  }
  return groups
}

function describe(key: ScanKey | null): string {
  return key === null ? 'the start' : `${key.tool}/${key.id}`
}

function withDefaults(options: BackfillOptions) {
  const tools = options.tools && options.tools.length > 0 ? [...new Set(options.tools)].sort() : null
  return {
    ...options,
    tools,
    chunkSize: options.chunkSize ?? 500,
    minChunk: options.minChunk ?? 50,
    maxChunk: options.maxChunk ?? 5000,
    targetChunkMs: options.targetChunkMs ?? 500,
    rowsPerSecond: options.rowsPerSecond ?? 0,
    concurrency: options.concurrency ?? 8,
    retries: options.retries ?? 3,
    retryBaseMs: options.retryBaseMs ?? 250,
    dryRun: options.dryRun ?? false,
    restart: options.restart ?? false,
    progress: options.progress ?? silentProgress,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? abortableSleep,
  }
}
