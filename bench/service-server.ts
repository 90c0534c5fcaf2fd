/**
 * The real service in its own process: `buildApp(loadConfig({...env, STORE_URL, LOG_LEVEL: 'warn',
 * MIGRATE_ON_START: 'true'}))` listening on a free loopback port, in local mode (no API keys; the
 * caller's tool comes from X-Memory-Tool).
 *
 * Speaks the IPC protocol of child-ipc.ts (ready, memory, profile-start/stop, stop).
 * Env: SERVICE_STORE_URL, SERVICE_PG_POOL.
 */
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'
import { serveIpc } from './child-ipc.js'

const storeUrl = process.env.SERVICE_STORE_URL
if (!storeUrl) throw new Error('SERVICE_STORE_URL is required')

const config = loadConfig({
  ...process.env,
  STORE_URL: storeUrl,
  LOG_LEVEL: 'warn',
  MIGRATE_ON_START: 'true',
  HOST: '127.0.0.1',
  PORT: '0',
  PG_POOL_MAX: process.env.SERVICE_PG_POOL ?? '10',
  // Local mode, whatever the calling shell has set.
  MEMORY_API_KEYS: '',
})
const { server } = await buildApp(config)
await server.listen({ host: '127.0.0.1', port: 0 })
const address = server.server.address()
serveIpc(typeof address === 'object' && address ? address.port : 0, () => server.close())
