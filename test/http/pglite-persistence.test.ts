/** The embedded default keeps memories across restarts of the service. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'

t.test('write, stop, start again on the same PGlite folder, read back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpmem-persist-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const config = loadConfig({ STORE_URL: `pglite://${dir}`, LOG_LEVEL: 'silent' })

  const first = await buildApp(config, { logger: false })
  const created = await first.server.inject({
    method: 'POST', url: '/v2/memories',
    payload: { content: 'remember me across restarts', key: 'persist', tags: ['durable'], metadata: { n: 1 } },
  })
  t.equal(created.statusCode, 201)
  await first.server.close()

  const second = await buildApp(config, { logger: false })
  t.teardown(() => second.server.close())
  const byId = await second.server.inject({ method: 'GET', url: `/v2/memories/${created.json().id}` })
  t.equal(byId.statusCode, 200)
  t.same(byId.json(), created.json(), 'the entry is byte-for-byte the one written')
  const search = await second.server.inject({ method: 'POST', url: '/v2/search', payload: { query: 'restarts' } })
  t.equal(search.json().items[0]?.entry.id, created.json().id, 'full-text index survives too')
})
