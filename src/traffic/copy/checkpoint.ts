/**
 * The backfill checkpoint: a JSON file with the last copied key, counters, and a fingerprint of the
 * settings that change what a resume would do. Stores appear only as hashes of their URLs with
 * credentials removed, so the file holds no secrets and a password rotation does not void it.
 * Written atomically (temp file + rename): a crash leaves the previous checkpoint or the new one.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { ScanKey } from '../../storage/memory-store.js'

export const CHECKPOINT_VERSION = 1

/** What the fingerprint covers. */
export interface CheckpointSettings {
  /** `storeIdentity` of the source and target URLs. */
  source: string
  target: string
  /** Sorted tool filter, or null for every tool. */
  tools: string[] | null
  chunkSize: number
  minChunk: number
  maxChunk: number
}

export interface Checkpoint {
  version: number
  fingerprint: string
  /** The settings behind the fingerprint, so that a refused resume can say which one changed. */
  settings: CheckpointSettings
  /** The last key copied; null before the first chunk. */
  after: ScanKey | null
  rows: number
  applied: number
  stale: number
  startedAt: string
  updatedAt: string
  done: boolean
}

export class CheckpointError extends Error {
  override name = 'CheckpointError'
}

/** How each setting is named to the operator. */
const SETTING_NAMES: Record<keyof CheckpointSettings, string> = {
  source: 'source store (--from / STORE_URL)',
  target: 'target store (--to / GREEN_STORE_URL)',
  tools: '--tools',
  chunkSize: '--chunk-size',
  minChunk: '--min-chunk',
  maxChunk: '--max-chunk',
}

/** sha256 of the URL without password or secret-looking query parameters. */
export function storeIdentity(url: string): string {
  let text = url
  try {
    const u = new URL(url)
    u.password = ''
    for (const name of [...u.searchParams.keys()]) if (/pass|secret|token|key/i.test(name)) u.searchParams.delete(name)
    text = u.toString()
  } catch {
    text = url.replace(/\/\/[^@/]*@/, '//')
  }
  return 'sha256:' + sha256(text).slice(0, 32)
}

export function fingerprintOf(settings: CheckpointSettings): string {
  const { source, target, tools, chunkSize, minChunk, maxChunk } = settings
  return 'sha256:' + sha256(JSON.stringify([source, target, tools, chunkSize, minChunk, maxChunk]))
}

/** Operator-facing names of the settings that differ between a checkpoint and this run. */
export function changedSettings(saved: CheckpointSettings | undefined, current: CheckpointSettings): string[] {
  if (saved === undefined) return ['(checkpoint has no settings record)']
  const keys = Object.keys(SETTING_NAMES) as (keyof CheckpointSettings)[]
  return keys.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(current[k])).map((k) => SETTING_NAMES[k])
}

export function newCheckpoint(settings: CheckpointSettings, now: Date): Checkpoint {
  const at = now.toISOString()
  return {
    version: CHECKPOINT_VERSION, fingerprint: fingerprintOf(settings), settings, after: null,
    rows: 0, applied: 0, stale: 0, startedAt: at, updatedAt: at, done: false,
  }
}

/** The checkpoint in `file`, or null when there is none. A malformed file is an error, never ignored. */
export async function loadCheckpoint(file: string): Promise<Checkpoint | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new CheckpointError(`cannot read checkpoint ${file}: ${(err as Error).message}`)
  }
  let parsed: Partial<Checkpoint>
  try {
    parsed = JSON.parse(text) as Partial<Checkpoint>
  } catch {
    throw new CheckpointError(`checkpoint ${file} is not valid JSON; remove it or pass --restart`)
  }
  if (parsed.version !== CHECKPOINT_VERSION || typeof parsed.fingerprint !== 'string') {
    throw new CheckpointError(`checkpoint ${file} has an unknown format (version ${String(parsed.version)}); pass --restart`)
  }
  return parsed as Checkpoint
}

export async function saveCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  await writeFile(temp, JSON.stringify(checkpoint, null, 2) + '\n', 'utf8')
  await rename(temp, file)
}

export async function removeCheckpoint(file: string): Promise<void> {
  await rm(file, { force: true })
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}
