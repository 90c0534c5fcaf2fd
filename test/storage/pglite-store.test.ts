import t from 'tap'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { pgliteSchemaStores } from '../helpers/sql-stores.js'

// One in-memory PGlite for the whole file (it takes seconds to start); each store gets its own schema.
t.test('PGlite store conformance', async (t) => {
  const make = await pgliteSchemaStores(t)
  memoryStoreSuite((name, fn) => void t.test(name, fn), make, { toolPrefix: 'pgl' })
})
