/** NDJSON export → import round trip; damaged files are refused whole; invalid lines are rejected by number. */
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { createInMemoryStore } from '../../../src/storage/in-memory/in-memory-store.js'
import { BackupFormatError, exportToFile, importFromFile, importNdjson } from '../../../src/traffic/copy/ndjson-backup.js'
import { runVerify } from '../../../src/traffic/copy/verify.js'
import { makeEntry } from '../../helpers/entries.js'
import { createTestDatabase, postgresUnavailable } from '../../helpers/services.js'
import { pgSide, scanAll, seed, tempDir } from './copy-fixtures.js'

const pgSkip = await postgresUnavailable()

/** Varied entries: keys, metadata, tags, expiry, access stats, unicode and newlines. */
function variedEntries() {
  const hour = 3_600_000
  return [
    makeEntry({ tool: 'tool-a', key: 'k1', metadata: { nested: { b: [1, 2], a: 'x' } }, tags: ['t1', 'ü'] }),
    makeEntry({ tool: 'tool-a', content: 'line one\nline "two"\t\u{1F600}', accessCount: 4, lastAccessedAt: new Date(Date.now() - hour) }),
    makeEntry({ tool: 'tool-b', contentType: 'application/json', content: '{"a":1}', importance: 0.9, visibility: 'shared' }),
    makeEntry({ tool: 'tool-b', expiresAt: new Date(Date.now() + 24 * hour), version: 5 }),
  ]
}

/** A backup file with its trailer recomputed over `lines`. */
function backup(lines: string[], rows = lines.length): string {
  const body = lines.map((l) => l + '\n').join('')
  const sha256 = createHash('sha256').update(body).digest('hex')
  return body + JSON.stringify({ trailer: { format: 'mcp-memory-ndjson', version: 1, rows, sha256 } }) + '\n'
}

t.test('round trip in memory, idempotent re-import, full entries equal', async (t) => {
  const dir = await tempDir(t)
  const source = createInMemoryStore()
  for (const entry of variedEntries()) await source.applyMirror({ kind: 'entry', entry })
  await seed(source, { 'tool-c': 40 })
  const file = join(dir, 'backup.ndjson')
  const exported = await exportToFile(source, file, { chunkSize: 7 })
  t.equal(exported.rows, 44)
  const text = await readFile(file, 'utf8')
  const lines = text.trimEnd().split('\n')
  t.equal(lines.length, 45)
  t.same(JSON.parse(lines.at(-1)!), { trailer: { format: 'mcp-memory-ndjson', version: 2, rows: 44, registrations: 0, sha256: exported.sha256 } })
  t.equal(createHash('sha256').update(text.slice(0, text.length - lines.at(-1)!.length - 1)).digest('hex'), exported.sha256)

  const target = createInMemoryStore()
  const first = await importFromFile(target, file)
  t.same({ rows: first.rows, applied: first.applied, stale: first.stale, exitCode: first.exitCode }, { rows: 44, applied: 44, stale: 0, exitCode: 0 })
  t.same(await scanAll(target), await scanAll(source), 'every field equal, access stats included')
  const second = await importFromFile(target, file)
  t.same({ applied: second.applied, stale: second.stale }, { applied: 0, stale: 44 }, 'importing twice is harmless')
})

t.test('tool registrations travel with the backup; version 1 files still import', async (t) => {
  const dir = await tempDir(t)
  const source = createInMemoryStore()
  await seed(source, { 'tool-a': 3 })
  const at = new Date('2026-11-01T00:00:00Z')
  const registration = {
    tool: 'tool-a', displayName: 'Tool A', maxTokens: 9_000, overBudget: 'evict' as const, evictionOrder: 'lfu' as const,
    defaultTtlSeconds: 600, readers: ['tool-b'], version: 1, createdAt: at, updatedAt: at,
  }
  await source.putTool(registration)
  await source.putTool({ ...registration, tool: 'tool-z', readers: [] })
  const file = join(dir, 'with-tools.ndjson')
  t.match(await exportToFile(source, file), { rows: 3, registrations: 2 })
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n')
  t.same(lines.slice(0, 2).map((l) => JSON.parse(l).registration.tool), ['tool-a', 'tool-z'], 'registrations first, by tool')

  const target = createInMemoryStore()
  const report = await importFromFile(target, file)
  t.match(report, { rows: 3, registrations: 2, applied: 3, exitCode: 0 })
  t.match(await target.getTool('tool-a'), { maxTokens: 9_000, evictionOrder: 'lfu', readers: ['tool-b'], defaultTtlSeconds: 600 })
  t.equal((await importFromFile(target, file)).registrations, 0, 'a registration already current is not written again')

  const newer = { ...registration, maxTokens: 1, updatedAt: new Date('2026-11-20T00:00:00Z') }
  await target.putTool(newer)
  await importFromFile(target, file)
  t.match(await target.getTool('tool-a'), { maxTokens: 1 }, 'a newer registration in the target is kept')

  const tampered = [JSON.stringify({ registration: { ...JSON.parse(lines[0]!).registration, overBudget: 'shrug' } }), ...lines.slice(1, -1)]
  const body = tampered.map((l) => l + '\n').join('')
  const sha256 = createHash('sha256').update(body).digest('hex')
  const bad = body + JSON.stringify({ trailer: { format: 'mcp-memory-ndjson', version: 2, rows: 3, registrations: 2, sha256 } }) + '\n'
  const untouched = createInMemoryStore()
  const refused = await importNdjson(untouched, Buffer.from(bad))
  t.same([refused.exitCode, refused.rejected.map((r) => r.line)], [1, [1]], 'an invalid registration line is named')
  t.match(refused.rejected[0]?.problems.join(), /registration\.overBudget/)
  t.same(await untouched.listTools(), [], 'nothing written')

  const v1 = backup([JSON.stringify({ ...JSON.parse(lines[2]!) })])
  t.match(await importNdjson(createInMemoryStore(), Buffer.from(v1)), { rows: 1, registrations: 0, applied: 1, exitCode: 0 }, 'a version 1 file imports')
})

