// Seeding of the context benchmark: empty `memories`, load the generated rows on LOADERS connections with the
// secondary indexes dropped, rebuild them, VACUUM ANALYZE, and check what was loaded.
import type { compressionPolicy } from '../../src/compression/content-codec.js'
import type { TokenCounter } from '../../src/domain/memory/token-counter.js'
import { withClient } from '../db.js'
import { fmt } from '../shared/stats.js'
import { generate, type SeedRow } from './data.js'
import { BenchFailure, COMMON_WORD, OTHER_TOOL, RARE_ENTRIES, RARE_WORD, TOOL, dbUrl, log, settings } from './settings.js'

const BATCH_ROWS = 2_000
const LOADERS = 2

/** The columns the service writes (columns.ts), the derived ones computed as the service computes them. */
const INSERT_ROWS = `
INSERT INTO memories (tool, id, type, key, content, content_type, metadata, tags, importance, visibility, content_hash,
  tokens, version, created_at, updated_at, expires_at, last_accessed_at, access_count, content_codec, content_blob,
  content_head, search_vector)
SELECT $1::text, r.id, r.type, NULL, CASE WHEN r.blob IS NULL THEN r.text END, 'text/plain', '{"source":"bench-context"}'::jsonb,
  string_to_array(r.tags, ','), r.importance, r.visibility, r.hash, r.tokens, 1, r.created, r.updated, r.expires, NULL, 0,
  r.codec, decode(r.blob, 'hex'), CASE WHEN r.blob IS NOT NULL THEN left(r.text, 4096) END,
  to_tsvector('english'::regconfig, left(r.text, 100000))
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::int[],
  $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::text[])
  AS r(id, type, text, tags, importance, visibility, hash, tokens, created, updated, expires, codec, blob)`

export interface SeedFacts {
  rows: number
  seconds: number
  loadSeconds: number
  indexSeconds: number
  compressed: number
  tokens: { min: number; avg: number; max: number }
  commonMatches: number
  rareMatches: number
  shared: number
  tableSize: string
}

/** Empty `memories`, drop its secondary indexes, load `size` rows on LOADERS connections, rebuild, VACUUM ANALYZE. */
export async function seed(size: number, count: TokenCounter, policy: ReturnType<typeof compressionPolicy>): Promise<SeedFacts> {
  const t0 = performance.now()
  const defs = await withClient(dbUrl, async (c) => {
    await c.query('TRUNCATE memories, memory_tombstones, memory_access_log')
    const { rows } = await c.query<{ name: string; def: string }>(`
      SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = 'memories'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)`)
    for (const d of rows) await c.query(`DROP INDEX "${d.name}"`)
    // GIN builds first, so the two builders finish together.
    return rows.sort((a, b) => Number(/ gin /i.test(b.def)) - Number(/ gin /i.test(a.def)))
  })
  const now = Date.now()
  // Batches of the tool, then of the other tool (BENCH_CONTEXT_OTHER_TOOL entries, the same recipe).
  const batches: Array<{ tool: string; from: number; to: number; size: number }> = []
  for (const [tool, n] of [[TOOL, size], [OTHER_TOOL, settings.otherTool]] as const) {
    for (let from = 0; from < n; from += BATCH_ROWS) batches.push({ tool, from, to: Math.min(n, from + BATCH_ROWS), size: n })
  }
  const total = size + settings.otherTool
  let done = 0
  let lastLog = performance.now()
  const loader = () => withClient(dbUrl, async (c) => {
    await c.query('SET synchronous_commit = off')
    for (let b = batches.shift(); b; b = batches.shift()) {
      const rows = await generate(b.from, b.to, b.size, now, count, policy, b.tool !== TOOL)
      const col = <K extends keyof SeedRow>(k: K) => rows.map((r) => r[k])
      await c.query(INSERT_ROWS, [b.tool, col('id'), col('type'), col('text'), col('tags'), col('importance'), col('visibility'),
        col('hash'), col('tokens'), col('created'), col('updated'), col('expires'), col('codec'), col('blobHex')])
      done += rows.length
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now()
        log(`  ${fmt(done)} of ${fmt(total)} rows`)
      }
    }
  })
  await Promise.all(Array.from({ length: LOADERS }, loader))
  const t1 = performance.now()
  const queue = [...defs]
  const builder = () => withClient(dbUrl, async (c) => {
    await c.query(`SET maintenance_work_mem = '256MB'`)
    for (let d = queue.shift(); d; d = queue.shift()) await c.query(d.def)
  })
  await Promise.all([builder(), builder()])
  const t2 = performance.now()
  return withClient(dbUrl, async (c) => {
    await c.query('VACUUM ANALYZE memories')
    const { rows } = await c.query<{ n: number; compressed: number; shared: number; tmin: number; tavg: number; tmax: number; common: number; rare: number; size: string }>(`
      SELECT count(*)::int AS n, count(content_blob)::int AS compressed, count(*) FILTER (WHERE visibility = 'shared')::int AS shared,
        min(tokens)::int AS tmin, avg(tokens)::float8 AS tavg, max(tokens)::int AS tmax,
        count(*) FILTER (WHERE search_vector @@ websearch_to_tsquery('english', $1))::int AS common,
        count(*) FILTER (WHERE search_vector @@ websearch_to_tsquery('english', $2))::int AS rare,
        pg_size_pretty(pg_total_relation_size('memories')) AS size
      FROM memories WHERE tool = $3`, [COMMON_WORD, RARE_WORD, TOOL])
    const r = rows[0]!
    if (r.n !== size) throw new BenchFailure(`seeded ${r.n} rows, wanted ${size}`)
    if (r.rare !== RARE_ENTRIES) throw new BenchFailure(`the rare word matches ${r.rare} rows, wanted ${RARE_ENTRIES}`)
    return {
      rows: r.n, seconds: (performance.now() - t0) / 1000, loadSeconds: (t1 - t0) / 1000, indexSeconds: (t2 - t1) / 1000,
      compressed: r.compressed, tokens: { min: r.tmin, avg: r.tavg, max: r.tmax }, commonMatches: r.common, rareMatches: r.rare,
      shared: r.shared, tableSize: r.size,
    }
  })
}
