/**
 * `mcp-memory migrate`: apply pending migrations to STORE_URL, and to GREEN_STORE_URL when one is
 * configured (a green backend must be migrated before backfill or dual-write reach it).
 */
import type { Config } from '../config/config.schema.js'
import { redactUrl } from '../logging/logger-options.js'
import { migrate, MigrationError } from '../storage/sql/migrator.js'
import { openSqlDriver } from '../storage/sql/open-sql-driver.js'
import { greenUrlOf } from './data-commands-args.js'

export async function runMigrate(config: Readonly<Config>): Promise<number> {
  const green = greenUrlOf(config)
  const urls = [config.STORE_URL, ...(green === undefined ? [] : [green])]
  const sql = urls.filter((url) => url !== 'memory://')
  if (sql.length === 0) {
    console.error(`mcp-memory migrate: ${green === undefined ? 'STORE_URL is' : 'STORE_URL and GREEN_STORE_URL are'} memory://, which has no schema to migrate`)
    return 2
  }
  for (const url of urls) if (url === 'memory://') console.log('memory://: nothing to migrate')
  let code = 0
  for (const url of sql) code = Math.max(code, await migrateOne(url))
  return code
}

async function migrateOne(url: string): Promise<number> {
  const driver = await openSqlDriver(url, { poolMax: 1, statementTimeoutMs: 0 })
  try {
    const { applied } = await migrate(driver, { onApplied: (name) => console.log(`applied ${name}`) })
    console.log(applied.length === 0
      ? `${redactUrl(url)}: schema is current`
      : `${redactUrl(url)}: applied ${applied.length} migration(s)`)
    return 0
  } catch (err) {
    console.error(`mcp-memory migrate: ${redactUrl(url)}: ${err instanceof MigrationError ? err.message : (err as Error).message}`)
    return 1
  } finally {
    await driver.close()
  }
}
