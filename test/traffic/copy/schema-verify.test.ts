/** schema-verify: every stored row against the entry schema; tampering in SQL is reported per row. */
import t from 'tap'
import { createInMemoryStore } from '../../../src/storage/in-memory/in-memory-store.js'
import { storedEntryProblems, entryToJson } from '../../../src/traffic/copy/entry-json.js'
import { runSchemaVerify } from '../../../src/traffic/copy/schema-verify.js'
import { makeEntry } from '../../helpers/entries.js'
import { createTestDatabase, postgresUnavailable } from '../../helpers/services.js'
import { pgSide, seed } from './copy-fixtures.js'

const pgSkip = await postgresUnavailable()

t.test('entry schema problems', async (t) => {
  const ok = entryToJson(makeEntry())
  t.same(storedEntryProblems(ok), [])
  const bad = { ...ok, tool: 'bad tool', tokens: -1, version: 0, tags: ['a b'], updatedAt: '2000-01-01T00:00:00.000Z' }
  const problems = storedEntryProblems(bad).join('\n')
  for (const field of ['tool', 'tokens', 'version', 'tags.0', 'updatedAt']) t.match(problems, new RegExp(`^${field.replace('.', '\\.')}:`, 'm'), field)
  t.match(storedEntryProblems({ ...ok, contentType: 'application/json', content: 'x', contentHash: entryToJson(makeEntry({ content: 'x' })).contentHash }).join(), /not valid JSON/)
  t.match(storedEntryProblems(ok, 3).join(), /larger than 3 bytes/)
})

t.test('a clean store passes', async (t) => {
  const store = createInMemoryStore()
  await seed(store, { 'tool-a': 30, 'tool-b': 5 })
  const report = await runSchemaVerify({ store, chunkSize: 7 })
  t.same({ rows: report.rows, badRows: report.badRows, exitCode: report.exitCode }, { rows: 35, badRows: 0, exitCode: 0 })
})

t.test('a failing store is exit 2', async (t) => {
  const store = createInMemoryStore()
  await store.close()
  const report = await runSchemaVerify({ store, retries: 0 })
  t.equal(report.exitCode, 2)
  t.match(report.failure, /closed/)
})

t.test('Postgres: a contentHash tampered in SQL is flagged', { skip: pgSkip ?? false }, async (t) => {
  const db = await createTestDatabase(t, 'schemaverify')
  const side = await pgSide(t, db)
  const entries = await seed(side.store, { 'tool-a': 40 })
  const victim = entries[17]!
  await side.sql.query(`UPDATE memories SET content_hash = 'sha256:' || repeat('ab', 32) WHERE id = $1`, [victim.id])
  await side.sql.query(`UPDATE memories SET updated_at = created_at - interval '1 day' WHERE id = $1`, [entries[3]!.id])
  const report = await runSchemaVerify({ store: side.store, chunkSize: 15 })
  t.equal(report.exitCode, 1)
  t.equal(report.rows, 40)
  t.equal(report.badRows, 2)
  const flagged = report.bad.find((b) => b.id === victim.id)
  t.same(flagged?.problems, ['contentHash: does not match the hash of content'])
  t.match(report.bad.find((b) => b.id === entries[3]!.id)?.problems.join(), /updatedAt: is before createdAt/)
})
