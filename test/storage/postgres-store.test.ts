import t from 'tap'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { compressedSuiteRuns, pgSchemaStores } from '../helpers/sql-stores.js'

const unavailable = await postgresUnavailable()

// One database for the file; each store gets its own schema (and pool) in it.
t.test('Postgres store conformance', { skip: unavailable ?? false }, async (t) => {
  const url = await createTestDatabase(t, 'pgstore')
  const make = await pgSchemaStores(t, url)
  memoryStoreSuite((name, fn) => void t.test(name, fn), make, { toolPrefix: 'pg' })
})

// The suite again with content compression on (cold-store compression, design §8).
compressedSuiteRuns(t, 'Postgres store conformance',
  async (t, extras) => pgSchemaStores(t, await createTestDatabase(t, 'pgstorez'), extras),
  { toolPrefix: 'pgz', skip: unavailable ?? false })
