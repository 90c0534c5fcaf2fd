/**
 * Prometheus metrics (design §9). One Registry per app instance, so tests can build many apps in
 * one process. Backends contain no prom-client code: the store decorator and the HTTP plugin
 * record into these objects.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { SHADOW_RESULTS } from '../traffic/shadow-reader.js'
import { ROLLBACK_REASONS } from '../traffic/traffic-controller.js'
import { createToolMetrics } from './tool-metrics.js'
import { createTrafficMetrics } from './traffic-metrics.js'

export const METRIC_PREFIX = 'mcp_memory_'

/** Seconds; spans sub-millisecond cache hits to slow multi-second scans. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export function createMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX })
  const registers = [registry]
  const metrics = {
    registry,
    httpRequestDuration: new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'HTTP request duration by route template',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    operationDuration: new Histogram({
      name: `${METRIC_PREFIX}operation_duration_seconds`,
      help: 'MemoryStore operation duration by backend',
      labelNames: ['op', 'backend'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    backendErrors: new Counter({
      name: `${METRIC_PREFIX}backend_errors_total`,
      help: 'MemoryStore operations that failed with a backend error (not domain conflicts)',
      labelNames: ['backend', 'op'] as const,
      registers,
    }),
    backendUp: new Gauge({
      name: `${METRIC_PREFIX}backend_up`,
      help: '1 when the last ping of the backend succeeded',
      labelNames: ['backend'] as const,
      registers,
    }),
    entries: new Gauge({
      name: `${METRIC_PREFIX}entries`,
      help: 'Live entries by tool and type (from a cached stats snapshot)',
      labelNames: ['tool', 'type'] as const,
      registers,
    }),
    tokens: new Gauge({
      name: `${METRIC_PREFIX}tokens`,
      help: 'Tokens held by live entries, by tool (from a cached stats snapshot)',
      labelNames: ['tool'] as const,
      registers,
    }),
    pgPoolConnections: new Gauge({
      name: `${METRIC_PREFIX}pg_pool_connections`,
      help: 'pg pool connections by state',
      labelNames: ['backend', 'state'] as const,
      registers,
    }),
    largeEntries: new Counter({
      name: `${METRIC_PREFIX}large_entries_total`,
      help: 'Entries written with content above the large-entry threshold',
      registers,
    }),
    cacheRequests: new Counter({
      name: `${METRIC_PREFIX}cache_requests_total`,
      help: 'Hot-cache lookups by result (hit, miss, error)',
      labelNames: ['backend', 'result'] as const,
      registers,
    }),
    cachePendingInvalidations: new Gauge({
      name: `${METRIC_PREFIX}cache_pending_invalidations`,
      help: 'Cache invalidations waiting for the cache to come back (reads bypass the cache meanwhile)',
      labelNames: ['backend'] as const,
      registers,
    }),
    compressionSavedBytes: new Counter({
      name: `${METRIC_PREFIX}compression_saved_bytes_total`,
      help: 'Bytes saved by compressing content (cold store and cache values)',
      labelNames: ['tier'] as const,
      registers,
    }),
    compressionRatio: new Histogram({
      name: `${METRIC_PREFIX}compression_ratio`,
      help: 'Compressed size / original size of content that was kept compressed',
      labelNames: ['tier'] as const,
      buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
      registers,
    }),
    batchOperations: new Counter({
      name: `${METRIC_PREFIX}batch_operations_total`,
      help: 'Operations inside batch requests, by result',
      labelNames: ['result'] as const,
      registers,
    }),
    deprecatedRequests: new Counter({
      name: `${METRIC_PREFIX}deprecated_requests_total`,
      help: 'Requests to deprecated /v1 routes, by route template',
      labelNames: ['route'] as const,
      registers,
    }),
    ...createTrafficMetrics(registry, METRIC_PREFIX),
    ...createToolMetrics(registry, METRIC_PREFIX),
  }
  // Counters whose labels are known in advance start at 0, so that a first event is an increase
  // that rate()/increase() can see (a series born at 1 looks like no change).
  for (const result of ['ok', 'error']) metrics.batchOperations.inc({ result }, 0)
  for (const result of SHADOW_RESULTS) metrics.shadowCompares.inc({ result }, 0)
  for (const reason of ROLLBACK_REASONS) metrics.trafficRollbacks.inc({ reason }, 0)
  return metrics
}

export type Metrics = ReturnType<typeof createMetrics>
