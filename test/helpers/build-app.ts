/**
 * `buildTestApp(t)`: the real app on an in-memory store (unless a store or STORE_URL is given),
 * closed at teardown. Environment values go through the real config parser.
 */
import { buildApp, type App, type AppDeps } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function buildTestApp(t: Teardown, env: Record<string, string> = {}, deps: AppDeps = {}): Promise<App> {
  const config = loadConfig({ STORE_URL: 'memory://', LOG_LEVEL: 'silent', ...env })
  const app = await buildApp(config, { logger: false, ...deps })
  t.teardown(() => app.server.close())
  return app
}
