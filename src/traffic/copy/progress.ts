/**
 * Progress output of the long-running data tools. On a terminal: one line redrawn in place with
 * `\r`. Otherwise (a Kubernetes Job log, a CI file): a plain line per chunk, at most one per
 * `intervalMs`, so logs stay readable whatever the chunk rate.
 */
export interface ProgressState {
  /** Rows done in total (a resumed run includes the earlier runs' rows). */
  rows: number
  /** Rows done by this run: the rate is computed from these. */
  runRows: number
  /** Rows expected in total (from `stats()`), or null when unknown. */
  total: number | null
  chunkSize: number
  /** ms since this run started. */
  elapsedMs: number
}

export interface ProgressSink {
  update(state: ProgressState): void
  /** The final state: always printed, ends the line. */
  done(state: ProgressState): void
}

export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
}

export interface ProgressOptions {
  stream: ProgressStream
  label: string
  now?: () => number
  /** Least time between plain lines. @default 2000 */
  intervalMs?: number
}

const BAR_WIDTH = 24

export function createProgress(options: ProgressOptions): ProgressSink {
  const { stream, label } = options
  const now = options.now ?? Date.now
  const interval = options.intervalMs ?? 2000
  const tty = stream.isTTY === true
  let lastPlain = -Infinity

  return {
    update(state) {
      if (tty) {
        stream.write(`\r${barLine(label, state)}\x1b[K`)
        return
      }
      const at = now()
      if (at - lastPlain < interval) return
      lastPlain = at
      stream.write(plainLine(label, state) + '\n')
    },
    done(state) {
      stream.write(tty ? `\r${barLine(label, state)}\x1b[K\n` : plainLine(label, state) + ' (done)\n')
    },
  }
}

/** A sink that prints nothing (tests, `--json` runs). */
export const silentProgress: ProgressSink = { update() {}, done() {} }

export function plainLine(label: string, s: ProgressState): string {
  const total = s.total === null ? '' : `/${s.total}`
  const pct = percent(s)
  return `${label}: ${s.rows}${total} rows${pct === null ? '' : ` (${pct.toFixed(1)}%)`}, ${rate(s)} rows/s, chunk ${s.chunkSize}`
}

function barLine(label: string, s: ProgressState): string {
  const pct = percent(s)
  const filled = pct === null ? 0 : Math.round((Math.min(pct, 100) / 100) * BAR_WIDTH)
  const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled)
  const pctText = pct === null ? '   ?%' : `${pct.toFixed(1).padStart(5)}%`
  const total = s.total === null ? '' : `/${s.total}`
  return `${label} [${bar}] ${pctText} ${s.rows}${total} rows ${rate(s)} rows/s chunk ${s.chunkSize}`
}

function percent(s: ProgressState): number | null {
  if (s.total === null) return null
  return s.total === 0 ? 100 : (s.rows / s.total) * 100
}

function rate(s: ProgressState): number {
  return s.elapsedMs <= 0 ? 0 : Math.round((s.runRows / s.elapsedMs) * 1000)
}
