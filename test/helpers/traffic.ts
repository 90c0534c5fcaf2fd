/**
 * Traffic-split test helpers: settings for a stage (refined like env flags would), and a store
 * factory building a TrafficSplitStore over a fresh blue and green store per call, with a recording
 * observer and shadow reader so a test can look at what the split did.
 */
import type { Test } from 'tap'
import type { MemoryStore } from '../../src/storage/memory-store.js'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { createTestDatabase } from './services.js'
import { pgSchemaStores } from './sql-stores.js'
import type { OperationKind, OperationRole, TrafficObserver } from '../../src/traffic/mirror-writer.js'
import { OutboxRepairWorker } from '../../src/traffic/outbox-repair.js'
import { otherSide, type Side } from '../../src/traffic/routing.js'
import { ShadowReader, type ShadowResult } from '../../src/traffic/shadow-reader.js'
import { STAGE_PRESETS, type Stage, type TrafficSettings } from '../../src/traffic/stages.js'
import { resolveTrafficSettings } from '../../src/traffic/traffic-config.js'
import { TrafficSplitStore } from '../../src/traffic/traffic-split-store.js'

/** Valid settings for `stage`, refined by `dials`; throws on a rule violation (a test bug). */
export function settingsFor(stage: Stage, dials: Partial<TrafficSettings> = {}): TrafficSettings {
  const resolved = resolveTrafficSettings({
    stage,
    routingKey: dials.routingKey ?? 'tool',
    routingSalt: dials.routingSalt ?? 'test-salt',
    allowComplete: stage === 'complete',
    greenReadPercent: dials.greenReadPercent ?? STAGE_PRESETS[stage].greenReadPercent,
    greenWritePercent: dials.greenWritePercent ?? STAGE_PRESETS[stage].greenWritePercent,
    dualWrite: dials.dualWrite ?? STAGE_PRESETS[stage].dualWrite,
    shadowReadPercent: dials.shadowReadPercent ?? STAGE_PRESETS[stage].shadowReadPercent,
  })
  if (!resolved.ok) throw new Error(`bad test settings: ${resolved.errors.join('; ')}`)
  return resolved.settings
}

export interface OperationRecord {
  side: Side
  kind: OperationKind
  role: OperationRole
  failed: boolean
}

/** Collects what the split reports. */
export class RecordingObserver implements TrafficObserver {
  readonly operations: OperationRecord[] = []
  readonly syncFailures: Side[] = []
  readonly shadowResults: ShadowResult[] = []

  operation(side: Side, kind: OperationKind, role: OperationRole, _ms: number, failed: boolean): void {
    this.operations.push({ side, kind, role, failed })
  }

  syncFailure(target: Side): void {
    this.syncFailures.push(target)
  }

  count(filter: Partial<OperationRecord>): number {
    return this.operations.filter((o) => Object.entries(filter).every(([k, v]) => o[k as keyof OperationRecord] === v)).length
  }
}

export interface SplitParts {
  split: TrafficSplitStore
  blue: MemoryStore
  green: MemoryStore
  observer: RecordingObserver
}

/** A TrafficSplitStore over `blue` and `green` with fixed (or changing) settings. */
export function splitOver(
  blue: MemoryStore,
  green: MemoryStore,
  settings: TrafficSettings | (() => TrafficSettings),
  options: {
    /** The stores' clock, for stale marks (they are compared with outbox row times). */
    now?: () => number
    mirrorTimeoutMs?: number
    recheckMs?: number
    intentGraceMs?: number
    shadowDeadlineMs?: number
    shadowMaxInFlight?: number
    greenInitRetryMs?: number
  } = {},
): SplitParts {
  const observer = new RecordingObserver()
  const shadow = new ShadowReader({
    deadlineMs: options.shadowDeadlineMs ?? 1000,
    maxInFlight: options.shadowMaxInFlight ?? 64,
    recheckMs: options.recheckMs ?? 20,
    onResult: (result) => observer.shadowResults.push(result),
  })
  const split = new TrafficSplitStore({
    blue,
    green,
    settings: typeof settings === 'function' ? settings : () => settings,
    observer,
    shadow,
    mirrorTimeoutMs: options.mirrorTimeoutMs ?? 5000,
    intentGraceMs: options.intentGraceMs ?? 30_000,
    ...(options.greenInitRetryMs === undefined ? {} : { greenInitRetryMs: options.greenInitRetryMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  return { split, blue, green, observer }
}

/**
 * The outbox repair worker wired like the app (compose-traffic.ts): a drained outbox clears the
 * stale marks it covered. Tests call `runOnce()`; the interval never fires in a test's time.
 */
export function repairWorker(split: TrafficSplitStore, now: () => number, intervalMs = 60_000): OutboxRepairWorker {
  return new OutboxRepairWorker({
    store: (side) => split.store(side),
    intervalMs,
    now,
    beforeRound: () => split.flushOutboxAcks(),
    onOutboxState: (holder, replayedBefore) => split.stale.clearBefore(otherSide(holder), replayedBefore),
  })
}

/** The stages and dial sets the conformance suite runs the split under: blue still primary (or partly)… */
export const EARLY_STAGE_RUNS: ReadonlyArray<{ label: string; settings: TrafficSettings }> = [
  { label: 'off', settings: settingsFor('off') },
  { label: 'dualwrite', settings: settingsFor('dualwrite') },
  { label: 'shadow', settings: settingsFor('shadow') },
  { label: 'live at read 50 / write 20 by id', settings: settingsFor('live', { greenReadPercent: 50, greenWritePercent: 20, routingKey: 'id' }) },
]

/** …and green primary. */
export const LATE_STAGE_RUNS: ReadonlyArray<{ label: string; settings: TrafficSettings }> = [
  { label: 'live', settings: settingsFor('live') },
  { label: 'rampdown', settings: settingsFor('rampdown') },
  { label: 'complete', settings: settingsFor('complete') },
]

export const SPLIT_SUITE_RUNS = [...EARLY_STAGE_RUNS, ...LATE_STAGE_RUNS]

/**
 * The runs repeated on two real Postgres databases: every routing the split has (blue primary with
 * dual-write and with shadow reads, mixed per-id routing, green primary, green only). `off` (all
 * blue, no split logic) and `rampdown` (live's routing with other dials) run in memory only
 * (traffic-split-conformance.test.ts), which keeps the suite's time in check.
 */
export const POSTGRES_EARLY_RUNS = EARLY_STAGE_RUNS.filter((run) => run.label !== 'off')
export const POSTGRES_LATE_RUNS = LATE_STAGE_RUNS.filter((run) => run.label !== 'rampdown')

/**
 * Register the conformance suite over TrafficSplitStore for each of `runs`, blue and green each in
 * its own fresh Postgres database (a schema per store), under one parent test named `name`.
 */
export function splitPostgresSuite(t: Test, name: string, label: string, runs: typeof EARLY_STAGE_RUNS, skip: string | false): void {
  t.test(name, { skip }, async (t) => {
    const makeBlue = await pgSchemaStores(t, await createTestDatabase(t, `${label}_blue`))
    const makeGreen = await pgSchemaStores(t, await createTestDatabase(t, `${label}_green`))
    for (const { label: run, settings } of runs) {
      t.test(run, async (t) => {
        memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) =>
          splitOver(await makeBlue(clock), await makeGreen(clock), settings).split,
        { toolPrefix: 'pgsplit' })
      })
    }
  })
}
