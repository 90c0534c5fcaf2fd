/**
 * Verify (design §7): walk the primary in (tool, id) chunks; for each chunk read the same key range
 * (after, last] from the secondary and compare row counts and ordered digests of canonical rows.
 * Differing chunks are narrowed to ids, re-checked after a delay (rows caught mid-write settle),
 * and optionally repaired. A chunk that cannot be read is a failure, never a pass.
 */
import type { MemoryStore, ScanKey } from '../../storage/memory-store.js'
import { chunkDigest } from './canonical-row.js'
import { errorMessage, sleep as abortableSleep, withRetry } from './concurrency.js'
import { compareKeys, formatKey, keyOf } from './scan-key.js'
import { type Candidate, type Confirmed, narrow, readRange, recheck } from './verify-diff.js'
import { repairDifferences, type Unrepaired } from './verify-repair.js'

export type VerifyPrimary = Pick<MemoryStore, 'scan' | 'getMany' | 'update'>
export type VerifySecondary = Pick<MemoryStore, 'scan' | 'getMany' | 'applyMirror'>

export interface VerifyOptions {
  primary: VerifyPrimary
  secondary: VerifySecondary
  /** Primary rows per chunk. @default 500 */
  chunkSize?: number
  /** Delay before differing ids are re-read. @default 1000 */
  recheckMs?: number
  /** Copy confirmed differences from the primary to the secondary. @default false */
  repair?: boolean
  /** Fewer compared rows than this fails the run (so an empty source cannot pass silently). */
  expectRows?: number | null
  /** Retries of a failing read. @default 3 */
  retries?: number
  /** @default 200 */
  retryBaseMs?: number
  /** Stop walking after this many failed chunks in a row. @default 3 */
  maxConsecutiveFailures?: number
  /** Ids listed per category in the report. @default 20 */
  sampleSize?: number
  /** Aborting stops after the chunk in flight; the report is then incomplete (exit 2). */
  signal?: AbortSignal
  onChunk?: (chunk: VerifyChunk) => void | Promise<void>
  /** Confirmed differing rows (e.g. `mcp_memory_verify_mismatch_rows_total`). */
  onMismatchRows?: (n: number) => void
  now?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export interface VerifyChunk {
  index: number
  after: ScanKey | null
  /** Null for the tail (secondary rows past the primary's last key). */
  last: ScanKey | null
  primaryRows: number
  secondaryRows: number
  equal: boolean
}

export interface IdList {
  count: number
  /** The first `sampleSize` as `tool/id`. */
  ids: string[]
}

export interface VerifyReport {
  passed: boolean
  exitCode: 0 | 1 | 2
  rowsCompared: number
  secondaryRows: number
  chunks: number
  differingChunks: number
  failedChunks: { at: string; error: string }[]
  missing: IdList
  extra: IdList
  different: IdList
  duplicate: IdList
  /** Candidates that were equal (or gone on both sides) when re-checked. */
  settled: number
  repaired: number
  unrepaired: Unrepaired[]
  expectRows: number | null
  aborted: boolean
  /** Why the run did not pass, one line each. */
  problems: string[]
}

export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const o = withDefaults(options)
  const report = emptyReport(o.expectRows)
  const candidates: Candidate[] = []
  const retry = { retries: o.retries, baseMs: o.retryBaseMs, sleep: (ms: number) => o.sleep(ms) }
  const fail = (at: string, err: unknown) => report.failedChunks.push({ at, error: errorMessage(err) })
  let lastDetected = -Infinity
  let after: ScanKey | null = null
  let failuresInRow = 0
  let walked = false

  const finishChunk = async (chunk: Omit<VerifyChunk, 'index'>, found: Candidate[]) => {
    report.chunks++
    if (!chunk.equal) {
      report.differingChunks++
      candidates.push(...found)
      lastDetected = o.now()
    }
    await o.onChunk?.({ index: report.chunks - 1, ...chunk })
  }

  while (!o.signal?.aborted && failuresInRow < o.maxConsecutiveFailures) {
    const from: ScanKey | null = after
    let primaryRows
    try {
      primaryRows = await withRetry(() => o.primary.scan(from, o.chunkSize), retry)
    } catch (err) {
      // Without the primary's rows the next range is unknown: the walk cannot go on.
      fail(`primary chunk after ${formatKey(from)}`, err)
      break
    }
    if (primaryRows.length === 0) {
      walked = true
      break
    }
    const last = keyOf(primaryRows[primaryRows.length - 1]!)
    after = last
    try {
      const secondary = await withRetry(() => o.secondary.scan(from, o.chunkSize + 1), retry)
      const inRange = secondary.filter((r) => compareKeys(keyOf(r), last) <= 0)
      // A (chunk + 1)-th secondary row still inside the range: the secondary has more rows there.
      const overflow = inRange.length > o.chunkSize
      const equal = !overflow && inRange.length === primaryRows.length && chunkDigest(inRange) === chunkDigest(primaryRows)
      const all = equal || !overflow ? inRange : await withRetry(() => readRange(o.secondary, from, last, o.chunkSize), retry)
      report.rowsCompared += primaryRows.length
      report.secondaryRows += all.length
      failuresInRow = 0
      await finishChunk({ after: from, last, primaryRows: primaryRows.length, secondaryRows: all.length, equal },
        equal ? [] : narrow(primaryRows, all, { after: from, last }))
    } catch (err) {
      failuresInRow++
      fail(`chunk (${formatKey(from)}, ${formatKey(last)}]`, err)
    }
  }

