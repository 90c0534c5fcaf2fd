/**
 * Process entry for `mcp-memory serve`: load config → build app → listen; on SIGTERM/SIGINT stop
 * accepting, drain in-flight requests (bounded by SHUTDOWN_TIMEOUT_MS), close the store.
 */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import type { Config } from './config/config.schema.js'
import { redactUrl } from './logging/logger-options.js'

export async function serve(config: Readonly<Config>): Promise<void> {
  const { server } = await buildApp(config)
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) server.log.error({ err }, 'shutting down after an uncaught error')
    else server.log.info({ signal }, 'shutting down: draining in-flight requests')
    await server.close()
  })
  await server.listen({ host: config.HOST, port: config.PORT })
  server.log.info(
    { store: redactUrl(config.STORE_URL), localMode: config.localMode, tools: config.MEMORY_API_KEYS.map((k) => k.tool) },
    'mcp-memory ready',
  )
}
