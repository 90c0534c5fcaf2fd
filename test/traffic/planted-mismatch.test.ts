/**
 * A difference planted directly in green's database (content and its hash changed, version kept, as
 * a faulty copy would leave it) is found by
 * shadow reads, counted once after the re-check, found again by `verify`, and repaired by
 * `verify --repair`; afterwards shadow reads of the entry match. Two real Postgres databases;
 * the hot tier is off so that the planted row is what green's reads see.
 */
import pg from 'pg'
import t from 'tap'
import { contentHash } from '../../src/domain/memory/content-hash.js'
import { createPgDriver } from '../../src/storage/sql/pg-driver.js'
import { createSqlStore } from '../../src/storage/sql/sql-store.js'
import { runVerify } from '../../src/traffic/copy/verify.js'
import { as, call, create } from '../http/helpers/http.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'

const unavailable = await postgresUnavailable()

const shadowCount = async (app: Awaited<ReturnType<typeof buildTestApp>>, result: string): Promise<number> => {
  const body = (await call(app.server, 'GET', '/metrics')).body
  return Number(new RegExp(`mcp_memory_shadow_compares_total\\{result="${result}"\\} (\\d+)`).exec(body)?.[1] ?? 0)
}

async function settle(app: Awaited<ReturnType<typeof buildTestApp>>, compares: number): Promise<void> {
  const deadline = Date.now() + 10_000
  const total = async () => (await Promise.all(['match', 'mismatch', 'transient', 'error', 'timeout'].map((r) => shadowCount(app, r)))).reduce((a, b) => a + b)
  while ((await total()) < compares && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
}

t.test('a mismatch planted in green: shadow reads, verify and verify --repair', { skip: unavailable ?? false }, async (t) => {
  const blueUrl = await createTestDatabase(t, 'plant_blue')
  const greenUrl = await createTestDatabase(t, 'plant_green')
  const app = await buildTestApp(t, {
    STORE_URL: blueUrl, GREEN_STORE_URL: greenUrl, MIGRATE_ON_START: 'true', CACHE_MAX_ENTRIES: '0',
    TRAFFIC_STAGE: 'shadow', TRAFFIC_SHADOW_READ_PERCENT: '100', TRAFFIC_SHADOW_RECHECK_MS: '50',
  })
  const tool = 'plant-tool'
  const planted = await create(app.server, { type: 'fact', content: 'the original words' }, as(tool))
  const other = await create(app.server, { type: 'fact', content: 'an untouched entry' }, as(tool))

  const green = new pg.Client({ connectionString: greenUrl })
  await green.connect()
  t.teardown(() => green.end())
  // As a faulty copy would: other content with its own hash, the version unchanged.
  const { rowCount } = await green.query('UPDATE memories SET content = $2, content_hash = $3 WHERE id = $1',
    [planted.id, 'words nobody wrote', contentHash('words nobody wrote')])
  t.equal(rowCount, 1, 'planted in green, version unchanged')

  t.equal((await call(app.server, 'GET', `/v2/memories/${other.id}`, { headers: as(tool) })).json.content, 'an untouched entry')
  await settle(app, 1)
  const served = await call(app.server, 'GET', `/v2/memories/${planted.id}`, { headers: as(tool) })
  t.equal(served.json.content, 'the original words', 'the client is served by blue, unaffected')
  await settle(app, 2)
  t.equal(await shadowCount(app, 'match'), 1, 'the untouched entry matches')
  t.equal(await shadowCount(app, 'mismatch'), 1, 'the planted difference is counted once, after its re-check')
  t.equal(await shadowCount(app, 'transient'), 0, 'and is not mistaken for a race')

  const blue = createSqlStore(createPgDriver({ url: blueUrl, poolMax: 2 }), { migrateOnInit: false })
  const greenStore = createSqlStore(createPgDriver({ url: greenUrl, poolMax: 2 }), { migrateOnInit: false })
  await Promise.all([blue.init(), greenStore.init()])
  t.teardown(() => Promise.all([blue.close(), greenStore.close()]))
  const found = await runVerify({ primary: blue, secondary: greenStore, recheckMs: 50 })
  t.equal(found.passed, false, 'verify fails')
  t.same([found.different.count, found.missing.count, found.extra.count], [1, 0, 0], 'one different row')
  t.match(found.different.ids.join(','), planted.id, 'narrowed to the planted id')

  const repaired = await runVerify({ primary: blue, secondary: greenStore, recheckMs: 50, repair: true })
  t.equal(repaired.repaired, 1, 'verify --repair copies it from the primary')
  const after = await runVerify({ primary: blue, secondary: greenStore, recheckMs: 50 })
  t.ok(after.passed, 'a second verify passes')
  t.equal((await green.query('SELECT content FROM memories WHERE id = $1', [planted.id])).rows[0]?.content, 'the original words')

  await call(app.server, 'GET', `/v2/memories/${planted.id}`, { headers: as(tool) })
  await settle(app, 3)
  t.equal(await shadowCount(app, 'match'), 2, 'after the repair, shadow reads of the entry match')
  t.equal(await shadowCount(app, 'mismatch'), 1, 'and no new mismatch is counted')
})