  // Secondary rows past the primary's last key are extras (the primary may have grown meanwhile: the re-check settles that).
  let tailAfter = after
  while (walked && !o.signal?.aborted) {
    const from = tailAfter
    let rows
    try {
      rows = await withRetry(() => o.secondary.scan(from, o.chunkSize), retry)
    } catch (err) {
      fail(`secondary tail after ${formatKey(from)}`, err)
      break
    }
    if (rows.length === 0) break
    tailAfter = keyOf(rows[rows.length - 1]!)
    report.secondaryRows += rows.length
    await finishChunk({ after: from, last: null, primaryRows: 0, secondaryRows: rows.length, equal: false },
      narrow([], rows, { after: from, last: tailAfter }))
  }

  report.aborted = o.signal?.aborted === true
  if (!walked && !report.aborted && report.failedChunks.length > 0) report.problems.push('the walk stopped early: chunks after the failure were not verified')

  let confirmed: Confirmed[] = []
  if (candidates.length > 0) {
    await o.sleep(Math.max(0, lastDetected + o.recheckMs - o.now()), o.signal)
    try {
      confirmed = await withRetry(() => recheck(o.primary, o.secondary, candidates, o.chunkSize), retry)
    } catch (err) {
      fail('re-check of differing ids', err)
    }
    const distinct = new Set(candidates.map((c) => `${c.kind === 'duplicate' ? c.side : ''}\0${c.tool}\0${c.id}`))
    report.settled = Math.max(0, distinct.size - confirmed.length)
    if (confirmed.length > 0) o.onMismatchRows?.(confirmed.length)
  }
  for (const c of confirmed) addId(report[c.kind], `${c.tool}/${c.id}`, o.sampleSize)

  if (o.repair && confirmed.length > 0) {
    const outcome = await repairDifferences(o.primary, o.secondary, confirmed, o.now)
    report.repaired = outcome.repaired
    report.unrepaired = outcome.unrepaired
    for (const e of outcome.errors) fail('repair', e)
  }
  return conclude(report, confirmed.length)
}

function conclude(report: VerifyReport, confirmed: number): VerifyReport {
  const remaining = confirmed - report.repaired
  if (report.aborted) report.problems.push('aborted before the end: the result is incomplete')
  if (report.failedChunks.length > 0) report.problems.push(`${report.failedChunks.length} chunk(s) or step(s) failed`)
  if (remaining > 0) report.problems.push(`${remaining} row(s) differ`)
  if (report.expectRows !== null && report.rowsCompared < report.expectRows) {
    report.problems.push(`${report.rowsCompared} rows compared, fewer than --expect-rows ${report.expectRows}`)
  }
  report.exitCode = report.aborted || report.failedChunks.length > 0 ? 2 : report.problems.length > 0 ? 1 : 0
  report.passed = report.exitCode === 0
  return report
}

function addId(list: IdList, id: string, sampleSize: number): void {
  list.count++
  if (list.ids.length < sampleSize) list.ids.push(id)
}

function emptyReport(expectRows: number | null): VerifyReport {
  const ids = (): IdList => ({ count: 0, ids: [] })
  return {
    passed: false, exitCode: 2, rowsCompared: 0, secondaryRows: 0, chunks: 0, differingChunks: 0, failedChunks: [],
    missing: ids(), extra: ids(), different: ids(), duplicate: ids(), settled: 0, repaired: 0, unrepaired: [],
    expectRows, aborted: false, problems: [],
  }
}

function withDefaults(options: VerifyOptions) {
  return {
    ...options,
    chunkSize: Math.max(1, options.chunkSize ?? 500),
    recheckMs: options.recheckMs ?? 1000,
    repair: options.repair ?? false,
    expectRows: options.expectRows ?? null,
    retries: options.retries ?? 3,
    retryBaseMs: options.retryBaseMs ?? 200,
    maxConsecutiveFailures: options.maxConsecutiveFailures ?? 3,
    sampleSize: options.sampleSize ?? 20,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? abortableSleep,
  }
}
