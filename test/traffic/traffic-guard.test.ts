/** The traffic guard (design §7): rolling window, minimum samples, strict thresholds, bounded memory. */
import t from 'tap'
import { BLUE_P99_FLOOR_MS, RESERVOIR_SIZE, SLICES, TrafficGuard, type GuardThresholds } from '../../src/traffic/traffic-guard.js'

const thresholds: GuardThresholds = {
  windowMs: 60_000,
  minSamples: 20,
  maxErrorRatio: 0.05,
  maxLatencyRatio: 2,
  maxMismatchRatio: 0.01,
}

function setup(overrides: Partial<GuardThresholds> = {}) {
  const clock = { t: 1_000_000 }
  const guard = new TrafficGuard({ ...thresholds, ...overrides }, () => clock.t)
  return { guard, clock }
}

/** `n` operations on `side` of `ms` each, the first `failures` of them failed. */
function ops(guard: TrafficGuard, side: 'blue' | 'green', n: number, ms: number, failures = 0): void {
  for (let i = 0; i < n; i++) guard.recordOperation(side, ms, i < failures)
}

function compares(guard: TrafficGuard, n: number, mismatches = 0): void {
  for (let i = 0; i < n; i++) guard.recordShadowCompare(i < mismatches)
}

/** Healthy traffic on both sides plus clean shadow compares. */
function healthy(guard: TrafficGuard, n = 100): void {
  ops(guard, 'blue', n, 5)
  ops(guard, 'green', n, 5)
  compares(guard, n)
}

t.test('hold with no data and below minSamples', async (t) => {
  const { guard, clock } = setup()
  const empty = guard.evaluate()
  t.equal(empty.outcome, 'hold')
  t.same(empty.reasons, [])
  t.equal(empty.at, clock.t)
  t.same(empty.figures, {
    greenOperations: 0, greenErrors: 0, errorRatio: null,
    blueP99Ms: null, greenP99Ms: null, latencyRatio: null,
    shadowCompares: 0, confirmedMismatches: 0, mismatchRatio: null,
  })

  // 19 of everything, all of it terrible: still not enough to judge.
  ops(guard, 'blue', 19, 1)
  ops(guard, 'green', 19, 500, 19)
  compares(guard, 19, 19)
  const below = guard.evaluate()
  t.equal(below.outcome, 'hold')
  t.same(below.reasons, [])
  t.equal(below.figures.greenOperations, 19)
  t.equal(below.figures.greenErrors, 19)
  t.equal(below.figures.errorRatio, null)
  t.equal(below.figures.latencyRatio, null)
  t.equal(below.figures.mismatchRatio, null)
  t.equal(below.figures.greenP99Ms, 500, 'p99 is reported even when not judged')
})

t.test('pass with healthy figures', async (t) => {
  const { guard } = setup()
  healthy(guard)
  const e = guard.evaluate()
  t.equal(e.outcome, 'pass')
  t.same(e.reasons, [])
  t.match(e.figures, { greenOperations: 100, greenErrors: 0, errorRatio: 0, blueP99Ms: 5, greenP99Ms: 5, latencyRatio: 1, shadowCompares: 100, confirmedMismatches: 0, mismatchRatio: 0 })
})

t.test('pass on what can be judged when other signals lack data', async (t) => {
  const { guard } = setup()
  ops(guard, 'green', 100, 5) // no blue traffic, no shadow compares
  const e = guard.evaluate()
  t.equal(e.outcome, 'pass')
  t.equal(e.figures.errorRatio, 0)
  t.equal(e.figures.latencyRatio, null, 'latency needs minSamples on both sides')
  t.equal(e.figures.mismatchRatio, null)

  const shadowOnly = setup().guard
  compares(shadowOnly, 50)
  t.equal(shadowOnly.evaluate().outcome, 'pass')
})

