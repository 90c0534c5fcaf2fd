/**
 * The blue/green metrics (design §7, §9), declared on the app's registry by `createMetrics`. The
 * backfill and verify counters are also used by the CLI's own registry (written as a textfile for
 * node_exporter when asked), since those tools run as separate processes.
 */
import { Counter, Gauge, type Registry } from 'prom-client'

export function createTrafficMetrics(registry: Registry, prefix: string) {
  const registers = [registry]
  return {
    trafficOperations: new Counter({
      name: `${prefix}traffic_operations_total`,
      help: 'Storage operations of the traffic split by side, kind (read, write) and role (primary, mirror, fallback, shadow)',
      labelNames: ['backend', 'kind', 'role'] as const,
      registers,
    }),
    shadowCompares: new Counter({
      name: `${prefix}shadow_compares_total`,
      help: 'Shadow read comparisons by result (match, mismatch = confirmed after re-check, transient, error, timeout, skipped)',
      labelNames: ['result'] as const,
      registers,
    }),
    trafficStage: new Gauge({
      name: `${prefix}traffic_stage`,
      help: '1 for the effective migration stage, 0 for the others',
      labelNames: ['stage'] as const,
      registers,
    }),
    trafficGreenPercent: new Gauge({
      name: `${prefix}traffic_green_percent`,
      help: 'Effective share of routing buckets on green, by dial (read, write, shadow)',
      labelNames: ['dial'] as const,
      registers,
    }),
    trafficRollbacks: new Counter({
      name: `${prefix}traffic_rollbacks_total`,
      help: 'Automatic steps back toward blue, by reason (error_ratio, latency_ratio, mismatch_ratio, kill_switch)',
      labelNames: ['reason'] as const,
      registers,
    }),
    outboxPending: new Gauge({
      name: `${prefix}outbox_pending`,
      help: 'Mirror writes waiting in the outboxes of both sides',
      registers,
    }),
    outboxOldestAge: new Gauge({
      name: `${prefix}outbox_oldest_age_seconds`,
      help: 'Age of the oldest outbox row (0 when empty)',
      registers,
    }),
    syncFailures: new Counter({
      name: `${prefix}sync_failures_total`,
      help: 'Mirror writes that failed (and went to the outbox) or replays that failed, by target side',
      labelNames: ['target'] as const,
      registers,
    }),
    backfillRows: new Counter({
      name: `${prefix}backfill_rows_total`,
      help: 'Rows copied by backfill',
      registers,
    }),
    verifyMismatchRows: new Counter({
      name: `${prefix}verify_mismatch_rows_total`,
      help: 'Rows verify found different between the sides after re-check',
      registers,
    }),
  }
}

export type TrafficMetrics = ReturnType<typeof createTrafficMetrics>
