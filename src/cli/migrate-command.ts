/** `mcp-memory migrate`: apply pending migrations to STORE_URL and report what was applied. */
import type { Config } from '../config/config.schema.js'
import { redactUrl } from '../logging/logger-options.js'
import { migrate, MigrationError } from '../storage/sql/migrator.js'
import { openSqlDriver } from '../storage/sql/open-sql-driver.js'

export async function runMigrate(config: Readonly<Config>): Promise<number> {
  if (config.STORE_URL === 'memory://') {
    console.error('mcp-memory migrate: STORE_URL is memory://, which has no schema to migrate')
    return 2
  }
  const driver = await openSqlDriver(config.STORE_URL, { poolMax: 1, statementTimeoutMs: 0 })
  try {
    const { applied } = await migrate(driver, { onApplied: (name) => console.log(`applied ${name}`) })
    console.log(applied.length === 0
      ? `${redactUrl(config.STORE_URL)}: schema is current`
      : `${redactUrl(config.STORE_URL)}: applied ${applied.length} migration(s)`)
    return 0
  } catch (err) {
    console.error(`mcp-memory migrate: ${err instanceof MigrationError ? err.message : (err as Error).message}`)
    return 1
  } finally {
    await driver.close()
  }
}
