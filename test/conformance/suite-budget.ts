/**
 * Conformance: budgeted writes (`writeWithinBudget`): usage is the tool's live tokens measured
 * around the write, `reject` refuses and changes nothing, `evict` deletes exactly enough other
 * entries in the budget's order (`evictionComparator`, ties on id ascending), and an entry larger
 * than the whole budget is refused under both policies. Helpers live in suite-budget-kit.ts.
 */
import { isAppError } from '../../src/errors/app-error.js'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import { OVER_BUDGET_POLICIES } from '../../src/domain/tools/tool-record.js'
import { makeEntry } from '../helpers/entries.js'
import { budget, create, expectBudgetError, keyed, stateOf, tombstones, update, upsert, usedTokens } from './suite-budget-kit.js'
import { evictionTests } from './suite-evict.js'
import { asCreated, type StoreTest } from './suite-kit.js'

export function budgetTests(test: StoreTest): void {
  test('writeWithinBudget under the budget writes as usual and evicts nothing', async ({ t, store, tool }) => {
    const limit = budget(10, 'reject')
    const a = makeEntry({ tool: tool(), tokens: 3 })
    const created = await store.writeWithinBudget(create(a), limit)
    t.strictSame(created, { entry: asCreated(a), created: true, evicted: [] }, 'create')
    const b = keyed(makeEntry({ tool: tool(), key: 'kb', tokens: 2 }))
    t.strictSame(await store.writeWithinBudget(upsert(b), limit), { entry: asCreated(b), created: true, evicted: [] }, 'upsertByKey inserts')
    const grown = makeEntry({ ...a, content: 'grown', tokens: 4 })
    const updated = await store.writeWithinBudget(update(grown, { expectVersion: 1 }), limit)
    t.strictSame(updated, { entry: { ...grown, version: 2 }, created: false, evicted: [] }, 'update')
    const replaced = await store.writeWithinBudget(upsert(keyed(makeEntry({ tool: tool(), key: 'kb', tokens: 4 }))), limit)
    t.equal(replaced.created, false, 'upsertByKey replaces')
    t.equal(replaced.entry.id, b.id, 'the key holder keeps its id')
    t.equal(replaced.entry.version, 2, 'version 2')
    t.strictSame(replaced.evicted, [], 'nothing evicted')
    const c = makeEntry({ tool: tool(), tokens: 2 })
    t.equal((await store.writeWithinBudget(create(c), limit)).created, true, 'a write reaching the budget exactly passes')
    t.equal(await usedTokens(store, tool()), 10, 'usage')
    t.strictSame(await store.get(c.tool, c.id), asCreated(c), 'stored')
  })

  test('writeWithinBudget keeps the errors of the write it runs', async ({ t, store, tool }) => {
    const limit = budget(100, 'evict')
    const a = makeEntry({ tool: tool(), key: 'ka', tokens: 1 })
    await store.writeWithinBudget(create(a), limit)
    await expectBudgetError(t, store.writeWithinBudget(create(makeEntry({ tool: tool(), key: 'ka' })), limit), 'key_conflict')
    await expectBudgetError(t, store.writeWithinBudget(create(makeEntry({ ...a, key: null, content: 'same id' })), limit), 'version_conflict', 'taken id')
    await expectBudgetError(t, store.writeWithinBudget(update(makeEntry({ tool: tool() })), limit), 'not_found')
    await expectBudgetError(t, store.writeWithinBudget(update(a, { expectVersion: 2 }), limit), 'version_conflict', 'stale update')
    await expectBudgetError(t, store.writeWithinBudget(upsert(keyed(a), { expectVersion: 0 }), limit), 'version_conflict', 'upsert create-only')
    t.strictSame(await stateOf(store, tool()), [asCreated(a)], 'nothing changed')
  })

  test('reject: a write past the budget is token_budget_exceeded and changes nothing', async ({ t, store, tool }) => {
    const limit = budget(10, 'reject')
    const a = makeEntry({ tool: tool(), tokens: 6 })
    const b = keyed(makeEntry({ tool: tool(), key: 'kb', tokens: 3 }))
    for (const e of [a, b]) await store.create(e, { dedupe: false })
    const before = await stateOf(store, tool())
    const c = makeEntry({ tool: tool(), tokens: 2 })
    await expectBudgetError(t, store.writeWithinBudget(create(c), limit), 'token_budget_exceeded', 'create',
      { usedTokens: 9, maxTokens: 10, entryTokens: 2 })
    t.equal(await store.get(c.tool, c.id), null, 'the entry was not stored')
    await expectBudgetError(t, store.writeWithinBudget(update(makeEntry({ ...b, content: 'bigger', tokens: 5 })), limit),
      'token_budget_exceeded', 'update', { usedTokens: 9, maxTokens: 10, entryTokens: 5 })
    await expectBudgetError(t, store.writeWithinBudget(upsert(keyed(makeEntry({ tool: tool(), key: 'kb', tokens: 5 }))), limit),
      'token_budget_exceeded', 'upsertByKey replacing', { usedTokens: 9, maxTokens: 10, entryTokens: 5 })
    await expectBudgetError(t, store.writeWithinBudget(upsert(keyed(makeEntry({ tool: tool(), key: 'kc', tokens: 2 }))), limit),
      'token_budget_exceeded', 'upsertByKey inserting', { usedTokens: 9, maxTokens: 10, entryTokens: 2 })
    t.equal(await store.findByKey(tool(), 'kc'), null, 'the new key was not stored')
    t.strictSame(await stateOf(store, tool()), before, 'every entry unchanged')
    t.equal(await usedTokens(store, tool()), 9, 'usage unchanged')
    const other = makeEntry({ tool: tool('b'), tokens: 10 })
    t.equal((await store.writeWithinBudget(create(other), limit)).created, true, 'the budget is per tool')
  })

  test('an entry larger than the whole budget is entry_exceeds_token_budget under both policies', async ({ t, store, tool }) => {
    for (const policy of OVER_BUDGET_POLICIES) {
      const name = tool(policy)
      const limit = budget(5, policy, 'oldest')
      const a = makeEntry({ tool: name, tokens: 2 })
      const k = keyed(makeEntry({ tool: name, key: 'k', tokens: 1 }))
      for (const e of [a, k]) await store.create(e, { dedupe: false })
      const before = await stateOf(store, name)
      const big = makeEntry({ tool: name, tokens: 6 })
      await expectBudgetError(t, store.writeWithinBudget(create(big), limit), 'entry_exceeds_token_budget', `${policy}: create`)
      t.equal(await store.get(name, big.id), null, `${policy}: not stored`)
      await expectBudgetError(t, store.writeWithinBudget(update(makeEntry({ ...a, content: 'huge', tokens: 6 })), limit),
        'entry_exceeds_token_budget', `${policy}: update`)
      await expectBudgetError(t, store.writeWithinBudget(upsert(keyed(makeEntry({ tool: name, key: 'k', tokens: 6 }))), limit),
        'entry_exceeds_token_budget', `${policy}: upsertByKey`)
      t.strictSame(await stateOf(store, name), before, `${policy}: nothing changed, nothing evicted`)
      const alone = makeEntry({ tool: tool(`${policy}-empty`), tokens: 6 })
      await expectBudgetError(t, store.writeWithinBudget(create(alone), limit), 'entry_exceeds_token_budget', `${policy}: empty tool`)
      t.equal(await usedTokens(store, alone.tool), 0, `${policy}: empty tool stays empty`)
    }
  })

  evictionTests(test)

  test('an update counts only its token difference', async ({ t, store, tool }) => {
    for (const policy of OVER_BUDGET_POLICIES) {
      const name = tool(policy)
      const limit = budget(10, policy, 'oldest')
      const a = makeEntry({ tool: name, tokens: 4 })
      const b = keyed(makeEntry({ tool: name, key: 'kb', tokens: 4 }))
      for (const e of [a, b]) await store.create(e, { dedupe: false })
      const grown = await store.writeWithinBudget(update(makeEntry({ ...b, content: 'grown', tokens: 5 })), limit)
      t.strictSame(grown.evicted, [], `${policy}: update from 4 to 5 tokens fits (8 → 9 of 10)`)
      const replaced = await store.writeWithinBudget(upsert(keyed(makeEntry({ tool: name, key: 'kb', tokens: 6 }))), limit)
      t.strictSame(replaced.evicted, [], `${policy}: upsert replacing 5 with 6 tokens fits (9 → 10 of 10)`)
      t.equal(replaced.entry.version, 3, `${policy}: replaced`)
      t.strictSame(await store.get(name, a.id), asCreated(a), `${policy}: the other entry is intact`)
      t.equal(await usedTokens(store, name), 10, `${policy}: usage`)
    }
  })

  test('a write that does not grow usage passes even over a lowered budget', async ({ t, store, tool }) => {
    for (const policy of OVER_BUDGET_POLICIES) {
      const name = tool(policy)
      const limit = budget(5, policy, 'oldest')
      const a = makeEntry({ tool: name, tokens: 6 })
      const b = keyed(makeEntry({ tool: name, key: 'kb', tokens: 6 }))
      const c = makeEntry({ tool: name, tokens: 1 })
      for (const e of [a, b, c]) await store.create(e, { dedupe: false })
      const shrunk = await store.writeWithinBudget(update(makeEntry({ ...a, content: 'shrunk', tokens: 4 })), limit)
      t.strictSame([shrunk.entry.tokens, shrunk.evicted], [4, []], `${policy}: update shrinking 13 → 11 of 5 passes`)
      const same = await store.writeWithinBudget(update(makeEntry({ ...a, content: 'same size', tokens: 4 })), limit)
      t.strictSame([same.entry.version, same.evicted], [3, []], `${policy}: update keeping usage passes`)
      const replaced = await store.writeWithinBudget(upsert(keyed(makeEntry({ tool: name, key: 'kb', tokens: 3 }))), limit)
      t.strictSame([replaced.created, replaced.evicted], [false, []], `${policy}: upsert shrinking passes`)
      t.strictSame(await store.get(name, c.id), asCreated(c), `${policy}: nothing evicted`)
      t.equal(await usedTokens(store, name), 8, `${policy}: usage`)
    }
  })

  test('a dedupe hit adds no tokens and passes', async ({ t, store, tool }) => {
    for (const policy of OVER_BUDGET_POLICIES) {
      const name = tool(policy)
      const limit = budget(8, policy, 'importance')
      const a = makeEntry({ tool: name, content: `dedupe me ${policy}`, tokens: 5, importance: 0 })
      const b = makeEntry({ tool: name, tokens: 3, importance: 0 })
      for (const e of [a, b]) await store.create(e, { dedupe: false })
      const again = makeEntry({ tool: name, content: a.content, tokens: 5, importance: 1 })
      const result = await store.writeWithinBudget(create(again, true), limit)
      t.strictSame(result, { entry: asCreated(a), created: false, evicted: [] }, `${policy}: the existing entry, nothing evicted`)
      t.equal(await store.get(name, again.id), null, `${policy}: nothing inserted`)
      t.strictSame(await stateOf(store, name), [asCreated(b), asCreated(a)], `${policy}: entries intact`)
      t.equal(await usedTokens(store, name), 8, `${policy}: usage unchanged`)
    }
  })

  test('concurrent budgeted writes of one tool never take it past its budget', async ({ t, store, tool }) => {
    const [rejecting, evicting] = [tool('reject'), tool('evict')]
    const burst = (name: string, policy: 'reject' | 'evict') => Promise.allSettled(Array.from({ length: 8 }, () =>
      store.writeWithinBudget(create(makeEntry({ tool: name, tokens: 3 })), budget(10, policy, 'oldest'))))
    const rejected = await burst(rejecting, 'reject')
    const codes = rejected.map((r) => (r.status === 'fulfilled' ? 'ok' : isAppError(r.reason) ? r.reason.code : String(r.reason)))
    t.strictSame(codes.filter((c) => c === 'ok').length, 3, 'reject: three writes of 3 fit into 10 tokens')
    t.ok(codes.every((c) => c === 'ok' || c === 'token_budget_exceeded'), 'reject: the others are token_budget_exceeded')
    t.equal(await usedTokens(store, rejecting), 9, 'reject: usage')
    const evicted = await burst(evicting, 'evict')
    t.ok(evicted.every((r) => r.status === 'fulfilled'), 'evict: every write passes')
    const victims = evicted.flatMap((r) => (r.status === 'fulfilled' ? r.value.evicted.map((v) => v.id) : []))
    t.equal(new Set(victims).size, 5, 'evict: five distinct entries evicted, each once')
    t.equal((await stateOf(store, evicting)).length, 3, 'evict: three entries left')
    t.equal(await usedTokens(store, evicting), 9, 'evict: usage')
  })

  test('expired entries neither count toward usage nor are evicted', async ({ t, store, clock, tool }) => {
    const [rejecting, evicting] = [tool('reject'), tool('evict')]
    const soon = new Date(clock.now() + 1000)
    const oldest = new Date(clock.now() - 100_000)
    const mk = (name: string, tokens: number, extra: Partial<MemoryEntry> = {}) => makeEntry({ tool: name, tokens, ...extra })
    const [expiringR, keptR] = [mk(rejecting, 6, { expiresAt: soon }), mk(rejecting, 2)]
    const [expiringE, keptE] = [mk(evicting, 6, { expiresAt: soon, createdAt: oldest }), mk(evicting, 2)]
    for (const e of [expiringR, keptR, expiringE, keptE]) await store.create(e, { dedupe: false })
    const c = mk(rejecting, 6)
    await expectBudgetError(t, store.writeWithinBudget(create(c), budget(8, 'reject')), 'token_budget_exceeded', 'before expiry',
      { usedTokens: 8, maxTokens: 8, entryTokens: 6 })
    clock.advance(1000)
    t.equal(await usedTokens(store, rejecting), 2, 'usage without the expired entry')
    t.strictSame((await store.writeWithinBudget(create(c), budget(8, 'reject'))).evicted, [], 'after expiry the write fits')
    t.equal(await usedTokens(store, rejecting), 8, 'usage')
    const d = mk(evicting, 7)
    const result = await store.writeWithinBudget(create(d), budget(8, 'evict', 'oldest'))
    t.strictSame(tombstones(result.evicted), [{ tool: evicting, id: keptE.id, version: 2 }], 'only the live entry is evicted')
    t.equal(await usedTokens(store, evicting), 7, 'usage after eviction')
  })
}
