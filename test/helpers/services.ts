/**
 * Real service access for tests. Each test file gets its own Postgres database (created here,
 * dropped on teardown) so files run in parallel. Without a reachable server the caller skips with
 * a reason, unless REQUIRE_SERVICES=1 (CI), where a missing service is a failure.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1' || process.env.REQUIRE_SERVICES === 'true'

/** Resolves to null when Postgres is reachable, else to the reason (for `skip`). Throws in CI. */
export async function postgresUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (err) {
    const reason = `Postgres not reachable at ${PG_ADMIN_URL}: ${(err as Error).message}`
    if (REQUIRE_SERVICES) throw new Error(`${reason} (REQUIRE_SERVICES is set)`)
    return reason
  } finally {
    await client.end().catch(() => {})
  }
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Create an empty database for this test file; returns its URL. Dropped at teardown. */
export async function createTestDatabase(t: Teardown, label = 'test'): Promise<string> {
  const name = `mcpmem_${label.replace(/[^a-z0-9_]/g, '_')}_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL })
    await c.connect()
    try {
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    } finally {
      await c.end()
    }
  })
  const url = new URL(PG_ADMIN_URL)
  url.pathname = '/' + name
  return url.toString()
}
