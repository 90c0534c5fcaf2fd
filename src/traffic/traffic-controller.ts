/**
 * The effective traffic settings: what the operator configured (env or TRAFFIC_CONFIG_FILE), lowered
 * by the kill switch and by the guard's latch, never raised by either (`towardBlue`).
 *
 * The guard is evaluated every `evaluateEveryMs`. On `fail` it steps the stage back
 * (`stepBackStage`), counts a rollback with the first reason and latches: the stepped-back stage
 * holds, even once green looks healthy again, until an operator changes the configuration (a new
 * fingerprint), because flapping between stages is worse than staying safe. A failing guard can
 * step back again from the latched stage.
 */
import { GUARD_REASONS, type GuardEvaluation, type GuardReason, type TrafficGuard } from './traffic-guard.js'
import type { ConfiguredTraffic, TrafficLog, TrafficRejection } from './traffic-config-source.js'
import { type Stage, stageIndex, stepBackStage, towardBlue, type TrafficSettings } from './stages.js'

/** Every reason a rollback is counted under (`traffic_rollbacks_total{reason}`). */
export const ROLLBACK_REASONS = [...GUARD_REASONS, 'kill_switch'] as const

export interface ConfigSource {
  current(): ConfiguredTraffic
  lastRejection(): TrafficRejection | null
  onChange(listener: (next: ConfiguredTraffic, previous: ConfiguredTraffic) => void): () => void
}

export interface StageCap {
  cap(): Stage | null
  onChange(listener: (cap: Stage | null, previous: Stage | null) => void): () => void
}

export interface TrafficControllerOptions {
  source: ConfigSource
  killSwitch: StageCap | null
  guard: TrafficGuard
  evaluateEveryMs: number
  log: TrafficLog
  /** A step back toward blue: `kill_switch` or the guard's first reason. */
  onRollback?: (reason: GuardReason | 'kill_switch') => void
  /** The effective settings changed (for the `traffic_stage` gauge). */
  onEffective?: (settings: TrafficSettings) => void
  now?: () => number
}

export interface GuardLatch {
  stage: Stage
  reasons: GuardReason[]
  at: number
}

export interface TrafficState {
  configured: ConfiguredTraffic
  lastRejection: TrafficRejection | null
  killSwitchCap: Stage | null
  guardLatch: GuardLatch | null
  lastEvaluation: GuardEvaluation | null
  effective: TrafficSettings
}

export class TrafficController {
  private effective: TrafficSettings
  private latch: GuardLatch | null = null
  private lastEvaluation: GuardEvaluation | null = null
  private timer: NodeJS.Timeout | null = null
  private readonly unsubscribe: Array<() => void> = []
  private readonly now: () => number

  constructor(private readonly options: TrafficControllerOptions) {
    this.now = options.now ?? Date.now
    this.effective = this.compute()
    this.unsubscribe.push(options.source.onChange((next, previous) => {
      if (next.fingerprint !== previous.fingerprint) {
        if (this.latch) options.log.info({ latch: this.latch }, 'traffic configuration changed: guard latch released')
        this.latch = null
        options.guard.reset()
      }
      this.update()
    }))
    if (options.killSwitch) {
      this.unsubscribe.push(options.killSwitch.onChange((cap) => {
        const before = this.effective.stage
        this.update()
        options.log.warn({ cap, stage: this.effective.stage }, cap === null ? 'traffic kill switch cleared' : 'traffic kill switch set')
        if (stageIndex(this.effective.stage) < stageIndex(before)) options.onRollback?.('kill_switch')
      }))
    }
  }

  /** The settings to route by now. */
  settings(): TrafficSettings {
    return this.effective
  }

  state(): TrafficState {
    return {
      configured: this.options.source.current(),
      lastRejection: this.options.source.lastRejection(),
      killSwitchCap: this.options.killSwitch?.cap() ?? null,
      guardLatch: this.latch,
      lastEvaluation: this.lastEvaluation,
      effective: this.effective,
    }
  }

  start(): void {
    this.timer ??= setInterval(() => this.evaluate(), this.options.evaluateEveryMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    for (const off of this.unsubscribe.splice(0)) off()
  }

  /** Judge the guard's window once and step back on `fail`. */
  evaluate(): GuardEvaluation {
    const evaluation = this.options.guard.evaluate()
    this.lastEvaluation = evaluation
    const stage = this.effective.stage
    const back = stepBackStage(stage)
    if (evaluation.outcome === 'fail' && back !== stage) {
      this.latch = { stage: back, reasons: evaluation.reasons, at: this.now() }
      this.options.guard.reset()
      this.update()
      this.options.log.warn({ from: stage, to: this.effective.stage, reasons: evaluation.reasons, figures: evaluation.figures },
        'traffic guard failed: stepped back toward blue until the configuration changes')
      this.options.onRollback?.(evaluation.reasons[0]!)
    }
    return evaluation
  }

  private compute(): TrafficSettings {
    let settings = this.options.source.current().settings
    const cap = this.options.killSwitch?.cap() ?? null
    if (cap !== null) settings = towardBlue(settings, cap)
    if (this.latch) settings = towardBlue(settings, this.latch.stage)
    return settings
  }

  private update(): void {
    const next = this.compute()
    const changed = JSON.stringify(next) !== JSON.stringify(this.effective)
    this.effective = next
    if (changed) this.options.onEffective?.(next)
  }
}
