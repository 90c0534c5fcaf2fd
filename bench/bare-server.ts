/**
 * The baselines: a bare Fastify server (child process) with no plugins, no schemas, no auth and the
 * default JSON parser/serializer, and a plain pg Pool of the same size as the service's.
 *
 *   GET  /            → {"hello":"world"}                            (HTTP framework floor)
 *   POST /insert      → one parameterised INSERT into `memories`      (raw-driver write floor)
 *   GET  /rows/:id    → one primary-key SELECT from `memories`        (raw-driver read floor)
 *   GET  /kv/:k       → `GET bench:kv:<k>` from Redis (ioredis getBuffer), the raw value  (cache read floor;
 *                       only with BARE_REDIS_URL; run.ts stores the values beforehand)
 *
 * The INSERT writes into the real `memories` table (same columns, constraints and indexes as the
 * service's writes; tool `bench-bare`, removed after the run) with a UUIDv7 id, a sha256 content hash
 * computed in JS, and `tokens` estimated as length/4 (no tokenizer: that is service work); it fills
 * search_vector itself when that is not a generated column. The SELECT
 * reads the same columns the service returns, by (tool, id), without expiry checks.
 *
 * Statements are pg's default unnamed parameterised ones (parsed and planned on every call), as a
 * plain application sends them; BARE_NAMED=1 names them (prepared once per connection), for
 * comparison with a service that does.
 *
 * Started by run.ts with `fork`; speaks the IPC protocol of child-ipc.mjs.
 * Env: BARE_PG_URL, BARE_PG_POOL, BARE_REDIS_URL (optional), BARE_NAMED (optional).
 */
import { createHash } from 'node:crypto'
import Fastify from 'fastify'
import pg from 'pg'
import { Redis } from 'ioredis'
import { v7 as uuidv7 } from 'uuid'
import { serveIpc } from './child-ipc.mjs'
import { KV_PREFIX } from './words.js'

const COLUMNS =
  'tool, id, type, key, content, content_type, metadata, tags, importance, visibility, content_hash, tokens, version, ' +
  'created_at, updated_at, expires_at, last_accessed_at, access_count'

/** With `fillSearchVector` when search_vector is an ordinary column that writes fill (as the service's writes do). */
const insertSql = (fillSearchVector: boolean) => `INSERT INTO memories (tool, id, type, key, content, content_type, metadata, tags, importance, visibility,
  content_hash, tokens, version, created_at, updated_at${fillSearchVector ? ', search_vector' : ''})
  VALUES ($1, $2, $3, NULL, $4, 'text/plain', $5, $6, 0.5, 'private', $7, $8, 1, $9, $9${fillSearchVector ? `, to_tsvector('english'::regconfig, left($4, 100000))` : ''})`

interface InsertBody {
  content: string
  type?: string
  tags?: string[]
  metadata?: Record<string, unknown>
}

const url = process.env.BARE_PG_URL
if (!url) throw new Error('BARE_PG_URL is required')
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BARE_PG_POOL ?? 10), application_name: 'bench-bare' })
// Migration 0001 generates search_vector; a later one may make it an ordinary column that writes fill.
const { rows: sv } = await pool.query<{ generated: string }>(
  `SELECT attgenerated AS generated FROM pg_attribute WHERE attrelid = 'memories'::regclass AND attname = 'search_vector' AND NOT attisdropped`)
const INSERT = insertSql(sv[0]?.generated === '')
// Migration 0002 adds the stored form of compressed content (content_codec, content_blob), which the
// service selects with every row: the baseline reads them too (NULL for the seeded plain rows).
const { rows: codecColumns } = await pool.query<{ name: string }>(
  `SELECT attname AS name FROM pg_attribute WHERE attrelid = 'memories'::regclass AND attname IN ('content_codec', 'content_blob') AND NOT attisdropped ORDER BY attname DESC`)
const SELECT = `SELECT ${[COLUMNS, ...codecColumns.map((c) => c.name)].join(', ')} FROM memories WHERE tool = $1 AND id = $2`
const named = process.env.BARE_NAMED === '1'
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
  await pool.query({ text: INSERT, ...(named ? { name: 'bare-insert' } : {}) }, [
    toolOf(request.headers), id, body.type ?? 'fact', body.content, body.metadata ?? {}, body.tags ?? [], hash,
    Math.ceil(body.content.length / 4), new Date(),
  ])
  return reply.code(201).send({ id })
})

app.get('/rows/:id', async (request, reply) => {
  const { id } = request.params as { id: string }
  const { rows } = await pool.query({ text: SELECT, ...(named ? { name: 'bare-select' } : {}) }, [toolOf(request.headers), id])
  if (rows.length === 0) return reply.code(404).send({ error: 'not found' })
  return rows[0]
})

// One ioredis connection with its defaults, as an application would open it.
const redis = process.env.BARE_REDIS_URL ? new Redis(process.env.BARE_REDIS_URL) : null
if (redis) {
  app.get('/kv/:k', async (request, reply) => {
    const { k } = request.params as { k: string }
    const value = await redis.getBuffer(`${KV_PREFIX}${k}`)
    if (value === null) return reply.code(404).send({ error: 'not found' })
    return reply.type('application/octet-stream').send(value)
  })
}

await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
serveIpc(typeof address === 'object' && address ? address.port : 0, async () => {
  await app.close()
  await pool.end()
  redis?.disconnect()
})
