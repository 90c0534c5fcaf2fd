/**
 * The traffic guard (design §7): watches green's health over a rolling window and says whether the
 * controller should step traffic back. Pure: no timers, no I/O; the clock is injectable.
 *
 * Window: `SLICES` time slices of `windowMs / SLICES` each, in a ring keyed by slice start. A slot
 * whose start is not the current slice's is recycled on write and skipped on read, so old data ages
 * out without timers and memory stays bounded. The live window is the current slice plus the
 * previous `SLICES - 1`, i.e. between 0.9 and 1 × `windowMs` of history.
 *
 * Judging: each signal is judged only with at least `minSamples` observations behind it:
 * - error ratio: green operations (a failure is a backend failure; domain answers are successes);
 * - latency ratio: timed operations (`durationMs` not null; the app times reads only, since the
 *   sides' write mixes differ) recorded on *each* side (counted, not just retained in reservoirs,
 *   so a `minSamples` above the reservoir capacity still works); green p99 / max(blue p99, 1 ms):
 *   the 1 ms floor keeps a sub-millisecond blue (e.g. an in-memory or cached path) from turning a
 *   harmless 2 ms green into a huge ratio, and makes a 0 ms blue p99 safe to divide by;
 * - mismatch ratio: shadow compares.
 * Outcome: `fail` when any judged signal is strictly above its threshold; `pass` when at least one
 * signal was judged and none failed (a signal without enough data neither vetoes nor supports: in
 * `dualwrite`, for instance, there are green writes but no shadow compares, and green's errors must
 * still be able to pass or fail on their own); `hold` when nothing could be judged.
 */

export type GuardOutcome = 'pass' | 'hold' | 'fail'
export const GUARD_REASONS = ['error_ratio', 'latency_ratio', 'mismatch_ratio'] as const
export type GuardReason = (typeof GUARD_REASONS)[number]

export interface GuardThresholds {
  windowMs: number
  minSamples: number
  /** 0..1 */
  maxErrorRatio: number
  /** green p99 / blue p99 */
  maxLatencyRatio: number
  /** 0..1 */
  maxMismatchRatio: number
}

export interface GuardFigures {
  greenOperations: number
  greenErrors: number
  errorRatio: number | null
  blueP99Ms: number | null
  greenP99Ms: number | null
  /** Computed with blue p99 floored at `BLUE_P99_FLOOR_MS`. */
  latencyRatio: number | null
  shadowCompares: number
  confirmedMismatches: number
  mismatchRatio: number | null
}

export interface GuardEvaluation {
  outcome: GuardOutcome
  reasons: GuardReason[]
  figures: GuardFigures
  at: number
}

export const SLICES = 10
/** Latency samples kept per slice and side; reservoir sampling beyond. */
export const RESERVOIR_SIZE = 512
/** Blue p99 below this is taken as this when computing the latency ratio (see the header). */
export const BLUE_P99_FLOOR_MS = 1

type Side = 'blue' | 'green'

interface Reservoir {
  samples: number[]
  /** Operations seen in the slice (reservoir sampling needs it; also the weight of each sample). */
  seen: number
}

interface Slice {
  start: number
  /** Green operations (the error ratio's denominator; latency has its own counts). */
  greenOps: number
  greenErrors: number
  compares: number
  mismatches: number
  blue: Reservoir
  green: Reservoir
}

function emptySlice(start: number): Slice {
  return { start, greenOps: 0, greenErrors: 0, compares: 0, mismatches: 0, blue: { samples: [], seen: 0 }, green: { samples: [], seen: 0 } }
}

/**
 * Nearest-rank p99 over the live reservoirs. Each retained sample stands for `seen / samples.length`
 * operations, so a busy slice whose reservoir was downsampled is not outweighed by a quiet one.
 */
function weightedP99(reservoirs: Reservoir[]): number | null {
  const points: Array<[value: number, weight: number]> = []
  let total = 0
  for (const r of reservoirs) {
    if (r.samples.length === 0) continue
    const weight = r.seen / r.samples.length
    for (const v of r.samples) points.push([v, weight])
    total += r.seen
  }
  if (points.length === 0) return null
  points.sort((a, b) => a[0] - b[0])
  // Tolerance: with unit weights this is exactly the classic rank ceil(0.99 n).
  const target = 0.99 * total - 1e-9 * total
  let cumulative = 0
  for (const [value, weight] of points) {
    cumulative += weight
    if (cumulative >= target) return value
  }
  return points[points.length - 1]![0]
}

export class TrafficGuard {
  private readonly thresholds: GuardThresholds
  private readonly sliceMs: number
  private readonly ring: Array<Slice | undefined> = new Array(SLICES)

  constructor(thresholds: GuardThresholds, private readonly now: () => number = Date.now) {
    if (!Number.isFinite(thresholds.windowMs) || thresholds.windowMs <= 0) {
      throw new RangeError(`guard windowMs must be a positive number, got ${thresholds.windowMs}`)
    }
    // minSamples 0 would judge 0/0; one observation is the least that means anything.
    this.thresholds = { ...thresholds, minSamples: Math.max(1, Math.ceil(thresholds.minSamples)) }
    this.sliceMs = thresholds.windowMs / SLICES
  }

