/**
 * The MemoryStore conformance suite over TrafficSplitStore, blue and green each in its own real
 * Postgres database (a fresh schema per store, so tests stay isolated): the stages where blue is
 * still the primary (or partly). `traffic-split-postgres-late.test.ts` runs the green-primary
 * stages; two files so they run in parallel and each stays well inside the per-file timeout.
 */
import t from 'tap'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgSchemaStores } from '../helpers/sql-stores.js'
import { EARLY_STAGE_RUNS, splitOver } from '../helpers/traffic.js'

const unavailable = await postgresUnavailable()

t.test('traffic split conformance on two Postgres databases, early stages', { skip: unavailable ?? false }, async (t) => {
  const makeBlue = await pgSchemaStores(t, await createTestDatabase(t, 'split_blue'))
  const makeGreen = await pgSchemaStores(t, await createTestDatabase(t, 'split_green'))
  for (const { label, settings } of EARLY_STAGE_RUNS) {
    t.test(label, async (t) => {
      memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) =>
        splitOver(await makeBlue(clock), await makeGreen(clock), settings).split,
      { toolPrefix: 'pgsplit' })
    })
  }
})
