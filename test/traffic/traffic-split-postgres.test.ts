/**
 * The MemoryStore conformance suite over TrafficSplitStore in every stage, blue and green each in
 * its own real Postgres database (a fresh schema per store, so tests stay isolated).
 */
import t from 'tap'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgSchemaStores } from '../helpers/sql-stores.js'
import { SPLIT_SUITE_RUNS, splitOver } from '../helpers/traffic.js'

const unavailable = await postgresUnavailable()

t.test('traffic split conformance on two Postgres databases', { skip: unavailable ?? false }, async (t) => {
  const makeBlue = await pgSchemaStores(t, await createTestDatabase(t, 'split_blue'))
  const makeGreen = await pgSchemaStores(t, await createTestDatabase(t, 'split_green'))
  for (const { label, settings } of SPLIT_SUITE_RUNS) {
    t.test(label, async (t) => {
      memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) =>
        splitOver(await makeBlue(clock), await makeGreen(clock), settings).split,
      { toolPrefix: 'pgsplit' })
    })
  }
})
