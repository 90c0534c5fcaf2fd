/**
 * Part of the composition root: the blue/green runtime (design §7) when GREEN_STORE_URL is set.
 * Wires the two side stacks into a TrafficSplitStore with its config source (env + watched file),
 * kill switch (Redis, when REDIS_URL is set), guard, controller, shadow reader, repair worker and
 * metrics.
 */
import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'
import type { Config } from './config/config.schema.js'
import type { Metrics } from './metrics/create-metrics.js'
import type { MemoryStore } from './storage/memory-store.js'
import { KillSwitch } from './traffic/kill-switch.js'
import { OutboxRepairWorker, type OutboxFigures } from './traffic/outbox-repair.js'
import { otherSide, type Side } from './traffic/routing.js'
import { ShadowReader } from './traffic/shadow-reader.js'
import { STAGES } from './traffic/stages.js'
import { trafficValuesFromConfig } from './traffic/traffic-config.js'
import { TrafficConfigSource } from './traffic/traffic-config-source.js'
import { TrafficController, type TrafficState } from './traffic/traffic-controller.js'
import { TrafficGuard, type GuardThresholds } from './traffic/traffic-guard.js'
import { TrafficSplitStore } from './traffic/traffic-split-store.js'

export interface SideHealth {
  backend: string
  up: boolean
  error?: string
  initialised?: boolean
}

/** What `/admin/traffic` shows. */
export interface TrafficView extends TrafficState {
  guardThresholds: GuardThresholds
  outbox: OutboxFigures & { oldestAgeSeconds: number }
  sides: Record<Side, SideHealth>
  /** Tools this process keeps off a side until its outbox rows are replayed (see stale-marks.ts). */
  staleTools: Record<Side, number>
}

export interface TrafficRuntime {
  store: TrafficSplitStore
  source: TrafficConfigSource
  controller: TrafficController
  killSwitch: KillSwitch | null
  repair: OutboxRepairWorker
  view(): Promise<TrafficView>
  /** Whether green answers a ping now. */
  greenUp(): Promise<boolean>
  /** Refresh the outbox gauges (scrape time). */
  refreshGauges(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

export function composeTraffic(
  config: Readonly<Config>,
  sides: { blue: MemoryStore; green: MemoryStore },
  options: { metrics: Metrics; log: FastifyBaseLogger; now: () => number },
): TrafficRuntime {
  const { metrics, log, now } = options
  const source = new TrafficConfigSource({
    env: trafficValuesFromConfig(config),
    filePath: config.TRAFFIC_CONFIG_FILE,
    pollMs: config.TRAFFIC_CONFIG_POLL_MS,
    log,
    now,
  })
  source.start()
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 500, enableOfflineQueue: false })
    : null
  redis?.on('error', () => {}) // the kill switch logs its own failures once
  const killSwitch = redis
    ? new KillSwitch({ redis, key: config.TRAFFIC_KILL_SWITCH_KEY, pollMs: config.TRAFFIC_KILL_SWITCH_POLL_MS, log })
    : null
  const guardThresholds: GuardThresholds = {
    windowMs: config.TRAFFIC_GUARD_WINDOW_SECONDS * 1000,
    minSamples: config.TRAFFIC_GUARD_MIN_SAMPLES,
    maxErrorRatio: config.TRAFFIC_GUARD_MAX_ERROR_PERCENT / 100,
    maxLatencyRatio: config.TRAFFIC_GUARD_MAX_LATENCY_RATIO,
    maxMismatchRatio: config.TRAFFIC_GUARD_MAX_MISMATCH_PERCENT / 100,
  }
  const guard = new TrafficGuard(guardThresholds, now)
  const controller = new TrafficController({
    source,
    killSwitch,
    guard,
    evaluateEveryMs: 1000,
    log,
    onRollback: (reason) => metrics.trafficRollbacks.inc({ reason }),
    onEffective: (settings) => setStageGauges(metrics, settings),
    now,
  })
  setStageGauges(metrics, controller.settings())
  const shadow = new ShadowReader({
    deadlineMs: config.TRAFFIC_SHADOW_DEADLINE_MS,
    maxInFlight: config.TRAFFIC_SHADOW_MAX_IN_FLIGHT,
    recheckMs: config.TRAFFIC_SHADOW_RECHECK_MS,
    onResult: (result, detail) => {
      metrics.shadowCompares.inc({ result })
      if (result === 'match' || result === 'transient' || result === 'mismatch') guard.recordShadowCompare(result === 'mismatch')
      if (detail) log.warn(detail, 'shadow read mismatch confirmed after re-check')
    },
  })
  const store = new TrafficSplitStore({
    blue: sides.blue,
    green: sides.green,
    settings: () => controller.settings(),
    shadow,
    mirrorTimeoutMs: config.TRAFFIC_MIRROR_TIMEOUT_MS,
    intentGraceMs: intentGraceMs(config),
    now,
    observer: {
      operation: (side, kind, role, ms, failed) => {
        metrics.trafficOperations.inc({ backend: side, kind, role })
        // Latency is compared on reads only: the sides' write mixes differ (the primary's write
        // includes its outbox row, the mirror's is one applyMirror).
        guard.recordOperation(side, kind === 'read' ? ms : null, failed)
      },
      syncFailure: (target) => metrics.syncFailures.inc({ target }),
    },
    onGreenInitError: (err) => log.error({ err }, 'green backend failed to initialise; retrying, green traffic falls back to blue'),
  })
  const repair = new OutboxRepairWorker({
    store: (side) => store.store(side),
    intervalMs: config.OUTBOX_REPAIR_INTERVAL_MS,
    now,
    beforeRound: () => store.flushOutboxAcks(),
    replayTimeoutMs: Math.max(5000, 2 * config.TRAFFIC_MIRROR_TIMEOUT_MS),
    onFailed: (target, err) => log.debug({ target, err }, 'outbox replay failed; retrying with backoff'),
    onReplayed: (target, rows) => log.info({ target, rows }, 'outbox rows replayed'),
    onOutboxState: (holder, replayedBefore) => store.stale.clearBefore(otherSide(holder), replayedBefore),
    onDiverged: (target, tool, id) =>
      log.error({ target, tool, id }, 'sides hold the same version with different content; run `mcp-memory verify --repair`'),
  })

