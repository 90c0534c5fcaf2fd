/**
 * Loads N memory entries into the benchmark database, fast, with content generated inside Postgres:
 * multi-row `INSERT … SELECT … FROM generate_series` in batches of 10 000 rows on two connections,
 * with the secondary indexes dropped during the load and rebuilt afterwards (two at a time), then
 * VACUUM ANALYZE. content_hash is computed in SQL exactly as the service hashes (sha256 of the UTF-8
 * bytes). `search_vector` fills itself while it is a generated column (migration 0001); once it is an
 * ordinary column that writes fill, the seed fills it with the same expression,
 * `to_tsvector('english', left(content, 100000))`. Content stays plain in `content` (the seeded texts
 * are below the compression threshold; content_codec/content_blob/content_head stay NULL). Ids are UUIDv7 built from created_at, 30 s apart,
 * ending now, so every id the service creates later sorts after them.
 *
 * A finished seed is recorded in `bench_meta`; a later run with the same row count and recipe reuses it.
 * Dropped index definitions are recorded before the drop, so an interrupted seed restores them next time.
 *
 *   node --import tsx bench/seed.ts [rows]     (database from BENCH_PG_URL / BENCH_DATABASE, see env.ts)
 */
import { pathToFileURL } from 'node:url'
import type pg from 'pg'
import { cleanupBenchRows, ensureDatabase, isMigrationHistoryError, migrate, recreateDatabase, withClient } from './db.js'
import { databaseUrl, readBenchEnv } from './env.js'
import { COMMON_WORDS, SEED_TAGS, SEED_TOOLS, SEED_TYPES, TOPIC_WORDS } from './words.js'

/** Bump when the generated data changes shape, to force a reseed. */
const SEED_RECIPE = 'v1'
const BATCH_ROWS = 10_000
const LOADERS = 2

export interface SeedResult {
  rows: number
  reused: boolean
  seconds: number
}

/** The batch INSERT; `fillSearchVector` when search_vector is an ordinary column (see searchVectorKind). */
const insertBatch = (fillSearchVector: boolean) => `
INSERT INTO memories (tool, id, type, key, content, content_type, metadata, tags, importance, visibility,
  content_hash, tokens, version, created_at, updated_at, expires_at, last_accessed_at, access_count${fillSearchVector ? ', search_vector' : ''})
SELECT r.tool, r.id, r.type, NULL, r.content, 'text/plain',
  jsonb_build_object('source', 'bench-seed', 'seq', r.g), r.tags, r.importance, r.visibility,
  'sha256:' || encode(sha256(convert_to(r.content, 'UTF8')), 'hex'),
  (r.words * 4) / 3 + 3, 1, to_timestamp(r.ms / 1000.0), to_timestamp(r.ms / 1000.0), NULL, NULL, 0${fillSearchVector ? `,
  ${SEARCH_VECTOR}` : ''}
FROM (
  SELECT g, w.words, w.ms,
    ($5::text[])[1 + floor(random() * cardinality($5::text[]))::int] AS tool,
    ($6::text[])[1 + floor(power(random(), 1.6) * cardinality($6::text[]))::int] AS type,
    ARRAY(SELECT DISTINCT ($7::text[])[1 + floor(power(random(), 1.5) * cardinality($7::text[]))::int]
          FROM generate_series(1, (g % 4)::int) AS k WHERE k > 0 AND g > 0) AS tags,
    round(random()::numeric, 2)::float8 AS importance,
    CASE WHEN random() < 0.2 THEN 'shared' ELSE 'private' END AS visibility,
    (lpad(to_hex(w.ms), 12, '0') || '7' || substr(md5(g::text), 1, 3) || '8' || substr(md5(g::text), 4, 15))::uuid AS id,
    (SELECT string_agg(CASE WHEN random() < 0.4
                         THEN ($3::text[])[1 + floor(random() * cardinality($3::text[]))::int]
                         ELSE ($4::text[])[1 + floor(power(random(), 2) * cardinality($4::text[]))::int] END, ' ')
       FROM generate_series(1, w.words) AS k WHERE g > 0) || ' ref ' || g || '.' AS content
  FROM generate_series($1::int, $2::int) AS g,
       LATERAL (SELECT 8 + ((g::bigint * 7919) % 33)::int AS words,
                       $9::bigint - ($8::bigint - g) * 30000 AS ms) AS w
  OFFSET 0
) r`

