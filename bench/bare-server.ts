/**
 * The baselines: a bare Fastify server (child process) with no plugins, no schemas, no auth and the
 * default JSON parser/serializer, and a plain pg Pool of the same size as the service's.
 *
 *   GET  /            → {"hello":"world"}                            (HTTP framework floor)
 *   POST /insert      → one parameterised INSERT into `memories`      (raw-driver write floor)
 *   GET  /rows/:id    → one primary-key SELECT from `memories`        (raw-driver read floor)
 *
 * The INSERT writes into the real `memories` table (same columns, constraints and indexes as the
 * service's writes; tool `bench-bare`, removed after the run) with a UUIDv7 id, a sha256 content hash
 * computed in JS, and `tokens` estimated as length/4 (no tokenizer: that is service work). The SELECT
 * reads the same columns the service returns, by (tool, id), without expiry checks.
 *
 * Started by run.ts with `fork`; speaks the IPC protocol of child-ipc.ts.
 * Env: BARE_PG_URL, BARE_PG_POOL.
 */
import { createHash } from 'node:crypto'
import Fastify from 'fastify'
import pg from 'pg'
import { v7 as uuidv7 } from 'uuid'
import { serveIpc } from './child-ipc.js'

const COLUMNS =
  'tool, id, type, key, content, content_type, metadata, tags, importance, visibility, content_hash, tokens, version, ' +
  'created_at, updated_at, expires_at, last_accessed_at, access_count'

const INSERT = `INSERT INTO memories (tool, id, type, key, content, content_type, metadata, tags, importance, visibility,
  content_hash, tokens, version, created_at, updated_at) VALUES ($1, $2, $3, NULL, $4, 'text/plain', $5, $6, 0.5, 'private', $7, $8, 1, $9, $9)`
const SELECT = `SELECT ${COLUMNS} FROM memories WHERE tool = $1 AND id = $2`

interface InsertBody {
  content: string
  type?: string
  tags?: string[]
  metadata?: Record<string, unknown>
}

const url = process.env.BARE_PG_URL
if (!url) throw new Error('BARE_PG_URL is required')
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BARE_PG_POOL ?? 10), application_name: 'bench-bare' })
const app = Fastify({ logger: false })

// A baseline that fails silently would make every ratio meaningless: report the first few errors.
let reported = 0
app.setErrorHandler((err: Error, _request, reply) => {
  if (reported++ < 5) console.error('bare-server:', err)
  void reply.code(500).send({ error: err.message })
})

const toolOf = (headers: Record<string, unknown>) => {
  const tool = headers['x-memory-tool']
  return typeof tool === 'string' ? tool : 'bench-bare'
}

app.get('/', async () => ({ hello: 'world' }))

app.post('/insert', async (request, reply) => {
  const body = request.body as InsertBody
  const id = uuidv7()
  const hash = 'sha256:' + createHash('sha256').update(body.content, 'utf8').digest('hex')
  await pool.query(INSERT, [
    toolOf(request.headers), id, body.type ?? 'fact', body.content, body.metadata ?? {}, body.tags ?? [], hash,
    Math.ceil(body.content.length / 4), new Date(),
  ])
  return reply.code(201).send({ id })
})

app.get('/rows/:id', async (request, reply) => {
  const { id } = request.params as { id: string }
  const { rows } = await pool.query(SELECT, [toolOf(request.headers), id])
  if (rows.length === 0) return reply.code(404).send({ error: 'not found' })
  return rows[0]
})

await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
serveIpc(typeof address === 'object' && address ? address.port : 0, async () => {
  await app.close()
  await pool.end()
})
