/**
 * Importing a reference memory.jsonl: over HTTP (admin), a file with blank lines and an unknown line
 * type imports its entities and relations and exports back to the reference's bytes for the kept
 * lines; a corrupt line is reported with its number and imports nothing.
 */
import t from 'tap'
import { formatMemoryJsonl } from '../../../src/domain/graph/jsonl.js'
import { as, bearer, call } from '../helpers/http.js'
import { buildTestApp } from '../../helpers/build-app.js'

const ADMIN = 'admin-key-0123456789abcdef'
const KEPT = [
  '{"type":"entity","name":"Ada Lovelace","entityType":"person","observations":["wrote the first program","born 1815"]}',
  '{"type":"entity","name":"Analytical Engine","entityType":"machine","observations":[]}',
  '{"type":"entity","name":"Zoë \\"Z\\" Ünïcode","entityType":"person","observations":["emoji 🧠","tab\\there"]}',
  '{"type":"relation","from":"Ada Lovelace","to":"Analytical Engine","relationType":"programmed"}',
  '{"type":"relation","from":"Ada Lovelace","to":"Nobody Yet","relationType":"admired"}',
]
const FILE = [KEPT[0], '', KEPT[1], '{"type":"comment","text":"not a node"}', KEPT[2], '   ', KEPT[3], KEPT[4], ''].join('\n')

const importFile = (app: Awaited<ReturnType<typeof buildTestApp>>, tool: string, body: string, key = ADMIN) =>
  call(app.server, 'POST', `/admin/graph/import?tool=${tool}`, { headers: bearer(key), body, contentType: 'application/x-ndjson' })

t.test('a reference file imports and exports back byte for byte (kept lines)', async (t) => {
  const app = await buildTestApp(t, { MEMORY_ADMIN_KEY: ADMIN, MEMORY_API_KEYS: 'jsonl-tool=jsonl-tool-key-0123456789' })
  const res = await importFile(app, 'jsonl-tool', FILE)
  t.equal(res.status, 200, res.body)
  t.strictSame(res.json, { entities: { added: 3, skipped: 0 }, relations: { added: 2, skipped: 0 } })
  const graph = (await call(app.server, 'GET', '/v1/graph', { headers: bearer('jsonl-tool-key-0123456789') })).json
  t.equal(formatMemoryJsonl(graph), KEPT.join('\n'), "export gives the reference's bytes for the kept lines")
  const again = await importFile(app, 'jsonl-tool', FILE)
  t.strictSame(again.json, { entities: { added: 0, skipped: 3 }, relations: { added: 0, skipped: 2 } }, 'a second import adds nothing')
})

t.test('a corrupt line is reported with its number and nothing is imported', async (t) => {
  const app = await buildTestApp(t, { MEMORY_ADMIN_KEY: ADMIN })
  const corrupt = [KEPT[0], KEPT[1], '{"type":"entity","name":"Half', KEPT[3]].join('\n')
  const res = await importFile(app, 'corrupt-tool', corrupt)
  t.equal(res.status, 400)
  t.match(res.json.detail, /line 3/)
  t.match(res.json.errors, [{ pointer: '/line/3' }])
  const mistyped = await importFile(app, 'corrupt-tool', [KEPT[0], '{"type":"relation","from":"a","to":7,"relationType":"r"}'].join('\n'))
  t.equal(mistyped.status, 400)
  t.match(mistyped.json.detail, /line 2/)
  t.strictSame((await call(app.server, 'GET', '/v1/graph', { headers: as('corrupt-tool') })).json, { entities: [], relations: [] }, 'nothing imported')
})

t.test('the import endpoint needs the admin key and a tool name', async (t) => {
  const app = await buildTestApp(t, { MEMORY_ADMIN_KEY: ADMIN, MEMORY_API_KEYS: 'a=a-key-0123456789abcdef' })
  t.equal((await importFile(app, 'x', FILE, 'a-key-0123456789abcdef')).status, 401, 'a tool key is not enough')
  t.equal((await importFile(app, 'bad tool!', FILE)).status, 400, 'tool name validated')
  const json = await call(app.server, 'POST', '/admin/graph/import?tool=x', { headers: bearer(ADMIN), body: { entities: [] } })
  t.equal(json.status, 415, 'a JSON body is refused')
})