/** The service's full-text expression (migration 0001's generated column), for rows the seed writes itself. */
const SEARCH_VECTOR = `to_tsvector('english'::regconfig, left(r.content, 100000))`

/**
 * `generated` while search_vector is a generated column, `ordinary` once writes must fill it, `absent`
 * if there is none. Also refuses a schema with a NOT NULL column the seed does not know (a migration
 * the seed must learn about) instead of failing half-way through a load.
 */
async function searchVectorKind(client: pg.Client): Promise<'generated' | 'ordinary' | 'absent'> {
  const { rows } = await client.query<{ name: string; generated: string; notnull: boolean; hasdefault: boolean }>(`
    SELECT attname AS name, attgenerated AS generated, attnotnull AS notnull, atthasdef AS hasdefault
    FROM pg_attribute WHERE attrelid = 'memories'::regclass AND attnum > 0 AND NOT attisdropped`)
  const known = new Set(['tool', 'id', 'type', 'key', 'content', 'content_type', 'metadata', 'tags', 'importance', 'visibility',
    'content_hash', 'tokens', 'version', 'created_at', 'updated_at', 'expires_at', 'last_accessed_at', 'access_count', 'search_vector'])
  const unknown = rows.filter((r) => !known.has(r.name) && r.notnull && !r.hasdefault && r.generated === '')
  if (unknown.length > 0) throw new Error(`memories has NOT NULL column(s) the seed does not fill: ${unknown.map((r) => r.name).join(', ')}; update bench/seed.ts`)
  const sv = rows.find((r) => r.name === 'search_vector')
  return !sv ? 'absent' : sv.generated === 's' ? 'generated' : 'ordinary'
}

async function meta(client: pg.Client, key: string): Promise<string | null> {
  const { rows } = await client.query<{ value: string }>('SELECT value FROM bench_meta WHERE key = $1', [key])
  return rows[0]?.value ?? null
}

async function setMeta(client: pg.Client, key: string, value: string | null): Promise<void> {
  if (value === null) await client.query('DELETE FROM bench_meta WHERE key = $1', [key])
  else await client.query('INSERT INTO bench_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2', [key, value])
}

/** Recreate indexes recorded before a drop (also heals an interrupted earlier seed). */
async function restoreIndexes(url: string, log: (m: string) => void): Promise<void> {
  const defs = await withClient(url, async (c) => JSON.parse((await meta(c, 'dropped_indexes')) ?? '[]') as { name: string; def: string }[])
  if (defs.length === 0) return
  const queue = [...defs]
  const worker = () => withClient(url, async (c) => {
    await c.query(`SET maintenance_work_mem = '512MB'`)
    for (let next = queue.shift(); next; next = queue.shift()) {
      const started = Date.now()
      const { rowCount } = await c.query('SELECT 1 FROM pg_class WHERE relname = $1', [next.name])
      if (!rowCount) await c.query(next.def)
      log(`  index ${next.name} ${((Date.now() - started) / 1000).toFixed(1)} s`)
    }
  })
  await Promise.all([worker(), worker()])
  await withClient(url, (c) => setMeta(c, 'dropped_indexes', null))
}