  /** One storage operation on a side: its duration and whether the backend failed (domain answers like not_found / version conflict are successes). */
  recordOperation(side: Side, durationMs: number | null, failed: boolean): void {
    const slice = this.current()
    if (side === 'green') {
      slice.greenOps++
      if (failed) slice.greenErrors++
    }
    // null: counted for the error ratio only (e.g. writes, whose mix differs between the sides).
    if (durationMs === null) return
    // Failed operations count toward latency too: a timeout is exactly the tail p99 should see.
    const r = slice[side]
    r.seen++
    const value = Number.isFinite(durationMs) ? Math.max(0, durationMs) : 0
    if (r.samples.length < RESERVOIR_SIZE) r.samples.push(value)
    else {
      // Algorithm R: every operation of the slice has the same chance of being retained.
      const j = Math.floor(Math.random() * r.seen)
      if (j < RESERVOIR_SIZE) r.samples[j] = value
    }
  }

  /** One completed shadow comparison: confirmed=true when a mismatch survived its re-check. */
  recordShadowCompare(confirmedMismatch: boolean): void {
    const slice = this.current()
    slice.compares++
    if (confirmedMismatch) slice.mismatches++
  }

  evaluate(): GuardEvaluation {
    const at = this.now()
    const live = this.live(at)
    const { minSamples, maxErrorRatio, maxLatencyRatio, maxMismatchRatio } = this.thresholds
    let greenOperations = 0, greenErrors = 0, greenTimed = 0, blueTimed = 0, shadowCompares = 0, confirmedMismatches = 0
    for (const s of live) {
      greenOperations += s.greenOps
      greenErrors += s.greenErrors
      greenTimed += s.green.seen
      blueTimed += s.blue.seen
      shadowCompares += s.compares
      confirmedMismatches += s.mismatches
    }
    const blueP99Ms = weightedP99(live.map((s) => s.blue))
    const greenP99Ms = weightedP99(live.map((s) => s.green))

    const errorRatio = greenOperations >= minSamples ? greenErrors / greenOperations : null
    const latencyRatio =
      greenTimed >= minSamples && blueTimed >= minSamples && blueP99Ms !== null && greenP99Ms !== null
        ? greenP99Ms / Math.max(blueP99Ms, BLUE_P99_FLOOR_MS)
        : null
    const mismatchRatio = shadowCompares >= minSamples ? confirmedMismatches / shadowCompares : null

    const reasons: GuardReason[] = []
    if (errorRatio !== null && errorRatio > maxErrorRatio) reasons.push('error_ratio')
    if (latencyRatio !== null && latencyRatio > maxLatencyRatio) reasons.push('latency_ratio')
    if (mismatchRatio !== null && mismatchRatio > maxMismatchRatio) reasons.push('mismatch_ratio')
    const judged = errorRatio !== null || latencyRatio !== null || mismatchRatio !== null
    const outcome: GuardOutcome = reasons.length > 0 ? 'fail' : judged ? 'pass' : 'hold'

    return {
      outcome,
      reasons,
      figures: {
        greenOperations, greenErrors, errorRatio,
        blueP99Ms, greenP99Ms, latencyRatio,
        shadowCompares, confirmedMismatches, mismatchRatio,
      },
      at,
    }
  }

  /** Forget the window (used when an operator changes the config). */
  reset(): void {
    this.ring.fill(undefined)
  }

  /** Latency samples retained in live slices: at most SLICES × 2 × RESERVOIR_SIZE (for tests and metrics). */
  sampleCount(): number {
    return this.live(this.now()).reduce((n, s) => n + s.blue.samples.length + s.green.samples.length, 0)
  }

  private sliceStart(at: number): number {
    return Math.floor(at / this.sliceMs) * this.sliceMs
  }

  private slot(start: number): number {
    const k = Math.round(start / this.sliceMs)
    return ((k % SLICES) + SLICES) % SLICES
  }

  /** The slice for now, recycling its slot when it still holds an older (or, if the clock stepped back, newer) slice. */
  private current(): Slice {
    const start = this.sliceStart(this.now())
    const i = this.slot(start)
    let slice = this.ring[i]
    if (slice === undefined || slice.start !== start) {
      slice = emptySlice(start)
      this.ring[i] = slice
    }
    return slice
  }

  /** Slices within the window ending at `at`: the current one and the SLICES - 1 before it. */
  private live(at: number): Slice[] {
    const current = this.sliceStart(at)
    const oldest = current - (SLICES - 1) * this.sliceMs
    // Half a slice of slack absorbs float error in starts computed as floor(at / sliceMs) * sliceMs.
    const eps = this.sliceMs / 2
    const out: Slice[] = []
    for (let i = 0; i < SLICES; i++) {
      const s = this.ring[i]
      if (s === undefined) continue
      if (s.start > oldest - eps && s.start < current + eps) out.push(s)
      else this.ring[i] = undefined // stale: drop it now rather than hold its samples until reuse
    }
    return out
  }
}
