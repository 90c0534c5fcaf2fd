/** Backfill blue → green between two Postgres schemas: full copy, abort and resume, fingerprint, dry run, version safety. */
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { createInMemoryStore } from '../../../src/storage/in-memory/in-memory-store.js'
import type { MemoryStore } from '../../../src/storage/memory-store.js'
import { BackfillRefusedError, runBackfill } from '../../../src/traffic/copy/backfill.js'
import { loadCheckpoint } from '../../../src/traffic/copy/checkpoint.js'
import { ChunkSizer } from '../../../src/traffic/copy/chunk-sizer.js'
import { createProgress } from '../../../src/traffic/copy/progress.js'
import { runVerify } from '../../../src/traffic/copy/verify.js'
import { makeEntry } from '../../helpers/entries.js'
import { createTestDatabase, postgresUnavailable } from '../../helpers/services.js'
import { pgSide, scanAll, seed, tempDir } from './copy-fixtures.js'

const pgSkip = await postgresUnavailable()

const TOOLS = { 'tool-a': 900, 'tool-b': 700, 'tool-c': 800, 'tool-d': 600 }
const TOTAL = 3000

/** Counts applyMirror calls per id, to prove no row is copied twice. */
function counting(store: MemoryStore) {
  const calls = new Map<string, number>()
  const target = {
    getMany: store.getMany.bind(store),
    getTool: store.getTool.bind(store),
    putTool: store.putTool.bind(store),
    applyMirror: (record: Parameters<MemoryStore['applyMirror']>[0]) => {
      if (record.kind === 'entry') calls.set(record.entry.id, (calls.get(record.entry.id) ?? 0) + 1)
      return store.applyMirror(record)
    },
  }
  return { target, calls }
}

t.test('adaptive chunk sizer (pure)', async (t) => {
  const s = new ChunkSizer({ initial: 500, min: 50, max: 5000, targetMs: 500 })
  t.equal(s.record(100), 1000, 'fast chunk (< target/2) doubles')
  t.equal(s.record(249), 2000)
  t.equal(s.record(400), 2000, 'inside the dead band stays')
  t.equal(s.record(1000), 2000, 'exactly 2x target stays')
  t.equal(s.record(1001), 1000, 'slow chunk (> 2x target) halves')
  for (let i = 0; i < 10; i++) s.record(10_000)
  t.equal(s.size, 50, 'never below min')
  for (let i = 0; i < 10; i++) s.record(0)
  t.equal(s.size, 5000, 'never above max')
  t.equal(new ChunkSizer({ initial: 10, min: 50, max: 100, targetMs: 1 }).size, 50, 'initial is clamped')
  t.throws(() => new ChunkSizer({ initial: 10, min: 60, max: 50, targetMs: 1 }), RangeError)
})

