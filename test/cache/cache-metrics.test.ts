/** After a scripted workload, /metrics shows the hit ratio and the bytes compression saved. */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'

function sample(body: string, name: string): number {
  return body.split('\n').filter((l) => l.startsWith(name)).reduce((n, l) => n + Number(l.split(' ').pop()), 0)
}

t.test('hit ratio and compression savings on /metrics', async (t) => {
  const { server } = await buildTestApp(t, { COMPRESSION_MIN_BYTES: '1024' })
  const ids: string[] = []
  for (let i = 0; i < 10; i++) {
    const content = i % 2 === 0
      ? `# Notes ${i}\n\n` + 'The quarterly plan keeps the same structure every week. '.repeat(200) // ~11 KB, compressible
      : `short note ${i}`
    ids.push((await server.inject({ method: 'POST', url: '/v2/memories', payload: { content } })).json().id)
  }
  for (let round = 0; round < 4; round++) {
    for (const id of ids) t.equal((await server.inject({ method: 'GET', url: `/v2/memories/${id}` })).statusCode, 200)
  }
  const body = (await server.inject({ method: 'GET', url: '/metrics' })).body
  const hits = sample(body, 'mcp_memory_cache_requests_total{backend="memory",result="hit"}')
  const misses = sample(body, 'mcp_memory_cache_requests_total{backend="memory",result="miss"}')
  t.equal(hits, 40, 'every read after a write is a hit (writes fill the cache)')
  t.equal(misses, 0)
  t.ok(sample(body, 'mcp_memory_compression_saved_bytes_total{tier="cache"}') > 5 * 10_000, 'cache values of the large notes are compressed')
  t.match(body, /mcp_memory_compression_ratio_bucket\{le="0.1",tier="cache"\} [1-9]/, 'their ratio is observed (< 0.1 for repetitive text)')
})