/** Seed `rows` entries into the database at `url` (schema must exist), unless already seeded. */
export async function seed(url: string, rows: number, log: (m: string) => void = console.log): Promise<SeedResult> {
  const started = Date.now()
  await withClient(url, (c) => c.query('CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)'))
  await restoreIndexes(url, log)
  const wanted = JSON.stringify({ rows, recipe: SEED_RECIPE })
  const reusable = await withClient(url, async (c) => {
    if ((await meta(c, 'seed')) !== wanted) return false
    const { rows: r } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM memories WHERE tool = ANY($1::text[])', [SEED_TOOLS])
    return r[0]?.n === rows
  })
  const vectorKind = await withClient(url, searchVectorKind)
  if (reusable) {
    if (vectorKind === 'ordinary') {
      // Seeded while search_vector was generated and converted since: its values stay. Heal rows a
      // conversion (or an older seed) left empty, so full-text search sees the whole data set.
      const healed = await withClient(url, (c) => c.query(
        `UPDATE memories SET search_vector = ${SEARCH_VECTOR.replace('r.content', 'content')} WHERE search_vector IS NULL AND tool = ANY($1::text[])`, [SEED_TOOLS]))
      if (healed.rowCount) {
        log(`filled search_vector of ${healed.rowCount} seeded rows`)
        await withClient(url, (c) => c.query('VACUUM (ANALYZE) memories'))
      }
    }
    return { rows, reused: true, seconds: (Date.now() - started) / 1000 }
  }

  log(`seeding ${rows} entries (search_vector: ${vectorKind}${vectorKind === 'ordinary' ? ', filled by the seed' : ''})…`)
  const INSERT_BATCH = insertBatch(vectorKind === 'ordinary')
  await withClient(url, async (c) => {
    await setMeta(c, 'seed', '')
    await c.query('TRUNCATE memories, memory_tombstones, idempotency_keys')
    const { rows: defs } = await c.query<{ name: string; def: string }>(`
      SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = 'memories'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)
      ORDER BY pg_relation_size(i.oid) DESC, i.relname`)
    // Slowest builds first (GIN), so the two builders finish together.
    defs.sort((a, b) => Number(/ gin /i.test(b.def)) - Number(/ gin /i.test(a.def)))
    await setMeta(c, 'dropped_indexes', JSON.stringify(defs))
    for (const d of defs) await c.query(`DROP INDEX IF EXISTS "${d.name}"`)
  })

  const loadStarted = Date.now()
  const now = Date.now()
  let nextStart = 1
  let done = 0
  const loader = () => withClient(url, async (c) => {
    await c.query('SET synchronous_commit = off')
    while (nextStart <= rows) {
      const from = nextStart
      const to = Math.min(rows, from + BATCH_ROWS - 1)
      nextStart = to + 1
      await c.query(INSERT_BATCH, [from, to, COMMON_WORDS, TOPIC_WORDS, SEED_TOOLS, SEED_TYPES, SEED_TAGS, rows, now])
      done += to - from + 1
      if (done % 100_000 < BATCH_ROWS) log(`  ${done} rows (${((Date.now() - loadStarted) / 1000).toFixed(0)} s)`)
    }
  })
  await Promise.all(Array.from({ length: LOADERS }, loader))
  log(`  rows loaded in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s; rebuilding indexes`)
  await restoreIndexes(url, log)
  await withClient(url, async (c) => {
    await c.query('VACUUM (ANALYZE) memories')
    await setMeta(c, 'seed', wanted)
  })
  return { rows, reused: false, seconds: (Date.now() - started) / 1000 }
}

/** Create the database, migrate, clean up old bench rows and seed: everything run.ts needs first. */
export async function prepareDatabase(pgBaseUrl: string, database: string, rows: number, log: (m: string) => void): Promise<SeedResult> {
  await ensureDatabase(pgBaseUrl, database)
  const url = databaseUrl({ pgBaseUrl, database })
  try {
    await migrate(url)
  } catch (err) {
    // The migration files changed since this benchmark database was built (normal during
    // development): it holds nothing but generated data, so rebuild it from scratch.
    if (!isMigrationHistoryError(err) || !database.startsWith('mcpmem_bench')) throw err
    log(`the service's migrations changed since ${database} was built (${(err as Error).message.split('\n')[0]}); recreating it`)
    await recreateDatabase(pgBaseUrl, database)
    await migrate(url)
  }
  const removed = await cleanupBenchRows(url)
  if (removed > 0) log(`removed ${removed} rows left by an earlier run`)
  return seed(url, rows, log)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = readBenchEnv()
  const arg = process.argv[2]
  const rows = arg === undefined ? env.entries : Number(arg)
  if (!Number.isInteger(rows) || rows < 1000 || rows > 5_000_000) throw new Error('rows must be a whole number in 1000..5000000')
  const result = await prepareDatabase(env.pgBaseUrl, env.database, rows, console.log)
  console.log(`${result.reused ? 'reused' : 'seeded'} ${result.rows} entries in ${env.database} (${result.seconds.toFixed(1)} s)`)
}