  async function sideHealth(side: Side): Promise<SideHealth> {
    const backend = sides[side].backend
    const initialised = side === 'green' ? store.greenInitialised : undefined
    try {
      await store.store(side).ping()
      metrics.backendUp.set({ backend: side }, 1)
      return { backend, up: true, ...(initialised === undefined ? {} : { initialised }) }
    } catch (err) {
      metrics.backendUp.set({ backend: side }, 0)
      return { backend, up: false, error: err instanceof Error ? err.message : String(err), ...(initialised === undefined ? {} : { initialised }) }
    }
  }

  async function refreshGauges(): Promise<OutboxFigures> {
    await store.flushOutboxAcks()
    const figures = await repair.figures()
    metrics.outboxPending.set(figures.pending)
    metrics.outboxOldestAge.set(figures.oldestCreatedAt === null ? 0 : Math.max(0, (now() - figures.oldestCreatedAt) / 1000))
    return figures
  }

  return {
    store,
    source,
    controller,
    killSwitch,
    repair,
    async view() {
      const [outbox, blue, green] = await Promise.all([refreshGauges(), sideHealth('blue'), sideHealth('green')])
      const oldestAgeSeconds = outbox.oldestCreatedAt === null ? 0 : Math.max(0, (now() - outbox.oldestCreatedAt) / 1000)
      return {
        ...controller.state(),
        guardThresholds,
        outbox: { ...outbox, oldestAgeSeconds },
        sides: { blue, green },
        staleTools: { blue: store.stale.count('blue'), green: store.stale.count('green') },
      }
    },
    refreshGauges: async () => void (await refreshGauges()),
    // Readiness must answer fast even when green hangs: a slow ping counts as down.
    greenUp: () => Promise.race([
      sideHealth('green').then((h) => h.up),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 250).unref()),
    ]),
    async start() {
      controller.start()
      repair.start()
      if (killSwitch && redis) {
        await redis.connect().catch(() => {}) // unreachable Redis: the switch keeps polling and logs once
        await killSwitch.start()
      }
    },
    async stop() {
      controller.stop()
      source.stop()
      killSwitch?.stop()
      await repair.stop()
      redis?.disconnect()
    },
  }
}

/**
 * How long a write-ahead outbox row waits before the repair worker may replay it: longer than any
 * primary write can take (a few statements, each bounded by PG_STATEMENT_TIMEOUT_MS, after up to
 * 5 s waiting for a pooled connection) plus its mirror, so the row is only replayed early for a
 * write that is truly stuck. (A slow write whose mirror then fails adds a fresh row anyway.)
 */
function intentGraceMs(config: Readonly<Config>): number {
  const statement = config.PG_STATEMENT_TIMEOUT_MS === 0 ? 3_600_000 : config.PG_STATEMENT_TIMEOUT_MS
  return Math.max(30_000, 3 * statement + 5_000 + config.TRAFFIC_MIRROR_TIMEOUT_MS)
}

function setStageGauges(metrics: Metrics, settings: { stage: string; greenReadPercent: number; greenWritePercent: number; shadowReadPercent: number }): void {
  for (const stage of STAGES) metrics.trafficStage.set({ stage }, stage === settings.stage ? 1 : 0)
  metrics.trafficGreenPercent.set({ dial: 'read' }, settings.greenReadPercent)
  metrics.trafficGreenPercent.set({ dial: 'write' }, settings.greenWritePercent)
  metrics.trafficGreenPercent.set({ dial: 'shadow' }, settings.shadowReadPercent)
}
