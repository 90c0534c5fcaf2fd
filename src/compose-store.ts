/**
 * Part of the composition root: the store stack for one backend side,
 * `withMetrics(CachedStore(backend, hot cache))` (the cache is left out when none is configured).
 */
import type { FastifyBaseLogger } from 'fastify'
import { CachedStore } from './cache/cached-store.js'
import { createHotCache } from './cache/create-hot-cache.js'
import { compressionPolicy } from './compression/content-codec.js'
import type { Config } from './config/config.schema.js'
import type { Metrics } from './metrics/create-metrics.js'
import { createMemoryStore } from './storage/create-memory-store.js'
import type { MemoryStore } from './storage/memory-store.js'
import type { PgDriver } from './storage/sql/pg-driver.js'
import { withMetrics } from './storage/with-metrics.js'

export interface StoreStack {
  store: MemoryStore
  /** Present when a hot tier is configured. */
  cached: CachedStore | null
  pgDriver: PgDriver | null
  /** The `backend` label of this stack's metrics. */
  label: string
}

export async function composeStore(
  config: Readonly<Config>,
  options: {
    side: string
    /** Metrics label of the stack (`blue`/`green` under a traffic split); default the backend's own label. */
    label?: string | undefined
    now: () => number
    metrics: Metrics
    log: FastifyBaseLogger
    backend?: MemoryStore | undefined
  },
): Promise<StoreStack> {
  const { metrics, log, now, side } = options
  const policy = compressionPolicy(config.COMPRESSION, config.COMPRESSION_MIN_BYTES, config.COMPRESSION_MIN_SAVING_PERCENT / 100)
  let pgDriver: PgDriver | null = null
  const backend = options.backend ?? (await createMemoryStore(config, {
    now,
    compression: policy,
    tombstoneRetentionMs: config.TOMBSTONE_RETENTION_SECONDS * 1000,
    onCompressed: (saved, ratio) => {
      metrics.compressionSavedBytes.inc({ tier: 'store' }, saved)
      metrics.compressionRatio.observe({ tier: 'store' }, ratio)
    },
    onPgDriver: (d) => (pgDriver = d),
    onIdleError: (err) => log.warn({ err }, 'idle Postgres connection failed; the pool replaces it'),
  }))
  const label = options.label ?? backend.backend
  let cacheErrorsLogged = 0
  const hotCache = createHotCache(config, (err) => {
    // Connection errors repeat every retry while Redis is down: log the first few only.
    if (cacheErrorsLogged++ < 5) log.warn({ err: err.message }, 'hot cache connection error; serving from the store')
  })
  const cached = hotCache
    ? new CachedStore(backend, hotCache, {
        side,
        ttlSeconds: config.CACHE_TTL_SECONDS,
        maxStalenessMs: config.CACHE_MAX_STALENESS_SECONDS * 1000,
        compression: policy,
        now,
        onResult: (result) => metrics.cacheRequests.inc({ backend: label, result }),
        onCompressed: (saved, ratio) => {
          metrics.compressionSavedBytes.inc({ tier: 'cache' }, saved)
          metrics.compressionRatio.observe({ tier: 'cache' }, ratio)
        },
        onError: (err, op) => log.debug({ err, op }, 'hot cache operation failed'),
      })
    : null
  return { store: withMetrics(cached ?? backend, metrics, label), cached, pgDriver, label }
}
