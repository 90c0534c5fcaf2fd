/**
 * The composition root: the only module that knows concrete classes. It builds the store from
 * the config (or takes one from tests), decorates it, and registers the HTTP plugins in a fixed
 * order: errors → docs → health → metrics → /admin → /v1 → /v2 (+ /v2/tools) → /mcp. With GREEN_STORE_URL the store is the
 * blue/green TrafficSplitStore over two side stacks (`compose-traffic.ts`).
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { validatorCompiler } from 'fastify-type-provider-zod'
import { randomUUID } from 'node:crypto'
import type { Config } from './config/config.schema.js'
import type { MemoryManager } from './domain/memory/memory-manager.js'
import { AccessRecorder } from './domain/memory/access-recorder.js'
import docs from './http/plugins/docs.js'
import errorHandler, { frameworkErrorHandler } from './http/plugins/error-handler.js'
import health from './http/plugins/health.js'
import httpMetrics from './http/plugins/http-metrics.js'
import { createAdminGuard, createAuthenticator, createOpsGuard } from './http/plugins/authenticate.js'
import { v1Api } from './http/v1/index.js'
import { mcpRoutes } from './http/mcp/mcp-routes.js'
import { packageVersion } from './mcp/package-version.js'
import { v2Api } from './http/v2/index.js'
import { composeDomain } from './compose-domain.js'
import { loggerOptions } from './logging/logger-options.js'
import { createMetrics, type Metrics } from './metrics/create-metrics.js'
import { StatsGauges } from './metrics/stats-gauges.js'
import { composeStore } from './compose-store.js'
import { composeTraffic, type TrafficRuntime } from './compose-traffic.js'
import trafficAdmin from './http/admin/traffic-routes.js'
import graphImport from './http/admin/graph-import-routes.js'
import { accessLogRoutes } from './http/admin/access-log-routes.js'
import { toolRoutes } from './http/v2/tools.routes.js'
import type { MemoryStore } from './storage/memory-store.js'
import { ExpirySweeper } from './storage/expiry-sweeper.js'

export interface AppDeps {
  /**
   * A ready-made backend (tests); otherwise built from `config.STORE_URL`. It gets the configured
   * hot tier in front like any backend. The app owns and closes it either way.
   */
  store?: MemoryStore
  /** A ready-made green backend (tests); used instead of opening `config.GREEN_STORE_URL`, which must still be set. */
  greenStore?: MemoryStore
  /** Clock in ms since epoch for entry timestamps and expiry. */
  now?: () => number
  /** pino logger options override; `false` silences logs (tests). */
  logger?: boolean
}

export interface App {
  server: FastifyInstance
  manager: MemoryManager
  metrics: Metrics
  /** Batched access statistics; `flush()` writes what is pending (tests, shutdown). */
  accessRecorder: AccessRecorder
  /** The blue/green runtime when GREEN_STORE_URL is set, else null. */
  traffic: TrafficRuntime | null
}

