/**
 * The metrics named by deploy/prometheus/alerts.yml and deploy/grafana/dashboard.json are exported
 * by the running app. The real app (in-memory blue and green, TRAFFIC_STAGE=shadow so writes are
 * mirrored and reads shadow-compared) listens on a port; a workload over HTTP exercises creates,
 * reads, list, search, a batch, budgets (eviction and rejection), a large entry and context
 * packing; then /metrics must declare every referenced name (`# TYPE`) and hold samples of the
 * core ones.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { dashboardQueries, loadDashboard, recordedNames, ruleMetricNames } from './helpers/prom-dashboard.js'
import { exportedNames, parseExposition, samplesOf, type Exposition } from './helpers/prom-exposition.js'
import { namesInQuery } from './helpers/prom-query.js'
import { DASHBOARD_FILE, loadRules } from './helpers/prom-tool.js'

/** Names whose samples the workload must have produced, with the least total value expected. */
const SAMPLED: Array<[name: string, atLeast: number]> = [
  ['mcp_memory_http_request_duration_seconds_count', 20],
  ['mcp_memory_http_request_duration_seconds_bucket', 1],
  ['mcp_memory_operation_duration_seconds_bucket', 1],
  ['mcp_memory_traffic_operations_total', 10],
  ['mcp_memory_traffic_stage', 1],
  ['mcp_memory_traffic_green_percent', 100], // shadow dial at 100 %
  ['mcp_memory_shadow_compares_total', 1],
  ['mcp_memory_cache_requests_total', 1],
  ['mcp_memory_backend_up', 2], // blue and green
  ['mcp_memory_entries', 1],
  ['mcp_memory_tokens', 1],
  ['mcp_memory_token_budget_utilization_ratio', 0.01],
  ['mcp_memory_budget_evictions_total', 1],
  ['mcp_memory_budget_rejections_total', 1],
  ['mcp_memory_tool_registrations_total', 1],
  ['mcp_memory_large_entries_total', 1],
  ['mcp_memory_batch_operations_total', 3],
  ['mcp_memory_context_requests_total', 1],
  ['mcp_memory_outbox_pending', 0],
  ['mcp_memory_outbox_oldest_age_seconds', 0],
  ['mcp_memory_process_resident_memory_bytes', 1],
]

/** Varied words, so the tokenizer sees ordinary text (`n` bytes at least). */
const text = (n: number, seed: string) => {
  const words: string[] = []
  for (let i = 0, len = 0; len < n; i++) {
    const word = `${seed}${(i * 7919) % 1000} lorem${i % 13} ipsum`
    words.push(word)
    len += word.length + 1
  }
  return words.join(' ')
}

t.test('every metric the alerts and the dashboard name is exported after a workload', async (t) => {
  const app = await buildTestApp(t, { GREEN_STORE_URL: 'memory://', TRAFFIC_STAGE: 'shadow', TRAFFIC_SHADOW_RECHECK_MS: '10' })
  const base = await app.server.listen({ host: '127.0.0.1', port: 0 })
  const http = async (method: string, path: string, tool: string | null, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(tool ? { 'x-memory-tool': tool } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const raw = await res.text()
    return { status: res.status, body: raw, json: raw.startsWith('{') ? JSON.parse(raw) : undefined }
  }
  const expect = async (want: number, label: string, req: Promise<{ status: number; body: string; json: any }>) => {
    const res = await req
    t.equal(res.status, want, `${label} → ${want}${res.status === want ? '' : `: ${res.body.slice(0, 300)}`}`)
    return res.json
  }

  // Budgets (local mode: /v2/tools is open on loopback).
  await expect(200, 'PUT evicting budget', http('PUT', '/v2/tools/budgeted', null, { maxTokens: 60, overBudget: 'evict', evictionOrder: 'oldest' }))
  await expect(200, 'PUT rejecting budget', http('PUT', '/v2/tools/strict', null, { maxTokens: 5, overBudget: 'reject' }))

  // Creates (the first write of `alpha` registers it), reads twice (cache miss, then hit), list, search.
  const ids: string[] = []
  for (let i = 0; i < 6; i++) {
    const entry = await expect(201, `create ${i}`, http('POST', '/v2/memories', 'alpha', { type: i % 2 ? 'fact' : 'note', content: `metrics workload entry ${i}` }))
    ids.push(entry.id)
  }
  for (const id of ids) for (let n = 0; n < 2; n++) await expect(200, `read ${id}`, http('GET', `/v2/memories/${id}`, 'alpha'))
  await expect(200, 'list', http('GET', '/v2/memories?limit=10', 'alpha'))
  await expect(200, 'search', http('POST', '/v2/search', 'alpha', { query: 'workload', mode: 'fulltext', limit: 5 }))
  const batch = await expect(200, 'batch', http('POST', '/v2/memories/batch', 'alpha', {
    operations: [{ op: 'create', body: { content: 'made in a batch' } }, { op: 'get', id: ids[0] }, { op: 'delete', id: ids[1] }],
  }))
  t.same(batch.results.map((r: { status: number }) => r.status), [201, 200, 204])

  // Budgets: `budgeted` evicts its oldest entries to fit; `strict` refuses an entry larger than its budget.
  let evicted = 0
  for (let i = 0; i < 6; i++) {
    const entry = await expect(201, `budgeted create ${i}`, http('POST', '/v2/memories', 'budgeted', { content: text(60, `b${i}x`) }))
    evicted += entry.evicted?.length ?? 0
  }
  t.ok(evicted > 0, `${evicted} entries evicted`)
  await expect(422, 'entry larger than the budget', http('POST', '/v2/memories', 'strict', { content: text(200, 's') }))

  // A large entry (> 100 KiB), context packing, readiness (backend_up) and the traffic view.
  await expect(201, 'large entry', http('POST', '/v2/memories', 'bulk', { content: text(110 * 1024, 'large') }))
  await expect(200, 'context', http('POST', '/v2/context', 'alpha', { maxTokens: 50, query: 'workload' }))
  await expect(200, 'readyz', http('GET', '/readyz', null))
  await expect(200, 'admin traffic', http('GET', '/admin/traffic', null))

  // Shadow compares finish after the response: wait for them.
  let exposition: Exposition = parseExposition('')
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    exposition = parseExposition((await http('GET', '/metrics', null)).body)
    if (samplesOf(exposition, 'mcp_memory_shadow_compares_total').some((s) => s.value > 0)) break
  }
  t.match(samplesOf(exposition, 'mcp_memory_shadow_compares_total').map((s) => s.labels).join(), /result="match"/, 'shadow reads compared and matched')
  t.ok(samplesOf(exposition, 'mcp_memory_traffic_stage').some((s) => s.labels === '{stage="shadow"}' && s.value === 1), 'stage gauge says shadow')

  const exported = exportedNames(exposition)
  const rules = loadRules()
  const recorded = recordedNames(rules)
  const referenced = new Set(ruleMetricNames(rules))
  for (const query of dashboardQueries(loadDashboard(DASHBOARD_FILE))) {
    for (const name of namesInQuery(query.expr).metrics) if (!recorded.has(name)) referenced.add(name)
  }
  t.ok(referenced.size >= 25, `${referenced.size} metric names referenced`)
  for (const name of [...referenced].sort()) t.ok(exported.has(name), `${name} is declared in /metrics`)

  for (const [name, atLeast] of SAMPLED) {
    const samples = samplesOf(exposition, name)
    const total = samples.reduce((sum, s) => sum + s.value, 0)
    t.ok(samples.length > 0 && total >= atLeast, `${name}: ${samples.length} samples, total ${total} (want ≥ ${atLeast})`)
  }
})
