/** Conformance: stats, scan, idempotency keys, ping and close. */
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import type { ScanKey, StoredResponse } from '../../src/storage/memory-store.js'
import { makeEntry } from '../helpers/entries.js'
import { expectAppError, type StoreTest } from './suite-kit.js'

const ZERO_ID = '00000000-0000-0000-0000-000000000000'

export function operationsTests(test: StoreTest): void {
  test('recordAccess adds counts and keeps the latest read time, without a new version', async ({ t, store, clock, tool }) => {
    const a = tool('a')
    const entry = (await store.create(makeEntry({ tool: a }), { dedupe: false })).entry
    const short = (await store.create(makeEntry({ tool: a, expiresAt: new Date(clock.now() + 10) }), { dedupe: false })).entry
    const t1 = new Date(clock.now() + 1)
    const t2 = new Date(clock.now() + 2)
    await store.recordAccess([{ tool: a, id: entry.id, count: 3, lastAccessedAt: t2 }])
    await store.recordAccess([
      { tool: a, id: entry.id, count: 2, lastAccessedAt: t1 },
      { tool: a, id: ZERO_ID, count: 1, lastAccessedAt: t1 },
      { tool: a, id: 'not-a-uuid', count: 1, lastAccessedAt: t1 },
    ])
    const read = await store.get(a, entry.id)
    t.equal(read?.accessCount, 5, 'counts add up')
    t.equal(read?.lastAccessedAt?.getTime(), t2.getTime(), 'an older read time does not move it back')
    t.equal(read?.version, 1, 'no new version')
    t.equal(read?.updatedAt.getTime(), entry.updatedAt.getTime(), 'not an update')
    clock.advance(20)
    await store.recordAccess([{ tool: a, id: short.id, count: 1, lastAccessedAt: new Date(clock.now()) }])
    t.equal(await store.get(a, short.id), null, 'expired entries stay expired')
  })

  test('stats counts live entries per tool and type and sums tokens', async ({ t, store, clock, tool }) => {
    const [a, b] = [tool('a'), tool('b')]
    const entries: MemoryEntry[] = [
      makeEntry({ tool: a, type: 'fact', tokens: 3 }),
      makeEntry({ tool: a, type: 'fact', tokens: 4 }),
      makeEntry({ tool: a, type: 'preference', tokens: 10 }),
      makeEntry({ tool: b, type: 'fact', tokens: 5 }),
      makeEntry({ tool: b, type: 'fact', tokens: 100, expiresAt: new Date(clock.now() + 1000) }),
    ]
    for (const e of entries) await store.create(e, { dedupe: false })
    await store.delete(b, (await store.create(makeEntry({ tool: b, tokens: 50 }), { dedupe: false })).entry.id)
    clock.advance(1000)
    const stats = await store.stats()
    t.strictSame(stats.tools.filter((s) => s.tool === a || s.tool === b), [
      { tool: a, entries: 3, tokens: 17, types: { fact: 2, preference: 1 } },
      { tool: b, entries: 1, tokens: 5, types: { fact: 1 } },
    ], 'per tool (sorted by tool), expired and deleted entries excluded')
    t.equal(stats.entries, stats.tools.reduce((n, s) => n + s.entries, 0), 'total entries = sum over tools')
    t.equal(stats.tokens, stats.tools.reduce((n, s) => n + s.tokens, 0), 'total tokens = sum over tools')
    t.ok(stats.tools.every((s, i, all) => i === 0 || all[i - 1]!.tool < s.tool), 'tools in ascending order')
  })

  test('stats of some tools counts only those tools', async ({ t, store, clock, tool }) => {
    const [a, b, c] = [tool('a'), tool('b'), tool('c')]
    for (const e of [
      makeEntry({ tool: a, type: 'fact', tokens: 3 }),
      makeEntry({ tool: a, type: 'episode', tokens: 4 }),
      makeEntry({ tool: b, type: 'fact', tokens: 5 }),
      makeEntry({ tool: b, type: 'fact', tokens: 6, expiresAt: new Date(clock.now() + 10) }),
      makeEntry({ tool: c, type: 'fact', tokens: 100 }),
    ]) await store.create(e, { dedupe: false })
    clock.advance(10)
    t.strictSame(await store.stats([b, a]), {
      entries: 3,
      tokens: 12,
      tools: [
        { tool: a, entries: 2, tokens: 7, types: { episode: 1, fact: 1 } },
        { tool: b, entries: 1, tokens: 5, types: { fact: 1 } },
      ],
    }, 'only the given tools (sorted by tool), expired entries excluded, totals over them')
    t.strictSame(await store.stats([tool('unknown')]), { entries: 0, tokens: 0, tools: [] }, 'an unknown tool: nothing')
    t.strictSame(await store.stats([]), { entries: 0, tokens: 0, tools: [] }, 'no tools: nothing')
    t.strictSame((await store.stats([c, c])).tools, [{ tool: c, entries: 1, tokens: 100, types: { fact: 1 } }],
      'a repeated tool counts once')
  })

  test('scan walks (tool, id) in ascending code-unit order and resumes without repeats', async ({ t, store, clock, tool }) => {
    // Upper case sorts before lower case and '-' before letters: bytewise (COLLATE "C") order, not a locale's.
    const tools = [tool('b'), tool('B'), tool('a-x'), tool('ax'), tool('a')]
    const entries: MemoryEntry[] = []
    for (let i = 0; i < 12; i++) entries.push(makeEntry({ tool: tools[i % tools.length]! }))
    for (const e of entries) await store.create(e, { dedupe: false })
    const expired = makeEntry({ tool: tools[0]!, expiresAt: new Date(clock.now() + 10) })
    await store.create(expired, { dedupe: false })
    clock.advance(10)
    const mine = new Set(tools)
    const key = (e: ScanKey) => `${e.tool} ${e.id}`
    const expected = entries.map(key).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
    const start: ScanKey = { tool: [...tools].sort()[0]!, id: ZERO_ID }
    const whole = (await store.scan(start, 1000)).filter((e) => mine.has(e.tool)).map(key)
    t.strictSame(whole, expected, 'ordered by tool, then id; expired entries skipped')
    const walked: string[] = []
    let after: ScanKey | null = start
    for (let guard = 0; after !== null && guard < 100; guard++) {
      const batch: MemoryEntry[] = await store.scan(after, 5)
      walked.push(...batch.filter((e) => mine.has(e.tool)).map(key))
      const last = batch[batch.length - 1]
      after = batch.length < 5 || !last ? null : { tool: last.tool, id: last.id }
    }
    t.strictSame(walked, expected, 'resumed batches of 5 neither repeat nor skip')
    const fromMiddle = await store.scan({ tool: entries[3]!.tool, id: entries[3]!.id }, 1000)
    t.strictSame(fromMiddle.filter((e) => mine.has(e.tool)).map(key), expected.slice(expected.indexOf(key(entries[3]!)) + 1),
      'strictly after the given key')
    const fromNull = await store.scan(null, 100_000)
    t.ok(fromNull.filter((e) => mine.has(e.tool)).length === entries.length, 'null starts from the beginning')
  })

  test('an Idempotency-Key is claimed once, then pending, then done with the response', async ({ t, store, tool }) => {
    const response: StoredResponse = { status: 201, headers: { etag: '"1"', location: '/v2/memories/x' }, body: { id: 'x', n: [1, 2] } }
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-1', 'hash-1', 60_000), { state: 'claimed' }, 'first claim')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-1', 'hash-1', 60_000), { state: 'pending' }, 'second claim')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-1', 'hash-2', 60_000), { state: 'pending' }, 'other request')
    t.strictSame(await store.claimIdempotencyKey(tool('b'), 'key-1', 'hash-1', 60_000), { state: 'claimed' }, 'keys are per tool')
    t.equal(await store.completeIdempotencyKey(tool(), 'key-1', 'hash-1', response, 60_000), true, 'completed')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-1', 'hash-1', 60_000),
      { state: 'done', requestHash: 'hash-1', response }, 'done with the response and the original request hash')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-1', 'hash-2', 60_000),
      { state: 'done', requestHash: 'hash-1', response }, 'a different request sees the original hash')
  })

  test('completing a claim that lapsed and was taken over returns false and writes nothing', async ({ t, store, clock, tool }) => {
    const first: StoredResponse = { status: 201, headers: {}, body: { from: 'first' } }
    const second: StoredResponse = { status: 201, headers: {}, body: { from: 'second' } }
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-4', 'hash-1', 1_000), { state: 'claimed' }, 'first request claims')
    clock.advance(1_000)
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-4', 'hash-2', 1_000), { state: 'claimed' },
      'the claim lapsed: a different request takes it over')
    t.equal(await store.completeIdempotencyKey(tool(), 'key-4', 'hash-1', first, 60_000), false, 'the slow first request')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-4', 'hash-2', 1_000), { state: 'pending' },
      'still pending for the successor: nothing was written')
    t.equal(await store.completeIdempotencyKey(tool(), 'key-4', 'hash-2', second, 60_000), true, 'the successor completes')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-4', 'hash-1', 1_000),
      { state: 'done', requestHash: 'hash-2', response: second }, "the successor's response is remembered")
    t.equal(await store.completeIdempotencyKey(tool(), 'key-4', 'hash-2', first, 60_000), false, 'a done record is not overwritten')
    t.equal(await store.completeIdempotencyKey(tool(), 'never-claimed', 'hash-1', first, 60_000), false, 'an unclaimed key')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'never-claimed', 'hash-1', 1_000), { state: 'claimed' },
      'and nothing was recorded for it')
  })

  test('releasing an Idempotency-Key lets a retry claim it', async ({ t, store, tool }) => {
    await store.claimIdempotencyKey(tool(), 'key-2', 'hash', 60_000)
    await store.releaseIdempotencyKey(tool(), 'key-2')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-2', 'hash', 60_000), { state: 'claimed' }, 'claimed again')
    await store.releaseIdempotencyKey(tool(), 'never-claimed')
    t.strictSame(await store.claimIdempotencyKey(tool(), 'never-claimed', 'hash', 60_000), { state: 'claimed' },
      'releasing an unknown key is harmless')
  })

  test('pending claims and done records lapse after their ttl', async ({ t, store, clock, tool }) => {
    await store.claimIdempotencyKey(tool(), 'key-3', 'hash', 1_000)
    clock.advance(999)
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-3', 'hash', 1_000), { state: 'pending' }, 'pending before the ttl')
    clock.advance(1)
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-3', 'hash', 1_000), { state: 'claimed' }, 'claimable at the ttl')
    t.equal(await store.completeIdempotencyKey(tool(), 'key-3', 'hash', { status: 200, headers: {}, body: null }, 5_000), true)
    clock.advance(4_999)
    t.equal((await store.claimIdempotencyKey(tool(), 'key-3', 'hash', 1_000)).state, 'done', 'done before its ttl')
    clock.advance(1)
    t.strictSame(await store.claimIdempotencyKey(tool(), 'key-3', 'hash', 1_000), { state: 'claimed' }, 'claimable after it')
  })

  test('ping answers; close is idempotent and makes operations fail with backend_unavailable', async ({ t, otherStore }) => {
    const store = await otherStore()
    await store.ping()
    t.equal(typeof store.backend, 'string', 'backend label')
    t.ok(store.backend.length > 0, 'backend label is not empty')
    await store.close()
    await store.close()
    await expectAppError(t, store.ping(), 'backend_unavailable', 'ping after close')
    await expectAppError(t, store.get('x', ZERO_ID), 'backend_unavailable', 'get after close')
  })
}