export async function buildApp(config: Readonly<Config>, deps: AppDeps = {}): Promise<App> {
  const now = deps.now ?? Date.now
  const metrics = createMetrics()
  const server = Fastify({
    logger: deps.logger === false ? false : loggerOptions(config.LOG_LEVEL),
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID()
    },
    routerOptions: { maxParamLength: 1024 },
    forceCloseConnections: 'idle',
    frameworkErrors: frameworkErrorHandler,
  })
  server.setValidatorCompiler(validatorCompiler)
  // Responses are built by our own codec (toWire), so re-validating them with zod on every reply
  // would only cost time (measured ~5x per entry); the schemas still drive OpenAPI.
  server.setSerializerCompiler(() => (data) => JSON.stringify(data))
  // While draining, answers to requests already in flight close their keep-alive connection,
  // so that shutdown does not wait for clients' idle sockets (keepAliveTimeout is 72 s).
  let draining = false
  server.addHook('preClose', async () => {
    draining = true
  })
  server.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id)
    if (draining) void reply.header('connection', 'close')
  })

  const split = config.GREEN_STORE_URL !== undefined
  const blue = await composeStore(config, { side: 'blue', label: split ? 'blue' : undefined, now, metrics, log: server.log, backend: deps.store })
  const stacks = [blue]
  let store = blue.store
  let traffic: TrafficRuntime | null = null
  if (split) {
    const greenConfig = { ...config, STORE_URL: config.GREEN_STORE_URL! }
    const green = await composeStore(greenConfig, { side: 'green', label: 'green', now, metrics, log: server.log, backend: deps.greenStore })
    stacks.push(green)
    traffic = composeTraffic(config, { blue: blue.store, green: green.store }, { metrics, log: server.log, now })
    store = traffic.store
  }
  try {
    await store.init()
  } catch (err) {
    await traffic?.stop()
    await store.close().catch(() => {})
    throw err
  }
  const accessRecorder = new AccessRecorder(store, {
    intervalMs: config.ACCESS_FLUSH_SECONDS * 1000,
    now,
    onError: (err) => server.log.warn({ err }, 'access statistics not written; retrying with the next batch'),
  })
  const { manager, graph, registry, context, crossToolReads } = await composeDomain(config, store, {
    now,
    onRead: (entry) => accessRecorder.record(entry.tool, entry.id),
    metrics,
    log: server.log,
  })

  const statsGauges = new StatsGauges(store, metrics, config.STATS_REFRESH_SECONDS * 1000, () => registry.budgeted())
  const sweeper = new ExpirySweeper(store, config.PURGE_INTERVAL_SECONDS * 1000, now, server.log)

  await server.register(errorHandler)
  await server.register(docs)
  const blueCache = blue.cached
  const runtime = traffic
  await server.register(health, {
    store,
    metrics,
    cachePing: blueCache ? () => blueCache.cachePing() : null,
    greenPing: runtime ? () => runtime.greenUp() : null,
  })
  const beforeScrape = async () => {
    for (const stack of stacks) {
      if (stack.cached) metrics.cachePendingInvalidations.set({ backend: stack.label }, stack.cached.guard.pending)
      if (stack.pgDriver) {
        const pool = stack.pgDriver.poolStats()
        for (const state of ['total', 'idle', 'waiting'] as const) {
          metrics.pgPoolConnections.set({ backend: stack.label, state }, pool[state])
        }
      }
    }
    await Promise.all([statsGauges.refreshIfStale(), traffic?.refreshGauges()])
  }
  await server.register(httpMetrics, { metrics, beforeScrape, authorize: createOpsGuard(config.MEMORY_API_KEYS, config.MEMORY_ADMIN_KEY) })
  if (runtime) {
    await server.register(trafficAdmin, { view: () => runtime.view(), authorize: createAdminGuard(config.MEMORY_API_KEYS, config.MEMORY_ADMIN_KEY) })
  }
  const authenticate = createAuthenticator(config.MEMORY_API_KEYS)
  const authorizeAdmin = createAdminGuard(config.MEMORY_API_KEYS, config.MEMORY_ADMIN_KEY)
  await server.register(graphImport, { graph, authorize: authorizeAdmin })
  await server.register(accessLogRoutes, { store, log: crossToolReads, authorize: authorizeAdmin })
  await server.register(v1Api, {
    prefix: '/v1',
    graph,
    authenticate,
    sunset: config.V1_SUNSET,
    onDeprecatedRequest: (route) => metrics.deprecatedRequests.inc({ route }),
  })
  await server.register(v2Api, {
    prefix: '/v2',
    manager,
    authenticate,
    idempotencyTtlMs: config.IDEMPOTENCY_TTL_SECONDS * 1000,
    onBatchResult: (ok: boolean) => metrics.batchOperations.inc({ result: ok ? 'ok' : 'error' }),
    context,
    onPacked: (truncated: boolean) => metrics.contextRequests.inc({ truncated: String(truncated) }),
  })
  // Beside /v2's own plugin: the registry also takes the admin key, which /v2's authentication refuses.
  await server.register(toolRoutes, { prefix: '/v2', registry, authenticate, authorizeAdmin })

  await server.register(mcpRoutes, { graph, manager, context, authenticate, version: packageVersion() })

  sweeper.start()
  accessRecorder.start()
  crossToolReads.start()
  await traffic?.start()
  server.addHook('onClose', async () => {
    sweeper.stop()
    await accessRecorder.stop().catch((err: unknown) => server.log.warn({ err }, 'final access statistics lost'))
    await crossToolReads.stop().catch((err: unknown) => server.log.warn({ err }, 'final cross-tool access log rows lost'))
    await traffic?.stop()
    await store.close()
  })
  return { server, manager, metrics, accessRecorder, traffic }
}