t.test('fail on error ratio alone', async (t) => {
  const { guard } = setup()
  ops(guard, 'blue', 100, 5)
  ops(guard, 'green', 100, 5, 10)
  compares(guard, 100)
  const e = guard.evaluate()
  t.equal(e.outcome, 'fail')
  t.same(e.reasons, ['error_ratio'])
  t.equal(e.figures.errorRatio, 0.1)
  t.equal(e.figures.greenErrors, 10)
})

t.test('blue failures do not count toward the error ratio', async (t) => {
  const { guard } = setup()
  ops(guard, 'blue', 100, 5, 100)
  ops(guard, 'green', 100, 5)
  t.equal(guard.evaluate().outcome, 'pass')
})

t.test('fail on p99 latency ratio alone', async (t) => {
  const { guard } = setup()
  ops(guard, 'blue', 100, 5)
  ops(guard, 'green', 100, 40)
  compares(guard, 100)
  const e = guard.evaluate()
  t.equal(e.outcome, 'fail')
  t.same(e.reasons, ['latency_ratio'])
  t.match(e.figures, { blueP99Ms: 5, greenP99Ms: 40, latencyRatio: 8, errorRatio: 0 })
})

t.test('fail on confirmed mismatch ratio alone', async (t) => {
  const { guard } = setup()
  ops(guard, 'blue', 100, 5)
  ops(guard, 'green', 100, 5)
  compares(guard, 100, 5)
  const e = guard.evaluate()
  t.equal(e.outcome, 'fail')
  t.same(e.reasons, ['mismatch_ratio'])
  t.equal(e.figures.mismatchRatio, 0.05)
  t.equal(e.figures.confirmedMismatches, 5)
})

t.test('all reasons, in order', async (t) => {
  const { guard } = setup()
  compares(guard, 100, 50)
  ops(guard, 'green', 100, 100, 50)
  ops(guard, 'blue', 100, 5)
  t.same(guard.evaluate().reasons, ['error_ratio', 'latency_ratio', 'mismatch_ratio'])
})

t.test('thresholds are strict: exactly at threshold passes, just above fails', async (t) => {
  const { guard } = setup()
  ops(guard, 'blue', 100, 5)
  ops(guard, 'green', 100, 10, 5) // 5% errors, latency ratio exactly 2
  compares(guard, 100, 1) // 1% mismatches
  const at = guard.evaluate()
  t.match(at.figures, { errorRatio: 0.05, latencyRatio: 2, mismatchRatio: 0.01 })
  t.equal(at.outcome, 'pass')

  guard.recordOperation('green', 10, true) // 6 / 101
  guard.recordShadowCompare(true) // 2 / 101
  t.same(guard.evaluate().reasons, ['error_ratio', 'mismatch_ratio'])

  const slow = setup().guard
  ops(slow, 'blue', 100, 5)
  ops(slow, 'green', 100, 10.5)
  t.same(slow.evaluate().reasons, ['latency_ratio'])
})

t.test('p99 is nearest-rank', async (t) => {
  const { guard } = setup()
  for (let v = 1; v <= 100; v++) guard.recordOperation('green', v, false)
  t.equal(guard.evaluate().figures.greenP99Ms, 99)
  guard.recordOperation('green', 101, false) // 101 samples: rank ceil(99.99) = 100
  t.equal(guard.evaluate().figures.greenP99Ms, 100)
})

t.test('old data ages out after the window', async (t) => {
  const { guard, clock } = setup()
  ops(guard, 'blue', 100, 5)
  ops(guard, 'green', 100, 500, 100)
  compares(guard, 100, 100)
  t.same(guard.evaluate().reasons, ['error_ratio', 'latency_ratio', 'mismatch_ratio'])

  clock.t += thresholds.windowMs / 2
  t.equal(guard.evaluate().outcome, 'fail', 'still inside the window')
  healthy(guard)
  t.equal(guard.evaluate().outcome, 'fail', 'the burst still dominates half a window later')

  clock.t += thresholds.windowMs / 2
  healthy(guard)
  const e = guard.evaluate()
  t.equal(e.outcome, 'pass', 'the burst is gone one window later')
  t.equal(e.figures.greenErrors, 0)
  t.equal(e.figures.greenOperations, 200, 'healthy traffic from half a window ago is kept')
  t.equal(e.figures.greenP99Ms, 5)

  clock.t += thresholds.windowMs * 5
  t.equal(guard.evaluate().outcome, 'hold', 'an idle window has nothing to judge')
  t.equal(guard.sampleCount(), 0)
})

