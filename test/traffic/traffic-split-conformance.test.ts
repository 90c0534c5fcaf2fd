/**
 * The MemoryStore conformance suite over TrafficSplitStore in every stage (and a partial ramp routed
 * by id), with in-memory sides. `traffic-split-postgres.test.ts` runs it over two Postgres databases.
 */
import t from 'tap'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { SPLIT_SUITE_RUNS, splitOver } from '../helpers/traffic.js'

for (const { label, settings } of SPLIT_SUITE_RUNS) {
  t.test(`traffic split conformance, in-memory sides, ${label}`, async (t) => {
    memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) =>
      splitOver(createInMemoryStore({ now: clock.now }), createInMemoryStore({ now: clock.now }), settings).split,
    { toolPrefix: 'split' })
  })
}