t.test('progress: plain lines at most every 2 s off a terminal, one redrawn line on a terminal', async (t) => {
  let clock = 0
  const plain: string[] = []
  const p = createProgress({ stream: { write: (s: string) => plain.push(s), isTTY: false }, label: 'backfill', now: () => clock })
  const state = (rows: number) => ({ rows, runRows: rows, total: 1000, chunkSize: 100, elapsedMs: clock })
  p.update(state(100))
  clock = 1000
  p.update(state(200))
  clock = 2500
  p.update(state(300))
  p.done(state(1000))
  t.same(plain.length, 3)
  t.match(plain[0], /^backfill: 100\/1000 rows \(10\.0%\), \d+ rows\/s, chunk 100\n$/)
  t.match(plain[1], /^backfill: 300\/1000/)
  t.match(plain[2], /\(done\)\n$/)
  const tty: string[] = []
  const q = createProgress({ stream: { write: (s: string) => tty.push(s), isTTY: true }, label: 'backfill', now: () => clock })
  q.update(state(100))
  q.update(state(200))
  q.done(state(1000))
  t.equal(tty.length, 3)
  t.ok(tty.every((s) => s.startsWith('\r')), 'redrawn in place')
  t.match(tty[1], /\[#####-+\]\s+20\.0%/)
  t.ok(tty[2]!.endsWith('\n'))
})

t.test('throttle: sleeps so that rows/s stays at the limit', async (t) => {
  const blue = createInMemoryStore()
  const green = createInMemoryStore()
  await seed(blue, { 'tool-a': 250 })
  const sleeps: number[] = []
  const dir = await tempDir(t)
  const result = await runBackfill({
    source: blue, target: green, sourceId: 'memory://blue', targetId: 'memory://green', checkpointFile: join(dir, 'cp.json'),
    chunkSize: 100, minChunk: 50, maxChunk: 100, rowsPerSecond: 50, now: () => 0,
    sleep: async (ms) => void sleeps.push(ms),
  })
  t.equal(result.rows, 250)
  t.same(sleeps.filter((ms) => ms > 0), [1000, 2000, 3000, 4000, 5000], 'chunks capped at max(min, rps) = 50 rows, one second each')
})

t.test('Postgres blue → green', { skip: pgSkip ?? false }, async (t) => {
  const db = await createTestDatabase(t, 'backfill')
  const blue = await pgSide(t, db)
  await seed(blue.store, TOOLS)
  const fixed = { chunkSize: 200, minChunk: 200, maxChunk: 200 }

  t.test('copies every row across tools; verify passes', async (t) => {
    const green = await pgSide(t, db)
    const dir = await tempDir(t)
    const chunks: number[] = []
    const at = new Date('2026-11-01T00:00:00Z')
    const registration = {
      tool: 'tool-a', displayName: 'Tool A', maxTokens: 50_000, overBudget: 'evict' as const, evictionOrder: 'importance' as const,
      defaultTtlSeconds: 3600, readers: ['tool-b'], version: 1, createdAt: at, updatedAt: at,
    }
    await blue.store.putTool(registration)
    const result = await runBackfill({
      source: blue.store, target: green.store, sourceId: blue.url, targetId: green.url, checkpointFile: join(dir, 'cp.json'),
      chunkSize: 100, minChunk: 50, maxChunk: 800, onChunk: (c) => void chunks.push(c.size),
    })
    t.equal(result.status, 'done')
    t.equal(result.registrations, 1, 'the tool registration was copied')
    t.match(await green.store.getTool('tool-a'), { ...registration, version: 1 }, 'green holds the registration, budget and grants included')
    t.equal(result.rows, TOTAL)
    t.equal(result.applied, TOTAL)
    t.ok(chunks.some((size) => size > 100), `chunk size adapted: ${chunks.join(',')}`)
    const report = await runVerify({ primary: blue.store, secondary: green.store, recheckMs: 0, expectRows: TOTAL })
    t.equal(report.exitCode, 0, report.problems.join('; '))
    t.equal(report.rowsCompared, TOTAL)
    const cp = await loadCheckpoint(join(dir, 'cp.json'))
    t.equal(cp?.done, true)
    t.equal(cp?.rows, TOTAL)
    const again = await runBackfill({
      source: blue.store, target: green.store, sourceId: blue.url, targetId: green.url, checkpointFile: join(dir, 'cp.json'),
      chunkSize: 100, minChunk: 50, maxChunk: 800,
    })
    t.equal(again.status, 'already-done', 'a finished checkpoint says so')
  })

  t.test('abort half-way, resume from the checkpoint, no row copied twice; a changed setting is refused', async (t) => {
    const green = await pgSide(t, db)
    const dir = await tempDir(t)
    const file = join(dir, 'cp.json')
    const { target, calls } = counting(green.store)
    const controller = new AbortController()
    const base = { source: blue.store, target, sourceId: blue.url, targetId: green.url, checkpointFile: file, ...fixed }
    const first = await runBackfill({ ...base, signal: controller.signal, onChunk: (c) => { if (c.index === 6) controller.abort() } })
    t.equal(first.status, 'aborted')
    t.equal(first.rows, 1400, 'stopped after the chunk in flight')
    const saved = await loadCheckpoint(file)
    t.equal(saved?.rows, 1400)
    t.equal(saved?.done, false)
    t.equal((await scanAll(green.store)).length, 1400, 'green holds exactly the checkpointed rows')

    const refused = runBackfill({ ...base, chunkSize: 300, maxChunk: 300 })
    await t.rejects(refused, BackfillRefusedError)
    await refused.catch((err: BackfillRefusedError) => {
      t.ok(err.changed.includes('--chunk-size'), `names the setting: ${err.message}`)
      t.match(err.message, /--restart/)
    })

    const second = await runBackfill(base)
    t.equal(second.status, 'done')
    t.same(second.resumedFrom, saved?.after, 'resumed after the saved key')
    t.equal(second.rows, TOTAL - 1400)
    t.equal(calls.size, TOTAL)
    t.ok([...calls.values()].every((n) => n === 1), 'every row applied exactly once over both runs')
    t.equal((await runVerify({ primary: blue.store, secondary: green.store, recheckMs: 0 })).exitCode, 0)

    const restarted = await runBackfill({ ...base, chunkSize: 300, maxChunk: 300, restart: true })
    t.equal(restarted.status, 'done', '--restart proceeds with the new settings')
    t.equal(restarted.rows, TOTAL)
    t.equal(restarted.stale, TOTAL, 'everything already current')
  })

  t.test('--dry-run writes nothing, not even the checkpoint', async (t) => {
    const green = await pgSide(t, db)
    const dir = await tempDir(t)
    const file = join(dir, 'cp.json')
    const result = await runBackfill({
      source: blue.store, target: green.store, sourceId: blue.url, targetId: green.url, checkpointFile: file, dryRun: true, ...fixed,
    })
    t.equal(result.rows, TOTAL)
    t.equal(result.applied, TOTAL, 'counts what it would write')
    t.same(await green.store.scan(null, 10), [], 'target still empty')
    await t.rejects(access(file), { code: 'ENOENT' }, 'no checkpoint file')
  })

  t.test('a newer version already mirrored on green is not overwritten', async (t) => {
    const src = await pgSide(t, db)
    const green = await pgSide(t, db)
    const dir = await tempDir(t)
    const old = makeEntry({ tool: 'tool-a', content: 'version one' })
    await src.store.applyMirror({ kind: 'entry', entry: old })
    const newer = makeEntry({ ...old, content: 'version two', version: 2 })
    await green.store.applyMirror({ kind: 'entry', entry: newer })
    const result = await runBackfill({ source: src.store, target: green.store, sourceId: src.url, targetId: green.url, checkpointFile: join(dir, 'cp.json') })
    t.equal(result.stale, 1)
    t.equal(result.applied, 0)
    const kept = await green.store.get('tool-a', old.id)
    t.equal(kept?.version, 2)
    t.equal(kept?.content, 'version two')
  })

  t.test('--tools copies only those tools; the checkpoint holds no secrets', async (t) => {
    const green = await pgSide(t, db)
    const dir = await tempDir(t)
    const file = join(dir, 'cp.json')
    const secretUrl = blue.url.replace('postgres://postgres@', 'postgres://postgres:hunter2-secret@')
    const result = await runBackfill({
      source: blue.store, target: green.store, sourceId: secretUrl, targetId: green.url, checkpointFile: file,
      tools: ['tool-d', 'tool-b'], chunkSize: 250, minChunk: 250, maxChunk: 250,
    })
    t.equal(result.rows, TOOLS['tool-b'] + TOOLS['tool-d'])
    const tools = new Set((await scanAll(green.store)).map((e) => e.tool))
    t.same([...tools].sort(), ['tool-b', 'tool-d'])
    const text = await readFile(file, 'utf8')
    t.notMatch(text, /hunter2/)
    t.notMatch(text, /postgres:\/\//, 'stores appear as hashes only')
    const cp = JSON.parse(text)
    for (const k of ['version', 'fingerprint', 'after', 'rows', 'applied', 'stale', 'startedAt', 'updatedAt', 'done']) t.ok(k in cp, k)
    const passwordChanged = await runBackfill({
      source: blue.store, target: green.store, sourceId: blue.url, targetId: green.url, checkpointFile: file,
      tools: ['tool-b', 'tool-d'], chunkSize: 250, minChunk: 250, maxChunk: 250,
    })
    t.equal(passwordChanged.status, 'already-done', 'another password (and tool order) is the same fingerprint')
  })
})
