import { readFile } from 'node:fs/promises'
import t from 'tap'
import { v1OpenApiDocument, v2OpenApiDocument } from '../../src/http/openapi.js'
import { buildTestApp } from '../helpers/build-app.js'

t.test('openapi/v2.json matches the route schemas (run `npm run openapi` after changing routes)', async (t) => {
  const app = await buildTestApp(t)
  const generated = await v2OpenApiDocument(app.server)
  const committed = JSON.parse(await readFile(new URL('../../openapi/v2.json', import.meta.url), 'utf8'))
  t.same(committed, generated)
})

t.test('the document describes every /v2 operation with its error responses', async (t) => {
  const app = await buildTestApp(t)
  const doc = (await v2OpenApiDocument(app.server)) as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
  t.match(doc.openapi, /^3\./)
  const expected: [string, string][] = [
    ['/v2/memories', 'post'], ['/v2/memories', 'get'], ['/v2/memories/{id}', 'get'], ['/v2/memories/{id}', 'put'],
    ['/v2/memories/{id}', 'patch'], ['/v2/memories/{id}', 'delete'], ['/v2/memories/by-hash/{contentHash}', 'get'],
    ['/v2/memories/by-key/{key}', 'get'], ['/v2/memories/by-key/{key}', 'put'], ['/v2/memories/by-key/{key}', 'delete'],
    ['/v2/memories/batch', 'post'], ['/v2/search', 'post'], ['/v2/stats', 'get'],
  ]
  for (const [path, method] of expected) {
    const op = doc.paths[path]?.[method]
    t.ok(op, `${method.toUpperCase()} ${path} is documented`)
    if (op && path !== '/v2/stats') t.ok(op.responses['400'], `${method.toUpperCase()} ${path} documents 400`)
  }
})

t.test('openapi/v1.json matches the frozen /v1 routes (run `npm run openapi` after changing them)', async (t) => {
  const app = await buildTestApp(t)
  const generated = (await v1OpenApiDocument(app.server)) as { paths: Record<string, Record<string, unknown>> }
  const committed = JSON.parse(await readFile(new URL('../../openapi/v1.json', import.meta.url), 'utf8'))
  t.same(committed, generated)
  const operations = Object.entries(generated.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
  t.same(operations.sort(), [
    'DELETE /v1/entities', 'DELETE /v1/observations', 'DELETE /v1/relations', 'GET /v1/graph', 'GET /v1/search',
    'POST /v1/entities', 'POST /v1/nodes/open', 'POST /v1/observations', 'POST /v1/relations', 'POST /v1/tools/{toolName}',
  ], 'every legacy route is documented')
})
