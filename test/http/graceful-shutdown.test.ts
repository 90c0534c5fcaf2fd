/**
 * `mcp-memory serve` as a real process: SIGTERM drains requests already received (each gets its
 * full response), then the process exits 0 having closed the store.
 */
import { once } from 'node:events'
import t from 'tap'
import { startServe } from '../helpers/serve-process.js'

t.test('SIGTERM drains in-flight requests and exits cleanly', async (t) => {
  const { child, port, logs } = await startServe(t, ['--import', 'tsx', 'src/cli/main.ts'], { STORE_URL: 'memory://' })

  // A batch of 100 creates takes long enough to be in flight when the signal lands.
  const body = JSON.stringify({
    operations: Array.from({ length: 100 }, (_, i) => ({ op: 'create', body: { content: `drain ${i} ${'x'.repeat(2000)}` } })),
  })
  const requests = Array.from({ length: 8 }, (_, n) =>
    fetch(`http://127.0.0.1:${port}/v2/memories/batch`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-memory-tool': `drain-${n}` }, body,
    }).then(async (r) => ({ status: r.status, results: ((await r.json()) as { results: { status: number }[] }).results })))
  await new Promise((r) => setTimeout(r, 30))
  child.kill('SIGTERM')

  const responses = await Promise.all(requests)
  for (const r of responses) {
    t.equal(r.status, 200, 'the in-flight batch completed')
    t.equal(r.results.filter((x) => x.status === 201).length, 100, 'every operation of it ran')
  }
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'exit code 0')
  t.match(logs(), /shutting down: draining in-flight requests/)
})
