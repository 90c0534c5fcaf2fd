import t from 'tap'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { compressedSuiteRuns, pgliteSchemaStores } from '../helpers/sql-stores.js'

// One in-memory PGlite per run of the suite (it takes seconds to start); each store gets its own schema.
t.test('PGlite store conformance', async (t) => {
  const make = await pgliteSchemaStores(t)
  memoryStoreSuite((name, fn) => void t.test(name, fn), make, { toolPrefix: 'pgl' })
})

// The suite again with content compression on (cold-store compression, design §8).
compressedSuiteRuns(t, 'PGlite store conformance', (t, extras) => pgliteSchemaStores(t, extras), { toolPrefix: 'pglz' })
