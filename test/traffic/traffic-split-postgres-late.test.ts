/**
 * The MemoryStore conformance suite over TrafficSplitStore on two real Postgres databases: the
 * stages where green is the primary (live, rampdown, complete); see traffic-split-postgres-early.test.ts.
 */
import t from 'tap'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgSchemaStores } from '../helpers/sql-stores.js'
import { LATE_STAGE_RUNS, splitOver } from '../helpers/traffic.js'

const unavailable = await postgresUnavailable()

t.test('traffic split conformance on two Postgres databases, late stages', { skip: unavailable ?? false }, async (t) => {
  const makeBlue = await pgSchemaStores(t, await createTestDatabase(t, 'split_blue_late'))
  const makeGreen = await pgSchemaStores(t, await createTestDatabase(t, 'split_green_late'))
  for (const { label, settings } of LATE_STAGE_RUNS) {
    t.test(label, async (t) => {
      memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) =>
        splitOver(await makeBlue(clock), await makeGreen(clock), settings).split,
      { toolPrefix: 'pgsplit' })
    })
  }
})
