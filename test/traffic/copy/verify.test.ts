/** verify: equal, planted differences (Postgres), digests that cannot be fooled, re-check, repair, failures, empty stores. */
import { createHash } from 'node:crypto'
import t from 'tap'
import { contentHash } from '../../../src/domain/memory/content-hash.js'
import type { MemoryEntry } from '../../../src/domain/memory/memory-entry.js'
import { createInMemoryStore } from '../../../src/storage/in-memory/in-memory-store.js'
import type { MemoryStore } from '../../../src/storage/memory-store.js'
import { canonicalRow, chunkDigest } from '../../../src/traffic/copy/canonical-row.js'
import { runVerify } from '../../../src/traffic/copy/verify.js'
import { formatVerifyReport } from '../../../src/cli/verify-command.js'
import { makeEntry } from '../../helpers/entries.js'
import { createTestDatabase, postgresUnavailable } from '../../helpers/services.js'
import { pgSide, seed } from './copy-fixtures.js'

const pgSkip = await postgresUnavailable()

const FAST = { recheckMs: 0, retryBaseMs: 1 }

async function mirrorAll(store: Pick<MemoryStore, 'applyMirror'>, entries: MemoryEntry[]) {
  for (const entry of entries) await store.applyMirror({ kind: 'entry', entry })
}

/** A store whose scan returns one row twice (an XOR or sum digest would cancel the pair). */
function duplicatingScan(inner: MemoryStore, id: string): MemoryStore {
  return {
    ...inner,
    scan: async (after, limit) => {
      const rows = await inner.scan(after, limit)
      const at = rows.findIndex((r) => r.id === id)
      if (at >= 0) rows.splice(at, 0, structuredClone(rows[at]!))
      return rows.slice(0, limit)
    },
  }
}

t.test('canonical rows and the ordered digest', async (t) => {
  const a = makeEntry({ metadata: { b: 1, a: { y: 2, x: 1 } } })
  const b = makeEntry()
  t.equal(canonicalRow(a), canonicalRow({ ...a, metadata: { a: { x: 1, y: 2 }, b: 1 } }), 'metadata key order (jsonb) does not matter')
  t.equal(canonicalRow(a), canonicalRow({ ...a, accessCount: 7, lastAccessedAt: new Date() }), 'read stats are not compared')
  t.not(canonicalRow(a), canonicalRow({ ...a, version: 2 }))
  const xor = (rows: MemoryEntry[]) => rows.map((r) => createHash('sha256').update(canonicalRow(r)).digest())
    .reduce((acc, h) => Buffer.from(acc.map((v, i) => v ^ h[i]!)), Buffer.alloc(32)).toString('hex')
  t.equal(xor([a, a, b]), xor([b]), 'an XOR digest cancels a duplicated row…')
  t.not(chunkDigest([a, a, b]), chunkDigest([b]), '…the chained digest does not')
  t.not(chunkDigest([a, b]), chunkDigest([b, a]), 'order matters')
})

t.test('Postgres: equal, planted differences narrowed to ids, repair', { skip: pgSkip ?? false }, async (t) => {
  const db = await createTestDatabase(t, 'verify')
  const blue = await pgSide(t, db)
  const green = await pgSide(t, db)
  const entries = await seed(blue.store, { 'tool-a': 120, 'tool-b': 90, 'tool-c': 90 }, { metadata: { z: 1, a: [1, { c: 2, b: 1 }] } })
  await mirrorAll(green.store, entries)

  const equal = await runVerify({ primary: blue.store, secondary: green.store, chunkSize: 50, ...FAST })
  t.equal(equal.exitCode, 0, 'equal stores pass')
  t.equal(equal.rowsCompared, 300)
  t.equal(equal.chunks, 6)
  t.equal(equal.differingChunks, 0)

  const [missing, changed, other] = [entries[10]!, entries[150]!, entries[260]!]
  await green.sql.query('DELETE FROM memories WHERE id = $1', [missing.id])
  await green.sql.query(`UPDATE memories SET content = 'planted' WHERE id = $1`, [changed.id])
  const extra = makeEntry({ tool: 'tool-b' })
  await green.store.applyMirror({ kind: 'entry', entry: extra })
  void other

  const found = await runVerify({ primary: blue.store, secondary: green.store, chunkSize: 50, ...FAST })
  t.equal(found.exitCode, 1)
  t.same(found.missing.ids, [`tool-a/${missing.id}`])
  t.same(found.different.ids, [`${changed.tool}/${changed.id}`], 'same-version content change found')
  t.same(found.extra.ids, [`tool-b/${extra.id}`])
  t.equal(found.repaired, 0)

  const mismatches: number[] = []
  const repaired = await runVerify({ primary: blue.store, secondary: green.store, chunkSize: 50, repair: true, onMismatchRows: (n) => void mismatches.push(n), ...FAST })
  t.same(mismatches, [3])
  t.equal(repaired.repaired, 3, JSON.stringify(repaired.unrepaired))
  t.equal(repaired.exitCode, 0)
  const [p, s] = [await blue.store.get(changed.tool, changed.id), await green.store.get(changed.tool, changed.id)]
  t.equal(p?.version, 2, 'the same-version repair gave the primary one no-op revision')
  t.equal(p?.content, changed.content)
  t.equal(p?.updatedAt.getTime(), changed.updatedAt.getTime(), 'updatedAt untouched')
  t.equal(s?.content, changed.content)
  t.equal(s?.version, 2)
  t.equal(await green.store.get('tool-b', extra.id), null, 'the extra row was removed')

  const after = await runVerify({ primary: blue.store, secondary: green.store, chunkSize: 50, ...FAST })
  t.equal(after.exitCode, 0, 'a second verify passes')
  t.equal(after.rowsCompared, 300)
})

