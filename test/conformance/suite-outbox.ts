/**
 * Conformance: the mirror outbox (write-ahead rows of dual writes, claimed by the repair worker)
 * and `mirrorRecord`, which a replay reads from the primary and applies to the other side.
 * Outbox stats count the whole store: like every factory of the suite, each store is isolated.
 */
import { newId } from '../../src/domain/memory/ids.js'
import type { MirrorRecord } from '../../src/domain/memory/memory-entry.js'
import type { MemoryStore, OutboxItem } from '../../src/storage/memory-store.js'
import { makeEntry } from '../helpers/entries.js'
import type { StoreTest } from './suite-kit.js'

/** An outbox row for (tool, id) towards `target`, without a key. */
const row = (target: string, tool: string, id = newId()) => ({ target, tool, id, key: null })

const seqs = (items: OutboxItem[]) => items.map((i) => i.seq)

export function outboxTests(test: StoreTest): void {
  test('outboxAdd returns increasing seqs and keeps the row as given', async ({ t, store, clock, tool }) => {
    const [target, a] = [tool('green'), tool()]
    const first = await store.outboxAdd(row(target, a), 0)
    const second = await store.outboxAdd({ target, tool: a, id: 'not-a-uuid', key: 'k' }, 0)
    const third = await store.outboxAdd(row(target, a), 0)
    t.ok(Number.isSafeInteger(first), 'an integer seq')
    t.ok(first < second && second < third, 'increasing')
    const claimed = await store.outboxClaim(target, 10, 1000)
    t.strictSame(claimed[1], {
      seq: second, target, tool: a, id: 'not-a-uuid', key: 'k', attempts: 0,
      createdAt: clock.now(), nextAttemptAt: clock.now() + 1000, lastError: null,
    }, 'an id that is no uuid and a key are kept')
  })

  test('a row is claimable once due, not before', async ({ t, store, clock, tool }) => {
    const target = tool('green')
    const seq = await store.outboxAdd(row(target, tool()), 1000)
    t.strictSame(await store.outboxClaim(target, 10, 500), [], 'not due yet')
    clock.advance(999)
    t.strictSame(await store.outboxClaim(target, 10, 500), [], 'one ms short')
    clock.advance(1)
    t.strictSame(seqs(await store.outboxClaim(target, 10, 500)), [seq], 'due')
  })

  test('outboxClaim returns due rows of its target only, lowest seq first, at most limit', async ({ t, store, clock, tool }) => {
    const [green, blue, a] = [tool('green'), tool('blue'), tool()]
    const g1 = await store.outboxAdd(row(green, a), 0)
    const b1 = await store.outboxAdd(row(blue, a), 0)
    const later = await store.outboxAdd(row(green, a), 5000)
    const g2 = await store.outboxAdd(row(green, a), 0)
    const g3 = await store.outboxAdd(row(green, a), 0)
    t.strictSame(await store.outboxClaim(green, 0, 1000), [], 'limit 0 claims nothing')
    t.strictSame(seqs(await store.outboxClaim(green, 2, 1000)), [g1, g2], 'lowest due seqs first, a row not due skipped')
    t.strictSame(seqs(await store.outboxClaim(green, 10, 1000)), [g3], 'then the rest')
    t.strictSame(seqs(await store.outboxClaim(blue, 10, 1000)), [b1], 'the other target')
    t.strictSame(await store.outboxClaim(tool('none'), 10, 1000), [], 'an unknown target')
    clock.advance(5000)
    t.strictSame(seqs(await store.outboxClaim(green, 10, 1000)), [g1, later, g2, g3], 'all due again, in seq order')
  })

  test('a claimed row is not claimed again until its lease ends', async ({ t, store, clock, tool }) => {
    const target = tool('green')
    const seq = await store.outboxAdd(row(target, tool()), 0)
    const [claimed] = await store.outboxClaim(target, 10, 5000)
    t.equal(claimed?.nextAttemptAt, clock.now() + 5000, 'leased until now + leaseMs')
    t.strictSame(await store.outboxClaim(target, 10, 5000), [], 'leased')
    clock.advance(4999)
    t.strictSame(await store.outboxClaim(target, 10, 5000), [], 'one ms before the lease ends')
    clock.advance(1)
    const [again] = await store.outboxClaim(target, 10, 5000)
    t.equal(again?.seq, seq, 'claimable once the lease ended')
    t.equal(again?.attempts, 0, 'a lapsed lease is not a failed attempt')
  })

  test('concurrent claims never hand out one row twice', async ({ t, store, tool }) => {
    const target = tool('green')
    const added: number[] = []
    for (let i = 0; i < 12; i++) added.push(await store.outboxAdd(row(target, tool()), 0))
    const claims = await Promise.all([0, 1, 2].map(() => store.outboxClaim(target, 12, 60_000)))
    const all = claims.flatMap(seqs).sort((x, y) => x - y)
    t.strictSame(all, added, 'every row claimed exactly once')
  })

  test('outboxRetry counts the failure, keeps a truncated error and reschedules the row', async ({ t, store, clock, tool }) => {
    const target = tool('green')
    const seq = await store.outboxAdd(row(target, tool()), 0)
    await store.outboxClaim(target, 10, 60_000)
    await store.outboxRetry(seq, 2000, 'x'.repeat(600))
    clock.advance(1999)
    t.strictSame(await store.outboxClaim(target, 10, 60_000), [], 'delayed')
    clock.advance(1)
    const [first] = await store.outboxClaim(target, 10, 60_000)
    t.equal(first?.attempts, 1, 'one failure')
    t.equal(first?.lastError, 'x'.repeat(500), 'error cut to 500 characters')
    await store.outboxRetry(seq, 0, 'boom')
    const [second] = await store.outboxClaim(target, 10, 60_000)
    t.equal(second?.attempts, 2, 'two failures')
    t.equal(second?.lastError, 'boom', 'the last error')
    t.equal(second?.nextAttemptAt, clock.now() + 60_000, 'a retry due now replaced the lease')
    await store.outboxRetry(seq + 1_000_000, 0, 'unknown')
    t.equal((await store.outboxStats()).pending, 1, 'retry of an unknown seq changes nothing')
  })

  test('outboxRemove deletes rows; unknown seqs and an empty list are ignored', async ({ t, store, tool }) => {
    const target = tool('green')
    const [a, b] = [await store.outboxAdd(row(target, tool()), 0), await store.outboxAdd(row(target, tool()), 0)]
    await store.outboxRemove([a, b + 1_000_000])
    await store.outboxRemove([])
    t.strictSame(seqs(await store.outboxClaim(target, 10, 1000)), [b], 'only the removed row is gone')
    await store.outboxRemove([b, b])
    t.strictSame(await store.outboxStats(), { pending: 0, oldestCreatedAt: null }, 'empty')
  })

  test('outboxStats counts rows (leased ones too) and names the oldest', async ({ t, store, clock, tool }) => {
    const target = tool('green')
    t.strictSame(await store.outboxStats(), { pending: 0, oldestCreatedAt: null }, 'empty store')
    const start = clock.now()
    const first = await store.outboxAdd(row(target, tool()), 0)
    clock.advance(1000)
    await store.outboxAdd(row(tool('blue'), tool()), 0)
    await store.outboxClaim(target, 10, 60_000)
    t.strictSame(await store.outboxStats(), { pending: 2, oldestCreatedAt: start }, 'both targets, the claimed row included')
    await store.outboxRemove([first])
    t.strictSame(await store.outboxStats(), { pending: 1, oldestCreatedAt: start + 1000 }, 'the next oldest')
  })

  test('mirrorRecord returns the stored entry with its version', async ({ t, store, tool }) => {
    const entry = (await store.create(makeEntry({ tool: tool(), key: 'k' }), { dedupe: false })).entry
    const updated = await store.update({ ...entry, content: 'second version' })
    t.strictSame(await store.mirrorRecord(entry.tool, entry.id), { kind: 'entry', entry: updated }, 'version 2, as stored')
    t.strictSame(await store.mirrorRecord(entry.tool, entry.id), { kind: 'entry', entry: await store.get(entry.tool, entry.id) },
      'what get returns')
  })

  test('mirrorRecord returns an expired entry until it is purged', async ({ t, store, clock, tool }) => {
    const entry = (await store.create(makeEntry({ tool: tool(), expiresAt: new Date(clock.now() + 1000) }), { dedupe: false })).entry
    clock.advance(1000)
    t.equal(await store.get(entry.tool, entry.id), null, 'expired')
    t.strictSame(await store.mirrorRecord(entry.tool, entry.id), { kind: 'entry', entry }, 'still stored')
    await store.purgeExpired(clock.now(), 100)
    t.equal(await store.mirrorRecord(entry.tool, entry.id), null, 'purged: nothing left to mirror')
  })

  test('mirrorRecord returns the tombstone of a delete', async ({ t, store, tool }) => {
    const entry = (await store.create(makeEntry({ tool: tool() }), { dedupe: false })).entry
    await store.update({ ...entry, content: 'second version' })
    const tombstone = await store.delete(entry.tool, entry.id)
    t.equal(tombstone?.version, 3, 'the delete of version 2')
    t.strictSame(await store.mirrorRecord(entry.tool, entry.id), { kind: 'tombstone', tombstone }, 'the local delete')
    const mirrored = { tool: tool(), id: newId(), version: 4, deletedAt: new Date(1_700_000_000_000) }
    await store.applyMirror({ kind: 'tombstone', tombstone: mirrored })
    t.strictSame(await store.mirrorRecord(mirrored.tool, mirrored.id), { kind: 'tombstone', tombstone: mirrored }, 'a mirrored one')
    const revived = makeEntry({ tool: mirrored.tool, id: mirrored.id, version: 5 })
    await store.applyMirror({ kind: 'entry', entry: revived })
    t.strictSame(await store.mirrorRecord(mirrored.tool, mirrored.id), { kind: 'entry', entry: revived },
      'an entry newer than the tombstone wins')
  })

  test('mirrorRecord is null for what never existed', async ({ t, store, tool }) => {
    const entry = (await store.create(makeEntry({ tool: tool() }), { dedupe: false })).entry
    t.equal(await store.mirrorRecord(entry.tool, newId()), null, 'an unknown id')
    t.equal(await store.mirrorRecord(tool('b'), entry.id), null, 'the id under another tool')
    t.equal(await store.mirrorRecord(entry.tool, 'not-a-uuid'), null, 'an id that is no uuid')
  })

  test('a repair pass replays claimed rows through mirrorRecord and applyMirror', async ({ t, store, clock, otherStore, tool }) => {
    const [a, green] = [tool(), tool('green')]
    const kept = (await store.create(makeEntry({ tool: a, key: 'kept' }), { dedupe: false })).entry
    await store.update({ ...kept, content: 'kept v2', tags: ['x'] })
    const dropped = (await store.create(makeEntry({ tool: a }), { dedupe: false })).entry
    await store.delete(a, dropped.id)
    const expiring = (await store.create(makeEntry({ tool: a, expiresAt: new Date(clock.now() + 10) }), { dedupe: false })).entry
    for (const id of [kept.id, dropped.id, expiring.id, newId()]) await store.outboxAdd(row(green, a, id), 0)
    clock.advance(10)

    const replica: MemoryStore = await otherStore()
    const claimed = await store.outboxClaim(green, 10, 30_000)
    const results: Array<string | null> = []
    for (const item of claimed) {
      const record: MirrorRecord | null = await store.mirrorRecord(item.tool, item.id)
      results.push(record === null ? null : await replica.applyMirror(record))
    }
    await store.outboxRemove(seqs(claimed))
    t.strictSame(results, ['applied', 'applied', 'applied', null], 'entry, tombstone, expired entry; nothing for an unknown id')
    t.strictSame(await store.outboxStats(), { pending: 0, oldestCreatedAt: null }, 'outbox drained')
    for (const [name, id] of Object.entries({ kept: kept.id, dropped: dropped.id, expiring: expiring.id })) {
      t.strictSame(await replica.get(a, id), await store.get(a, id), `${name}: get agrees`)
      t.strictSame(await replica.mirrorRecord(a, id), await store.mirrorRecord(a, id), `${name}: mirrorRecord agrees`)
    }
    t.strictSame(await replica.findByKey(a, 'kept'), await store.findByKey(a, 'kept'), 'key index agrees')
    const again = await store.mirrorRecord(a, kept.id)
    t.equal(await replica.applyMirror(again!), 'stale', 'a replayed row is stale: replays are idempotent')
  })
}
