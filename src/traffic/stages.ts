/**
 * The blue/green stages and dials (design §7), named after LaunchDarkly's six migration stages.
 * Pure data and pure functions: no I/O. `traffic-config.ts` validates settings built from these;
 * the traffic controller lowers them (kill switch, guard) with `towardBlue`.
 *
 * Dials (each an integer share of the 100 routing buckets, or a flag):
 * - `greenReadPercent`: buckets whose reads green serves (blue serves them when green fails).
 * - `greenWritePercent`: buckets for which green is the primary of writes. Green-primary buckets are
 *   the lowest-numbered ones, as are green-read buckets, so `write <= read` means every bucket
 *   written on green first is also read from green.
 * - `dualWrite`: every write is mirrored to the other side (blue keeps receiving every write until
 *   `complete`, which is what makes a rollback a config flip with no data movement).
 * - `shadowReadPercent`: share of reads (sampled per read) also run on the other side and compared.
 */
export const STAGES = ['off', 'dualwrite', 'shadow', 'live', 'rampdown', 'complete'] as const
export type Stage = (typeof STAGES)[number]

export type RoutingKey = 'tool' | 'id'

export interface TrafficDials {
  greenReadPercent: number
  greenWritePercent: number
  dualWrite: boolean
  shadowReadPercent: number
}

/** Everything the split layer needs to route: a stage, its (possibly refined) dials and the routing. */
export interface TrafficSettings extends TrafficDials {
  stage: Stage
  routingKey: RoutingKey
  routingSalt: string
  /** `complete` (blue no longer written) is refused unless this is true. */
  allowComplete: boolean
}

/** The dials each stage sets when no explicit percentage refines them. */
export const STAGE_PRESETS: Readonly<Record<Stage, Readonly<TrafficDials>>> = {
  off: { greenReadPercent: 0, greenWritePercent: 0, dualWrite: false, shadowReadPercent: 0 },
  dualwrite: { greenReadPercent: 0, greenWritePercent: 0, dualWrite: true, shadowReadPercent: 0 },
  shadow: { greenReadPercent: 0, greenWritePercent: 0, dualWrite: true, shadowReadPercent: 100 },
  live: { greenReadPercent: 100, greenWritePercent: 100, dualWrite: true, shadowReadPercent: 10 },
  rampdown: { greenReadPercent: 100, greenWritePercent: 100, dualWrite: true, shadowReadPercent: 0 },
  complete: { greenReadPercent: 100, greenWritePercent: 100, dualWrite: false, shadowReadPercent: 0 },
}

export function stageIndex(stage: Stage): number {
  return STAGES.indexOf(stage)
}

/**
 * The stage the guard falls back to from `stage`: from any stage where green serves reads or is a
 * write primary (`live`, `rampdown`) straight to `shadow` (stepping from `rampdown` to `live` would
 * leave green serving everything, so it would not reduce the risk); from `shadow` to `dualwrite`
 * (no more shadow reads on green). `dualwrite` and `off` stay: below `dualwrite` green would stop
 * receiving writes and drift, and mirror failures there are already repaired by the outbox.
 * `complete` stays too: blue no longer has every write, so moving reads back would serve stale data.
 */
export function stepBackStage(stage: Stage): Stage {
  switch (stage) {
    case 'live':
    case 'rampdown':
      return 'shadow'
    case 'shadow':
      return 'dualwrite'
    default:
      return stage
  }
}

/**
 * `settings` moved toward blue so that it sends green no more than `cap` does: each percentage is
 * the lower of the two and the stage becomes `capStage` when that is earlier. Dual-write is kept as
 * configured (turning it off would let green drift; the outbox absorbs mirror failures), unless the
 * cap is `off`. `complete` is never lowered: blue no longer receives writes there.
 */
export function towardBlue(settings: TrafficSettings, capStage: Stage): TrafficSettings {
  if (settings.stage === 'complete' || stageIndex(capStage) >= stageIndex(settings.stage)) return settings
  const cap = STAGE_PRESETS[capStage]
  return {
    ...settings,
    stage: capStage,
    greenReadPercent: Math.min(settings.greenReadPercent, cap.greenReadPercent),
    greenWritePercent: Math.min(settings.greenWritePercent, cap.greenWritePercent),
    shadowReadPercent: Math.min(settings.shadowReadPercent, cap.shadowReadPercent),
    dualWrite: capStage === 'off' ? false : settings.dualWrite,
  }
}