t.test('XOR-fooling cases are caught: a duplicated row, two swapped values', async (t) => {
  const primary = createInMemoryStore()
  const inner = createInMemoryStore()
  const entries = await seed(primary, { 'tool-a': 30 })
  await mirrorAll(inner, entries)
  const dup = entries.map((e) => e.id).sort()[12]!
  const report = await runVerify({ primary, secondary: duplicatingScan(inner, dup), chunkSize: 10, ...FAST })
  t.equal(report.exitCode, 1)
  t.same(report.duplicate.ids, [`tool-a/${dup}`])
  t.equal(report.missing.count + report.extra.count + report.different.count, 0, 'only the duplicate')

  const repair = await runVerify({ primary, secondary: duplicatingScan(inner, dup), chunkSize: 10, repair: true, ...FAST })
  t.equal(repair.exitCode, 1, 'a duplicate is not repairable by mirror')
  t.match(repair.unrepaired[0]?.reason, /store defect/)

  const swapped = createInMemoryStore()
  const sorted = [...entries].sort((x, y) => (x.id < y.id ? -1 : 1))
  const [x, y] = [sorted[3]!, sorted[4]!]
  await mirrorAll(swapped, entries.filter((e) => e !== x && e !== y))
  await mirrorAll(swapped, [
    { ...x, content: y.content, contentHash: contentHash(y.content) },
    { ...y, content: x.content, contentHash: contentHash(x.content) },
  ])
  const sw = await runVerify({ primary, secondary: swapped, chunkSize: 10, ...FAST })
  t.equal(sw.exitCode, 1)
  t.same(sw.different.ids.sort(), [`tool-a/${x.id}`, `tool-a/${y.id}`].sort())
})

t.test('a difference fixed before the re-check does not count', async (t) => {
  const primary = createInMemoryStore()
  const secondary = createInMemoryStore()
  const entries = await seed(primary, { 'tool-a': 20 })
  const late = entries[5]!
  await mirrorAll(secondary, entries.filter((e) => e !== late))
  const report = await runVerify({
    primary, secondary, chunkSize: 10, recheckMs: 50,
    // The mirror lands after the chunk was read, before the re-check.
    onChunk: async (c) => { if (!c.equal) await secondary.applyMirror({ kind: 'entry', entry: late }) },
  })
  t.equal(report.differingChunks, 1)
  t.equal(report.settled, 1)
  t.equal(report.missing.count, 0)
  t.equal(report.exitCode, 0)
})

t.test('extra rows beyond a chunk range and after the primary ends', async (t) => {
  const primary = createInMemoryStore()
  const secondary = createInMemoryStore()
  const entries = (await seed(secondary, { 'tool-a': 12, 'tool-z': 3 })).sort((a, b) => (a.tool + a.id < b.tool + b.id ? -1 : 1))
  // The primary holds the first and the 12th row of tool-a: the secondary has 10 more inside that range.
  await mirrorAll(primary, [entries[0]!, entries[11]!])
  const report = await runVerify({ primary, secondary, chunkSize: 2, ...FAST })
  t.equal(report.extra.count, 13, '10 inside the range, 3 after the primary ends')
  t.equal(report.rowsCompared, 2)
  t.equal(report.exitCode, 1)
})

t.test('a failing secondary is a failure (exit 2), never a pass', async (t) => {
  const primary = createInMemoryStore()
  const secondary = createInMemoryStore()
  const entries = await seed(primary, { 'tool-a': 25 })
  await mirrorAll(secondary, entries)
  await secondary.close()
  const report = await runVerify({ primary, secondary, chunkSize: 10, retries: 2, ...FAST })
  t.equal(report.exitCode, 2)
  t.equal(report.passed, false)
  t.ok(report.failedChunks.length >= 1)
  t.match(report.failedChunks[0]?.error, /closed/)
  t.equal(report.rowsCompared, 0, 'nothing counted as compared')
  t.match(formatVerifyReport(report), /FAIL \(exit 2\)/)
})

t.test('empty stores: 0 rows compared, said explicitly; --expect-rows fails them', async (t) => {
  const report = await runVerify({ primary: createInMemoryStore(), secondary: createInMemoryStore(), ...FAST })
  t.equal(report.exitCode, 0)
  t.equal(report.rowsCompared, 0)
  t.match(formatVerifyReport(report), /rows compared: 0 \(0 rows compared/)
  const expecting = await runVerify({ primary: createInMemoryStore(), secondary: createInMemoryStore(), expectRows: 1, ...FAST })
  t.equal(expecting.exitCode, 1)
  t.match(expecting.problems.join(), /fewer than --expect-rows 1/)
})

t.test('a secondary ahead of the primary is not rolled back by repair', async (t) => {
  const primary = createInMemoryStore()
  const secondary = createInMemoryStore()
  const e = makeEntry()
  await primary.applyMirror({ kind: 'entry', entry: e })
  await secondary.applyMirror({ kind: 'entry', entry: { ...e, content: 'newer', contentHash: contentHash('newer'), version: 3 } })
  const report = await runVerify({ primary, secondary, repair: true, ...FAST })
  t.equal(report.exitCode, 1)
  t.equal(report.repaired, 0)
  t.match(report.unrepaired[0]?.reason, /newer version \(3 > 1\)/)
  t.equal((await secondary.get(e.tool, e.id))?.content, 'newer')
})
