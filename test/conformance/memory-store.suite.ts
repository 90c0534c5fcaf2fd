/**
 * The MemoryStore conformance suite (design §2, style habit 3): every backend and every decorator
 * runs it. Runner-agnostic: the caller injects its `test` function and a store factory, e.g. with
 * node-tap
 *
 *   memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) => createInMemoryStore({ now: clock.now }))
 *
 * Each test builds a fresh store with a controllable clock (which the store must use for expiry and
 * idempotency ttls), calls `init()`, and closes it at the end. Tool names are random per test, so the
 * tests also hold when a factory hands out stores sharing one database.
 */
import { budgetTests } from './suite-budget.js'
import { containsTests } from './suite-contains.js'
import { contentTests } from './suite-content.js'
import { crudTests } from './suite-crud.js'
import { storeTest, type StoreFactory, type SuiteGroup, type SuiteOptions, type TestFn } from './suite-kit.js'
import { mirrorTests } from './suite-mirror.js'
import { operationsTests } from './suite-ops.js'
import { outboxTests } from './suite-outbox.js'
import { queryTests } from './suite-query.js'
import { searchTests } from './suite-search.js'
import { toolsTests } from './suite-tools.js'
import { ttlTests } from './suite-ttl.js'

export type { Assert, StoreFactory, SuiteGroup, SuiteOptions, TestClock, TestFn } from './suite-kit.js'
export { createClock, expectAppError } from './suite-kit.js'

const GROUPS: Record<SuiteGroup, typeof crudTests> = {
  crud: crudTests,
  content: contentTests,
  mirror: mirrorTests,
  outbox: outboxTests,
  ttl: ttlTests,
  query: queryTests,
  contains: containsTests,
  search: searchTests,
  operations: operationsTests,
  tools: toolsTests,
  budget: budgetTests,
}

export function memoryStoreSuite(test: TestFn, make: StoreFactory, options: SuiteOptions = {}): void {
  const omit = new Set(options.omit ?? [])
  const run = storeTest(test, make, options)
  for (const [group, register] of Object.entries(GROUPS) as Array<[SuiteGroup, typeof crudTests]>) {
    if (!omit.has(group)) register(run)
  }
}
