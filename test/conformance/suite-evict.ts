/**
 * Conformance, `budget` group continued: eviction under the `evict` policy in each of the four
 * orders of `evictionComparator` (lru, lfu, importance, oldest), ties on id ascending, and the
 * written entry never being a victim.
 */
import type { AccessRecord } from '../../src/domain/memory/access-recorder.js'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import { EVICTION_ORDERS, type EvictionOrder } from '../../src/domain/tools/tool-record.js'
import { makeEntry } from '../helpers/entries.js'
import { budget, create, expectBudgetError, keyed, tombstones, update, upsert, usedTokens } from './suite-budget-kit.js'
import { asCreated, ids, type StoreTest } from './suite-kit.js'

/**
 * Four entries E1..E4 (created in that order, so ids ascend) whose eviction order under `order`
 * differs from id order, and the reads that set their access data. `victims` names that order by
 * index into E1..E4.
 */
interface OrderSpec {
  entries: (now: number) => Array<Partial<MemoryEntry>>
  /** Reads to record, per entry index: [count, ms before now]. */
  reads: Array<[index: number, count: number, agoMs: number]>
  victims: [number, number, number, number]
}

const LONG_AGO = 10_000

const ORDER_SPECS: Record<EvictionOrder, OrderSpec> = {
  // Earliest created first.
  oldest: {
    entries: (now) => [1000, 4000, 3000, 2000].map((ago) => ({ createdAt: new Date(now - ago) })),
    reads: [],
    victims: [1, 2, 3, 0],
  },
  // Least important first.
  importance: {
    entries: () => [0.5, 0.25, 0.75, 0.125].map((importance) => ({ importance })),
    reads: [[0, 1, 10]],
    victims: [3, 1, 0, 2],
  },
  // Least recently read first; never read counts as read at creation (E2, created 2 s ago); the
  // read count plays no part (E3 was read most often, longest ago).
  lru: {
    entries: (now) => [LONG_AGO, 2000, LONG_AGO, LONG_AGO].map((ago) => ({ createdAt: new Date(now - ago) })),
    reads: [[0, 1, 100], [2, 10, 3000], [3, 1, 50]],
    victims: [2, 1, 0, 3],
  },
  // Fewest reads first (E4 never read), then least recently read (E3 before E2); E1, read most
  // often, goes last although its last read is the oldest.
  lfu: {
    entries: (now) => [0, 0, 0, 0].map(() => ({ createdAt: new Date(now - LONG_AGO) })),
    reads: [[0, 3, 5000], [1, 1, 100], [2, 1, 500]],
    victims: [3, 2, 1, 0],
  },
}

/** Tokens by position in the eviction order: a write of 3 tokens over a full budget of 8 evicts the first two. */
const TOKENS_BY_POSITION = [1, 2, 3, 2]

