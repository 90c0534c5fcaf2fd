/**
 * deploy/prometheus/alerts.yml: `promtool check rules` and `promtool test rules` pass (promtool
 * missing is a failure that says how to install it); every alert is one of the documented names,
 * with severity, summary, description and a runbook link whose anchor is its name; every alert
 * has promtool cases that fire it and that show it not firing; a broken expression (fixture) makes
 * the same check fail with promtool's message; the memory-limit constant matches deploy/k8s.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { ALERTS_FILE, ALERTS_TEST_FILE, REPO_ROOT, checkRules, loadAlertTests, loadRules, testRules, type AlertTestCase } from './helpers/prom-tool.js'

/** The names docs/troubleshooting.md has one `### <AlertName>` section for. */
const ALERT_NAMES = [
  'McpMemoryHighErrorRatio', 'McpMemoryHighLatencyP99', 'McpMemoryLowCacheHitRatio', 'McpMemoryTokenBudgetNearlyFull',
  'McpMemoryBackendDown', 'McpMemoryMemoryNearLimit', 'McpMemoryShadowMismatch', 'McpMemoryOutboxAgeGrowing',
  'McpMemoryLatencyAboveBaseline', 'McpMemoryTrafficRollback', 'McpMemoryErrorBudgetBurnFast', 'McpMemoryErrorBudgetBurnSlow',
  'McpMemoryToolRegistered', 'McpMemoryLargeEntries', 'McpMemoryBatchOperations',
]
const FIXTURES = join(REPO_ROOT, 'test/fixtures/prometheus')
const rules = loadRules()
const alerts = rules.filter((r) => r.alert)

t.test('promtool check rules accepts alerts.yml', async (t) => {
  const result = await checkRules(ALERTS_FILE)
  t.ok(result.ok, result.output)
  t.match(result.output, new RegExp(`SUCCESS: ${rules.length} rules found`))
})

t.test('promtool test rules passes alerts.test.yml', async (t) => {
  const result = await testRules(ALERTS_TEST_FILE)
  t.ok(result.ok, result.output)
  t.match(result.output, /SUCCESS/)
})

t.test('the alerts are exactly the documented ones', async (t) => {
  t.same(alerts.map((a) => a.alert).sort(), [...ALERT_NAMES].sort())
  t.equal(new Set(rules.map((r) => r.alert ?? r.record)).size, rules.length, 'no rule name twice')
})

t.test('every alert has severity, summary, description and a runbook link to its own anchor', async (t) => {
  for (const alert of alerts) {
    const name = alert.alert!
    t.match(alert.labels.severity, /^(critical|warning|info)$/, `${name} severity`)
    t.ok(alert.annotations.summary?.trim(), `${name} summary`)
    t.ok(alert.annotations.description?.trim(), `${name} description`)
    t.equal(alert.annotations.runbook_url, `docs/troubleshooting.md#${name.toLowerCase()}`, `${name} runbook_url`)
  }
  const info = alerts.filter((a) => a.labels.severity === 'info').map((a) => a.alert).sort()
  t.same(info, ['McpMemoryBatchOperations', 'McpMemoryLargeEntries', 'McpMemoryToolRegistered'], 'informational alerts never page')
})

/** True when some input series of the case matches no expected alert on their shared labels. */
function hasNonFiringSeries(c: AlertTestCase): boolean {
  return c.series.some((series) =>
    !c.expAlerts.some((a) => Object.entries(a.exp_labels ?? {}).every(([k, v]) => !(k in series) || series[k] === v)),
  )
}

t.test('every alert has promtool cases that fire it and that show it not firing', async (t) => {
  const cases = loadAlertTests()
  for (const name of ALERT_NAMES) {
    const mine = cases.filter((c) => c.alertname === name)
    t.ok(mine.some((c) => c.expAlerts.length > 0), `${name}: a case where it fires`)
    t.ok(mine.some((c) => c.expAlerts.length === 0 || hasNonFiringSeries(c)), `${name}: a case where it does not fire`)
    for (const c of mine) {
      for (const a of c.expAlerts) {
        t.ok(a.exp_annotations?.runbook_url && a.exp_labels?.severity, `${name} at ${c.evalTime}: labels and annotations checked`)
      }
    }
  }
  t.same(cases.filter((c) => !ALERT_NAMES.includes(c.alertname)).map((c) => c.alertname), [], 'no case for an unknown alert')
})

t.test('an alert with a broken expression fails the check with promtool\'s message', async (t) => {
  const result = await checkRules(join(FIXTURES, 'bad-expression.yml'))
  t.notOk(result.ok, 'promtool check rules fails')
  t.match(result.output, /bad-expression\.yml/)
  t.match(result.output, /parse error|unclosed left parenthesis/i, result.output)
})

t.test('a promtool case expecting the wrong outcome fails the test run', async (t) => {
  const result = await testRules(join(FIXTURES, 'wrong-expectation.test.yml'))
  t.notOk(result.ok, 'promtool test rules fails')
  t.match(result.output, /McpMemoryBackendDown/)
  t.match(result.output, /FAILED/)
})

/** `512Mi` → bytes (the binary and decimal suffixes Kubernetes accepts). */
function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]i?|[kmgt])?$/.exec(q.trim())
  if (!m) throw new Error(`unreadable memory quantity ${q}`)
  const unit = m[2] ?? ''
  const exp = { '': 0, K: 1, k: 1, M: 2, m: 2, G: 3, g: 3, T: 4, t: 4 }[unit.replace('i', '') as 'K'] ?? 0
  return Number(m[1]) * (unit.endsWith('i') ? 1024 : 1000) ** exp
}

function memoryLimits(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) memoryLimits(n, out)
  else if (node && typeof node === 'object') {
    const limits = (node as { resources?: { limits?: { memory?: unknown } } }).resources?.limits?.memory
    if (typeof limits === 'string') out.push(limits)
    for (const v of Object.values(node)) memoryLimits(v, out)
  }
  return out
}

t.test('the memory-limit constant of the RSS alert matches the Kubernetes manifests', async (t) => {
  const constant = rules.find((r) => r.record === 'mcp_memory:container_memory_limit_bytes')
  const bytes = Number(/vector\((\d+)\)/.exec(constant?.expr ?? '')?.[1])
  t.equal(bytes, 512 * 1024 * 1024, 'the recording rule holds 512Mi')
  const k8s = join(REPO_ROOT, 'deploy/k8s')
  if (!existsSync(k8s)) {
    t.comment('deploy/k8s does not exist yet: nothing to compare with')
    return
  }
  const files = readdirSync(k8s, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f))
  // The service's Deployments (and patches of them); Jobs may size themselves differently.
  const limits = files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(k8s, f), 'utf8'))
      .map((d) => d.toJS() as { kind?: string } | null)
      .filter((d) => d?.kind === 'Deployment')
      .flatMap((d) => memoryLimits(d)),
  )
  t.ok(limits.length > 0, 'a Deployment in deploy/k8s sets a memory limit')
  for (const limit of limits) t.equal(quantityBytes(limit), bytes, `limit ${limit} equals the alert's constant`)
})

t.test('every runbook link lands on a section of docs/troubleshooting.md', async (t) => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/troubleshooting.md'), 'utf8')
  const anchors = new Set([...doc.matchAll(/^#{2,4} +(\S+)\s*$/gm)].map((m) => m[1]!.toLowerCase()))
  for (const name of ALERT_NAMES) t.ok(anchors.has(name.toLowerCase()), `docs/troubleshooting.md has a "### ${name}" section`)
})