t.test('damaged files are refused whole, nothing written', async (t) => {
  const source = createInMemoryStore()
  await seed(source, { 'tool-a': 5 })
  const dir = await tempDir(t)
  const file = join(dir, 'b.ndjson')
  await exportToFile(source, file)
  const good = await readFile(file, 'utf8')
  const lines = good.trimEnd().split('\n')
  const cases: Record<string, string> = {
    'tampered line': good.replace('"note ', '"nOte '),
    'wrong checksum': good.replace(/"sha256":"[0-9a-f]{4}/, '"sha256":"0000'),
    'missing trailer': lines.slice(0, -1).join('\n') + '\n',
    'truncated (row count)': backup(lines.slice(0, 3), 5),
    'empty file': '',
  }
  for (const [name, text] of Object.entries(cases)) {
    const target = createInMemoryStore()
    await t.rejects(importNdjson(target, Buffer.from(text)), BackupFormatError, name)
    t.same(await target.scan(null, 10), [], `${name}: nothing written`)
  }
  await t.rejects(importNdjson(createInMemoryStore(), Buffer.from(cases['missing trailer']!)), /missing trailer/)
  await t.rejects(importNdjson(createInMemoryStore(), Buffer.from(cases['wrong checksum']!)), /checksum mismatch/)
})

t.test('lines failing the schema are reported by line number; nothing is written unless skipInvalid', async (t) => {
  const [a, b, c] = [makeEntry({ tool: 'tool-a' }), makeEntry({ tool: 'tool-b' }), makeEntry({ tool: 'tool-c' })]
  const json = (e: typeof a) => JSON.stringify({ ...e, createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString() })
  const badHash = JSON.parse(json(b)) as Record<string, unknown>
  badHash.contentHash = 'sha256:' + '0'.repeat(64)
  const file = Buffer.from(backup([json(a), JSON.stringify(badHash), '{not json', json(c)]))
  const untouched = createInMemoryStore()
  const refused = await importNdjson(untouched, file)
  t.same([refused.exitCode, refused.applied, refused.rejected.map((r) => r.line)], [1, 0, [2, 3]], 'refused: lines 2 and 3 named')
  t.same(await scanAll(untouched), [], 'nothing half-imported')
  const target = createInMemoryStore()
  const report = await importNdjson(target, file, { skipInvalid: true })
  t.equal(report.exitCode, 1)
  t.same(report.rejected.map((r) => r.line), [2, 3])
  t.match(report.rejected[0]?.problems.join(), /contentHash: does not match/)
  t.equal(report.applied, 2)
  t.same((await scanAll(target)).map((e) => e.id), [a.id, c.id])
})

t.test('Postgres round trip: export blue, import into an empty green, verify equal', { skip: pgSkip ?? false }, async (t) => {
  const db = await createTestDatabase(t, 'ndjson')
  const [blue, green] = [await pgSide(t, db), await pgSide(t, db)]
  for (const entry of variedEntries()) await blue.store.applyMirror({ kind: 'entry', entry })
  await seed(blue.store, { 'tool-c': 120 })
  const dir = await tempDir(t)
  const file = join(dir, 'pg.ndjson')
  t.equal((await exportToFile(blue.store, file, { chunkSize: 50 })).rows, 124)
  const report = await importFromFile(green.store, file)
  t.equal(report.applied, 124)
  t.same(await scanAll(green.store), await scanAll(blue.store), 'every field equal, access stats included')
  t.equal((await runVerify({ primary: blue.store, secondary: green.store, recheckMs: 0, expectRows: 124 })).exitCode, 0)
  await writeFile(file, (await readFile(file, 'utf8')).replace('tool-c', 'tool-x'))
  await t.rejects(importFromFile(green.store, file), /checksum mismatch/)
})
