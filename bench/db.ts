/** Database chores of the benchmark: create the database, apply the service's migrations, clean up. */
import pg from 'pg'
import { loadConfig } from '../src/config/load-config.js'
import { createMemoryStore } from '../src/storage/create-memory-store.js'
import { assertLoopbackUrl } from './env.js'
import { BENCH_BARE_TOOL, BENCH_CREATE_TOOL } from './words.js'

/** Run `fn` with one short-lived client. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  assertLoopbackUrl(url)
  const client = new pg.Client({ connectionString: url, application_name: 'mcp-memory-bench' })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** CREATE DATABASE unless it exists (connecting to the `postgres` maintenance database). */
export async function ensureDatabase(pgBaseUrl: string, database: string): Promise<void> {
  await withClient(`${pgBaseUrl}/postgres`, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (!rowCount) await client.query(`CREATE DATABASE "${database}"`)
  })
}

/** DROP and CREATE a benchmark database (only ever one whose name starts with `mcpmem_bench`). */
export async function recreateDatabase(pgBaseUrl: string, database: string): Promise<void> {
  if (!database.startsWith('mcpmem_bench')) throw new Error(`refusing to drop ${database}: not a benchmark database`)
  await withClient(`${pgBaseUrl}/postgres`, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
    await client.query(`CREATE DATABASE "${database}"`)
  })
}

/** True when the migrator refused because the database's history differs from the migration files. */
export function isMigrationHistoryError(err: unknown): boolean {
  return err instanceof Error && err.name === 'MigrationError' && /checksum|history differs|not applied although/i.test(err.message)
}

/**
 * Apply the service's own migrations exactly as the service does on start (MIGRATE_ON_START=true),
 * through the public store factory, so the schema is the real one.
 */
export async function migrate(url: string): Promise<void> {
  const config = loadConfig({ STORE_URL: url, MIGRATE_ON_START: 'true', PG_POOL_MAX: '2', LOG_LEVEL: 'warn' })
  const store = await createMemoryStore(config, { now: Date.now })
  try {
    await store.init()
  } finally {
    await store.close()
  }
}

/** Remove what earlier runs wrote (the seeded rows stay). */
export async function cleanupBenchRows(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const tools = [BENCH_CREATE_TOOL, BENCH_BARE_TOOL]
    const { rowCount } = await client.query('DELETE FROM memories WHERE tool = ANY($1::text[])', [tools])
    await client.query('DELETE FROM idempotency_keys WHERE tool = ANY($1::text[])', [tools]).catch(() => undefined)
    // Dead index entries at the newest end of memories_id_idx would slow the next listings down.
    if (rowCount) await client.query('VACUUM memories')
    return rowCount ?? 0
  })
}

/** Up to `count` random live ids of `tool`, for the read-by-id scenarios. */
export async function pickIds(url: string, tool: string, count: number): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      'SELECT id::text AS id FROM memories WHERE tool = $1 AND expires_at IS NULL ORDER BY random() LIMIT $2',
      [tool, count],
    )
    return rows.map((r) => r.id)
  })
}

/** Server-side facts worth printing next to the results. */
export async function serverFacts(url: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const names = ['server_version', 'shared_buffers', 'work_mem', 'max_connections', 'synchronous_commit', 'fsync', 'autovacuum']
    const facts: Record<string, string> = {}
    for (const name of names) {
      const { rows } = await client.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])
      facts[name] = rows[0]?.v ?? '?'
    }
    const { rows } = await client.query<{ size: string }>(`SELECT pg_size_pretty(pg_total_relation_size('memories')) AS size`)
    facts.memories_total_size = rows[0]?.size ?? '?'
    return facts
  })
}
