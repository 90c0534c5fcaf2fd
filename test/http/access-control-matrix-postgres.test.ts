/** The access-control matrix (test/http/helpers/access-matrix.ts) on Postgres: the same answers from SQL. */
import t from 'tap'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { accessMatrix } from './helpers/access-matrix.js'

const skip = await postgresUnavailable()

t.test('access-control matrix on Postgres', { skip: skip ?? false }, async (t) => {
  accessMatrix(t, async (t) => ({ STORE_URL: await createTestDatabase(t, 'matrix'), MIGRATE_ON_START: 'true', PG_POOL_MAX: '4' }))
})
