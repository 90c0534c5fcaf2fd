/**
 * deploy/grafana/dashboard.json: a provisionable dashboard (uid, schemaVersion, a Prometheus
 * `datasource` variable) whose every panel has a title, a datasource and targets, and whose every
 * PromQL query names only metrics a freshly built app exports (or alerts.yml records). A fixture
 * dashboard with a misspelt metric fails the same check. The name extractor is tested first.
 */
import { join } from 'node:path'
import t from 'tap'
import { checkDashboard, dashboardPanels, dashboardQueries, loadDashboard, recordedNames } from './helpers/prom-dashboard.js'
import { exportedNames, freshAppExposition } from './helpers/prom-exposition.js'
import { namesInQuery, variableQueryExpr } from './helpers/prom-query.js'
import { DASHBOARD_FILE, REPO_ROOT, loadRules } from './helpers/prom-tool.js'

const dashboard = loadDashboard(DASHBOARD_FILE)
const names = (expr: string) => [...namesInQuery(expr).metrics].sort()

t.test('the extractor finds metric names and nothing else', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['up', ['up']],
    ['sum by (job, le) (rate(a_bucket{route!~"/healthz|/readyz", le="+Inf"}[5m]))', ['a_bucket']],
    ['sum(rate(a_total[5m])) by (job) / on (job) group_left (tool) b', ['a_total', 'b']],
    ['a > 3 * b offset 1d and on (job) c >= 100', ['a', 'b', 'c']],
    ['histogram_quantile(0.99, sum without (instance) (rate(x_bucket[$__rate_interval])))', ['x_bucket']],
    ['max_over_time(deriv(g[15m:1m])[1h:]) @ end() unless ignoring (le) h', ['g', 'h']],
    ['label_replace(m{a="}{)("}, "dst", "$1", "src", "(.*)")', ['m']],
    ['count(x == bool 1) or vector(0) # a comment naming not_a_metric', ['x']],
    ['1e-3 * 0x1F + 1.5 + Inf - NaN + rec:ord:ed_rule', ['rec:ord:ed_rule']],
    ['topk(5, y{job=~"$job"}) * ${factor}', ['y']],
  ]
  for (const [expr, want] of cases) t.same(names(expr), want, expr)
  t.same([...namesInQuery('rat(a[5m]) + sum(b)').unknownFunctions], ['rat'], 'a misspelt function is reported')
  t.equal(variableQueryExpr('label_values(mcp_memory_process_start_time_seconds{env="x"}, job)'), 'mcp_memory_process_start_time_seconds{env="x"}')
  t.equal(variableQueryExpr('label_values(job)'), null)
})

t.test('the dashboard is provisionable', async (t) => {
  t.match(dashboard.uid, /^[a-z0-9-]{1,40}$/, 'uid set')
  t.ok(dashboard.title, 'title set')
  t.ok((dashboard.schemaVersion ?? 0) >= 36, `schemaVersion ${dashboard.schemaVersion}`)
  const variable = dashboard.templating?.list?.find((v) => v.name === 'datasource')
  t.same([variable?.type, variable?.query], ['datasource', 'prometheus'], 'a Prometheus datasource variable')
  const ids = dashboard.panels!.map((p) => p.id)
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique')
  for (const panel of dashboardPanels(dashboard)) t.same(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, `${panel.title} uses the variable`)
})

t.test('the dashboard shows what the runbook says to watch', async (t) => {
  const used = new Set(dashboardQueries(dashboard).flatMap((q) => [...namesInQuery(q.expr).metrics]))
  for (const metric of [
    'mcp_memory_traffic_stage', 'mcp_memory_traffic_green_percent', 'mcp_memory_operation_duration_seconds_bucket',
    'mcp_memory_backend_errors_total', 'mcp_memory_traffic_operations_total', 'mcp_memory_cache_requests_total',
    'mcp_memory_token_budget_utilization_ratio', 'mcp_memory_tokens', 'mcp_memory_entries', 'mcp_memory_outbox_pending',
    'mcp_memory_outbox_oldest_age_seconds', 'mcp_memory_shadow_compares_total', 'mcp_memory_http_request_duration_seconds_count',
    'mcp_memory_http_request_duration_seconds_bucket', 'mcp_memory_budget_evictions_total', 'mcp_memory_budget_rejections_total',
    'mcp_memory_traffic_rollbacks_total', 'mcp_memory_sync_failures_total', 'mcp_memory_backend_up',
    'job:mcp_memory_http_error_ratio:rate5m', 'job:mcp_memory_http_request_duration_seconds:p99_rate1h_offset1d',
  ]) t.ok(used.has(metric), metric)
})

t.test('every panel is complete and every query names an exported or recorded metric', async (t) => {
  const exported = exportedNames(await freshAppExposition(t))
  t.ok(exported.has('mcp_memory_process_resident_memory_bytes'), 'default process metrics carry the prefix')
  t.notOk(exported.has('mcp_memory_http_request_duration_seconds'), 'a histogram is only its _bucket/_sum/_count series')
  const known = new Set([...exported, ...recordedNames(loadRules())])
  t.same(checkDashboard(dashboard, known), [])
  t.ok(dashboardQueries(dashboard).length >= 20, 'the queries were found')

  const fixture = loadDashboard(join(REPO_ROOT, 'test/fixtures/grafana/unknown-metric.json'))
  const problems = checkDashboard(fixture, known)
  t.same(problems.sort(), [
    'panel "Entries by tool" A: unknown metric mcp_memory_entry_count',
    'panel "Token budget" A: unknown metric mcp_memory_token_budget_ratio',
    'panel 3 "" has no title',
    'panel 3 "" has no target',
    'panel 4 "Latency" has no Prometheus datasource',
    'panel "Latency" A: unknown metric mcp_memory_http_request_duration_seconds',
    'variable $job: unknown metric mcp_memory_up',
  ].sort(), 'each broken thing of the fixture is reported')
})
