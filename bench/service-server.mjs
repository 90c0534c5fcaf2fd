/**
 * The real service in its own process, as production runs it: the compiled JavaScript of
 * `npm run build` (dist/), under plain `node` (no tsx loader). run.ts builds first.
 *
 * `buildApp(loadConfig({...env, STORE_URL, LOG_LEVEL: 'warn', MIGRATE_ON_START: 'true'}))` listening on
 * a free loopback port, in local mode (no API keys; the caller's tool comes from X-Memory-Tool), with
 * the default hot tier (in-process LRU) unless SERVICE_REDIS_URL is given.
 *
 * On the way up it records where the memory goes, phase by phase (each after a full GC when
 * --expose-gc): node + bench IPC → the service's modules → the tokenizer's rank table →
 * buildApp (pool, migrations check, routes, OpenAPI) → listening. The phases ride on the `ready`
 * message of the IPC protocol (child-ipc.mjs).
 *
 * Env: SERVICE_STORE_URL, SERVICE_PG_POOL, SERVICE_REDIS_URL (optional), SERVICE_DIST (default ../dist).
 */
import { serveIpc } from './child-ipc.mjs'

/** @type {{ phase: string, rss: number, heapUsed: number, heapTotal: number, external: number, arrayBuffers: number }[]} */
const phases = []
const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc
function phase(name) {
  gc?.()
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  phases.push({ phase: name, rss, heapUsed, heapTotal, external, arrayBuffers })
}
phase('node + bench IPC')

const storeUrl = process.env.SERVICE_STORE_URL
if (!storeUrl) throw new Error('SERVICE_STORE_URL is required')
const dist = new URL(`${(process.env.SERVICE_DIST ?? '../dist').replace(/\/+$/, '')}/`, import.meta.url)

const { buildApp } = await import(new URL('src/app.js', dist).href)
const { loadConfig } = await import(new URL('src/config/load-config.js', dist).href)
phase('service modules loaded (fastify, pg, ioredis, zod, prom-client, pino, swagger, …)')

/** @type {Record<string, string | undefined>} */
const env = {
  ...process.env,
  STORE_URL: storeUrl,
  LOG_LEVEL: 'warn',
  MIGRATE_ON_START: 'true',
  HOST: '127.0.0.1',
  PORT: '0',
  PG_POOL_MAX: process.env.SERVICE_PG_POOL ?? '10',
  // Local mode, whatever the calling shell has set.
  MEMORY_API_KEYS: '',
}
// The hot tier is the bench's choice, not the calling shell's.
delete env.REDIS_URL
if (process.env.SERVICE_REDIS_URL) env.REDIS_URL = process.env.SERVICE_REDIS_URL
const config = loadConfig(env)

// The same module buildApp loads (loadTokenCounter), loaded first here so that its cost shows on its
// own; one count decodes whatever the encoding decodes lazily.
const tokenizer = await import(`gpt-tokenizer/encoding/${config.TOKENIZER}`)
tokenizer.countTokens('warm up the rank table')
phase(`tokenizer ${config.TOKENIZER} loaded`)

const { server } = await buildApp(config)
phase('buildApp done (store init, hot tier, routes, OpenAPI)')
await server.listen({ host: '127.0.0.1', port: 0 })
phase('listening')

const address = server.server.address()
serveIpc(typeof address === 'object' && address ? address.port : 0, () => server.close(), {
  phases,
  hotTier: config.REDIS_URL ? 'redis' : config.CACHE_MAX_ENTRIES > 0 ? `lru(${config.CACHE_MAX_ENTRIES})` : 'none',
  node: process.version,
  execArgv: process.execArgv,
})
