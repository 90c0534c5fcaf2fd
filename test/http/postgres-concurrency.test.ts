/**
 * Concurrency through the whole stack on real Postgres: every acknowledged create is stored, and
 * exactly one conditional update per version wins while the rest get 412.
 */
import pg from 'pg'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'

const skip = await postgresUnavailable()

t.test('concurrent writes on Postgres', { skip: skip ?? false }, async (t) => {
  const url = await createTestDatabase(t, 'http_conc')
  const app = await buildTestApp(t, { STORE_URL: url, MIGRATE_ON_START: 'true', PG_POOL_MAX: '10' })
  const inject = app.server.inject.bind(app.server)
  const sql = new pg.Client({ connectionString: url })
  await sql.connect()
  t.teardown(() => sql.end())

  t.test('50 concurrent creates: every acknowledged create is stored', async (t) => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        inject({ method: 'POST', url: '/v2/memories', headers: { 'x-memory-tool': 'conc' }, payload: { content: `memory number ${i}`, tags: ['conc'] } })),
    )
    t.same(responses.map((r) => r.statusCode), Array(50).fill(201))
    const ids = responses.map((r) => r.json().id as string)
    const { rows } = await sql.query<{ id: string; content: string }>(`SELECT id::text, content FROM memories WHERE tool = 'conc'`)
    t.equal(rows.length, 50, '50 rows in the table')
    t.same(new Set(rows.map((r) => r.id)), new Set(ids), 'every acknowledged id is stored')
  })

  t.test('50 concurrent identical keyless creates: one entry, the rest deduplicated to it', async (t) => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        inject({ method: 'POST', url: '/v2/memories', headers: { 'x-memory-tool': 'dedupe' }, payload: { content: 'same content' } })),
    )
    t.equal(responses.filter((r) => r.statusCode === 201).length, 1, 'exactly one created')
    t.equal(responses.filter((r) => r.statusCode === 200).length, 49, 'the rest deduplicated')
    t.equal(new Set(responses.map((r) => r.json().id)).size, 1, 'all name the same entry')
    const { rows } = await sql.query(`SELECT 1 FROM memories WHERE tool = 'dedupe'`)
    t.equal(rows.length, 1)
  })

  t.test('50 concurrent conditional updates per version: exactly one wins each round', async (t) => {
    const created = await inject({ method: 'POST', url: '/v2/memories', headers: { 'x-memory-tool': 'cas' }, payload: { content: 'v1' } })
    const id = created.json().id as string
    for (let version = 1; version <= 3; version++) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          inject({
            method: 'PUT', url: `/v2/memories/${id}`,
            headers: { 'x-memory-tool': 'cas', 'if-match': `"${version}"` },
            payload: { content: `round ${version} writer ${i}` },
          })),
      )
      const winners = responses.filter((r) => r.statusCode === 200)
      t.equal(winners.length, 1, `round ${version}: one winner`)
      t.equal(responses.filter((r) => r.statusCode === 412).length, 49, `round ${version}: 49 × 412`)
      const { rows } = await sql.query<{ version: number; content: string }>('SELECT version, content FROM memories WHERE id = $1', [id])
      t.equal(rows[0]?.version, version + 1)
      t.equal(rows[0]?.content, winners[0]?.json().content, 'the stored content is the winner\'s')
    }
  })

  t.test('concurrent merge patches without If-Match: every acknowledged patch is applied', async (t) => {
    const created = await inject({ method: 'POST', url: '/v2/memories', headers: { 'x-memory-tool': 'patch' }, payload: { content: 'base' } })
    const id = created.json().id as string
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        inject({
          method: 'PATCH', url: `/v2/memories/${id}`,
          headers: { 'x-memory-tool': 'patch', 'content-type': 'application/merge-patch+json' },
          payload: JSON.stringify({ metadata: { [`k${i}`]: i } }),
        })),
    )
    const acked = responses.flatMap((r, i) => (r.statusCode === 200 ? [`k${i}`] : []))
    t.ok(acked.length > 0)
    t.ok(responses.every((r) => r.statusCode === 200 || r.statusCode === 412), 'no other outcome')
    const { rows } = await sql.query<{ metadata: Record<string, number>; version: number }>('SELECT metadata, version FROM memories WHERE id = $1', [id])
    for (const k of acked) t.ok(k in (rows[0]?.metadata ?? {}), `${k} kept`)
    t.equal(rows[0]?.version, 1 + acked.length, 'one version per acknowledged patch')
  })
})