export function evictionTests(test: StoreTest): void {
  for (const order of EVICTION_ORDERS) {
    test(`evict (${order}): exactly enough entries go, first victim first`, async ({ t, store, clock, tool }) => {
      const spec = ORDER_SPECS[order]
      const now = clock.now()
      const entries = spec.entries(now).map((extra, i) =>
        makeEntry({ tool: tool(), importance: 0.5, ...extra, tokens: TOKENS_BY_POSITION[spec.victims.indexOf(i)]! }))
      for (const e of entries) await store.create(e, { dedupe: false })
      const records: AccessRecord[] = spec.reads.map(([i, count, ago]) => ({ tool: tool(), id: entries[i]!.id, count, lastAccessedAt: new Date(now - ago) }))
      await store.recordAccess(records)
      const [v1, v2, v3, v4] = spec.victims.map((i) => entries[i]!)
      // A change keeps the order's keys (createdAt, access data, importance) and moves v1 to version 2.
      await store.update(makeEntry({ ...v1!, content: `changed ${order}` }))
      t.equal(await usedTokens(store, tool()), 8, 'the budget is full')
      // The written entry would be the first victim in every order: it must not be one.
      const x = makeEntry({ tool: tool(), tokens: 3, importance: 0, createdAt: new Date(now - 100_000) })
      const result = await store.writeWithinBudget(create(x), budget(8, 'evict', order))
      t.strictSame(result.entry, asCreated(x), 'the written entry')
      t.equal(result.created, true, 'created')
      t.strictSame(tombstones(result.evicted), [
        { tool: tool(), id: v1!.id, version: 3 },
        { tool: tool(), id: v2!.id, version: 2 },
      ], 'tombstones in eviction order, version = stored + 1')
      t.equal(await store.get(tool(), v1!.id), null, 'first victim gone')
      t.equal(await store.get(tool(), v2!.id), null, 'second victim gone')
      t.strictSame(ids(await store.getMany(tool(), ids([v3!, v4!, x]))), ids([v3!, v4!, x]), 'the rest is kept')
      t.equal(await usedTokens(store, tool()), 8, 'usage back within the budget')
    })
  }

  test('evict: an update or upsert that grows its entry evicts others, never the written entry', async ({ t, store, clock, tool }) => {
    const now = clock.now()
    const x = keyed(makeEntry({ tool: tool(), key: 'kx', tokens: 2, createdAt: new Date(now - 100_000) }))
    const [e1, e2] = [2000, 1000].map((ago) => makeEntry({ tool: tool(), tokens: 2, createdAt: new Date(now - ago) }))
    for (const e of [x, e1!, e2!]) await store.create(e, { dedupe: false })
    const limit = budget(6, 'evict', 'oldest')
    const updated = await store.writeWithinBudget(update(makeEntry({ ...x, content: 'grown', tokens: 4 })), limit)
    t.strictSame([updated.entry.id, updated.entry.version, updated.created], [x.id, 2, false], 'update written')
    t.strictSame(tombstones(updated.evicted), [{ tool: tool(), id: e1!.id, version: 2 }], 'update evicts the oldest other entry')
    const upserted = await store.writeWithinBudget(upsert(keyed(makeEntry({ tool: tool(), key: 'kx', tokens: 6 }))), limit)
    t.strictSame([upserted.entry.id, upserted.entry.version, upserted.created], [x.id, 3, false], 'upsert replaced the key holder')
    t.strictSame(tombstones(upserted.evicted), [{ tool: tool(), id: e2!.id, version: 2 }], 'upsert evicts the next one')
    t.equal(await store.get(tool(), e2!.id), null, 'evicted')
    t.equal(await usedTokens(store, tool()), 6, 'the written entry alone fills the budget')
    await expectBudgetError(t, store.writeWithinBudget(upsert(keyed(makeEntry({ tool: tool(), key: 'kx', tokens: 7 }))), limit),
      'entry_exceeds_token_budget', 'larger than the budget')
    t.equal((await store.findByKey(tool(), 'kx'))?.version, 3, 'unchanged')
    const fresh = keyed(makeEntry({ tool: tool(), key: 'new', tokens: 1 }))
    const inserted = await store.writeWithinBudget(upsert(fresh), limit)
    t.strictSame([inserted.created, tombstones(inserted.evicted)], [true, [{ tool: tool(), id: x.id, version: 4 }]],
      'an upsert inserting evicts the other entry')
  })

  test('evict: equal eviction keys break ties on id ascending, in every order', async ({ t, store, clock, tool }) => {
    for (const order of EVICTION_ORDERS) {
      const name = tool(order)
      const at = new Date(clock.now() - 1000)
      // Same createdAt, importance and (no) access data; the written entry has the lowest id.
      const [x, e1, e2, e3] = [3, 2, 2, 2].map((tokens) => makeEntry({ tool: name, tokens, createdAt: at, importance: 0.5 }))
      for (const e of [e3!, e2!, e1!]) await store.create(e, { dedupe: false })
      const result = await store.writeWithinBudget(create(x!), budget(6, 'evict', order))
      t.strictSame(tombstones(result.evicted), [{ tool: name, id: e1!.id, version: 2 }, { tool: name, id: e2!.id, version: 2 }],
        `${order}: lowest ids first, never the written entry`)
      t.strictSame(ids(await store.getMany(name, ids([x!, e1!, e2!, e3!]))), ids([x!, e3!]), `${order}: kept`)
    }
  })
}
