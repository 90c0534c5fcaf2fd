/** Fixtures of the data-tool tests: Postgres schema stores with raw SQL access, seeding, temp dirs. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MemoryEntry } from '../../../src/domain/memory/memory-entry.js'
import type { MemoryStore } from '../../../src/storage/memory-store.js'
import { createPgDriver, type PgDriver } from '../../../src/storage/sql/pg-driver.js'
import { createSqlStore } from '../../../src/storage/sql/sql-store.js'
import { mapLimit } from '../../../src/traffic/copy/concurrency.js'
import { makeEntry } from '../../helpers/entries.js'
import { pgSchemaUrl } from '../../helpers/sql-stores.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A migrated store in a fresh schema of `dbUrl`, its URL, and a driver for planting rows with SQL. */
export interface PgSide {
  url: string
  store: MemoryStore
  sql: PgDriver
}

export async function pgSide(t: Teardown, dbUrl: string): Promise<PgSide> {
  const url = await pgSchemaUrl(dbUrl)
  const store = createSqlStore(createPgDriver({ url, poolMax: 8 }), { now: Date.now, migrateOnInit: true })
  await store.init()
  const sql = createPgDriver({ url, poolMax: 2 })
  t.teardown(async () => {
    await store.close()
    await sql.close()
  })
  return { url, store, sql }
}

/** `perTool[tool]` entries of each tool, written with applyMirror (versions as given). */
export async function seed(store: Pick<MemoryStore, 'applyMirror'>, perTool: Record<string, number>, extra: Partial<MemoryEntry> = {}): Promise<MemoryEntry[]> {
  const entries = Object.entries(perTool).flatMap(([tool, n]) => Array.from({ length: n }, () => makeEntry({ tool, ...extra })))
  await mapLimit(entries, 16, (entry) => store.applyMirror({ kind: 'entry', entry }))
  return entries
}

/** Every live entry of `store` in scan order. */
export async function scanAll(store: Pick<MemoryStore, 'scan'>): Promise<MemoryEntry[]> {
  const out: MemoryEntry[] = []
  for (;;) {
    const batch = await store.scan(out.length === 0 ? null : { tool: out.at(-1)!.tool, id: out.at(-1)!.id }, 1000)
    if (batch.length === 0) return out
    out.push(...batch)
  }
}

export async function tempDir(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-memory-copy-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}
