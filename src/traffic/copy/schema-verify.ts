/**
 * Schema verify (design §7): scan every live row of a store and validate it against the stored
 * entry schema (entry-json.ts): patterns and limits of the model, contentHash recomputed from
 * content, tokens and version ranges, updatedAt not before createdAt.
 */
import type { MemoryStore, ScanKey } from '../../storage/memory-store.js'
import { errorMessage, withRetry } from './concurrency.js'
import { entryToJson, storedEntryProblems } from './entry-json.js'
import type { ProgressSink } from './progress.js'
import { keyOf } from './scan-key.js'

export interface BadRow {
  tool: string
  id: string
  problems: string[]
}

export interface SchemaVerifyOptions {
  store: Pick<MemoryStore, 'scan'>
  /** @default 500 */
  chunkSize?: number
  /** Content larger than this (UTF-8 bytes) is a problem. @default no limit */
  maxContentBytes?: number
  /** Bad rows kept in the report (all are counted). @default 1000 */
  maxListed?: number
  /** @default 3 */
  retries?: number
  retryBaseMs?: number
  signal?: AbortSignal
  progress?: ProgressSink
  now?: () => number
}

export interface SchemaVerifyReport {
  rows: number
  badRows: number
  bad: BadRow[]
  /** A read that failed after its retries; the scan stopped there. */
  failure: string | null
  aborted: boolean
  exitCode: 0 | 1 | 2
}

export async function runSchemaVerify(options: SchemaVerifyOptions): Promise<SchemaVerifyReport> {
  const chunkSize = options.chunkSize ?? 500
  const maxListed = options.maxListed ?? 1000
  const now = options.now ?? Date.now
  const started = now()
  const report: SchemaVerifyReport = { rows: 0, badRows: 0, bad: [], failure: null, aborted: false, exitCode: 0 }
  let after: ScanKey | null = null
  const state = () => ({ rows: report.rows, runRows: report.rows, total: null, chunkSize, elapsedMs: now() - started })

  while (!options.signal?.aborted) {
    const from: ScanKey | null = after
    let rows
    try {
      rows = await withRetry(() => options.store.scan(from, chunkSize), { retries: options.retries ?? 3, baseMs: options.retryBaseMs ?? 200 })
    } catch (err) {
      report.failure = `scan after ${from === null ? 'the start' : `${from.tool}/${from.id}`}: ${errorMessage(err)}`
      break
    }
    if (rows.length === 0) break
    for (const entry of rows) {
      const problems = storedEntryProblems(entryToJson(entry), options.maxContentBytes)
      if (problems.length === 0) continue
      report.badRows++
      if (report.bad.length < maxListed) report.bad.push({ tool: entry.tool, id: entry.id, problems })
    }
    report.rows += rows.length
    after = keyOf(rows[rows.length - 1]!)
    options.progress?.update(state())
  }
  report.aborted = options.signal?.aborted === true
  options.progress?.done(state())
  report.exitCode = report.failure !== null || report.aborted ? 2 : report.badRows > 0 ? 1 : 0
  return report
}