t.test('reset() forgets the window', async (t) => {
  const { guard } = setup()
  ops(guard, 'blue', 100, 5)
  ops(guard, 'green', 100, 5, 100)
  t.equal(guard.evaluate().outcome, 'fail')
  guard.reset()
  const e = guard.evaluate()
  t.equal(e.outcome, 'hold')
  t.equal(e.figures.greenOperations, 0)
  t.equal(guard.sampleCount(), 0)
  healthy(guard)
  t.equal(guard.evaluate().outcome, 'pass', 'records again after a reset')
})

t.test('reservoirs keep memory bounded', async (t) => {
  const { guard, clock } = setup()
  const bound = SLICES * 2 * RESERVOIR_SIZE
  // 100k operations per side, spread over a whole window so every slice fills up.
  const step = thresholds.windowMs / 100_000
  for (let i = 0; i < 100_000; i++) {
    guard.recordOperation('blue', 5, false)
    guard.recordOperation('green', (i % 100) + 1, i % 100 === 0) // 1..100 ms, 1% errors
    clock.t += step
  }
  t.ok(guard.sampleCount() <= bound, `sampleCount ${guard.sampleCount()} <= ${bound}`)
  t.ok(guard.sampleCount() >= bound * 0.8, 'most slices are full')
  const e = guard.evaluate()
  t.ok(e.figures.greenOperations > 85_000, 'operations are counted, not just sampled')
  t.ok(e.figures.errorRatio !== null && Math.abs(e.figures.errorRatio - 0.01) < 0.001)
  t.equal(e.figures.blueP99Ms, 5)
  t.ok(e.figures.greenP99Ms !== null && e.figures.greenP99Ms >= 95, `green p99 ${e.figures.greenP99Ms} still near 99`)
  t.equal(e.outcome, 'fail')
  t.same(e.reasons, ['latency_ratio'])

  // All in one slice: still one reservoir per side.
  const burst = setup().guard
  ops(burst, 'green', 100_000, 5)
  ops(burst, 'blue', 100_000, 5)
  t.equal(burst.sampleCount(), 2 * RESERVOIR_SIZE)
  t.equal(burst.evaluate().figures.greenOperations, 100_000)
})

t.test('a downsampled busy slice is not outweighed by a quiet one', async (t) => {
  const { guard, clock } = setup()
  ops(guard, 'green', 10_000, 10)
  clock.t += thresholds.windowMs / SLICES
  ops(guard, 'green', 20, 100) // 0.2% of operations: below the 1% tail
  t.equal(guard.evaluate().figures.greenP99Ms, 10)
})

t.test('blue p99 is floored for the latency ratio', async (t) => {
  const { guard } = setup()
  ops(guard, 'blue', 100, 0.1)
  ops(guard, 'green', 100, 1.5)
  const e = guard.evaluate()
  t.equal(e.figures.blueP99Ms, 0.1, 'the real blue p99 is reported')
  t.equal(e.figures.latencyRatio, 1.5 / BLUE_P99_FLOOR_MS, 'not 15')
  t.equal(e.outcome, 'pass')

  const zero = setup().guard
  ops(zero, 'blue', 100, 0)
  ops(zero, 'green', 100, 3)
  const z = zero.evaluate()
  t.equal(z.figures.latencyRatio, 3, 'a 0 ms blue does not divide by zero')
  t.same(z.reasons, ['latency_ratio'])
})

t.test('rejects a window that is not positive', async (t) => {
  t.throws(() => new TrafficGuard({ ...thresholds, windowMs: 0 }), RangeError)
  t.throws(() => new TrafficGuard({ ...thresholds, windowMs: Number.NaN }), RangeError)
})
