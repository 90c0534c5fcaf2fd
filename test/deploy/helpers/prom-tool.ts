/**
 * `promtool` (Debian's `prometheus` package) and the rule files it checks. A missing promtool is an
 * error, not a skip: the alert rules are part of what the suite guarantees.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const ALERTS_FILE = `${REPO_ROOT}deploy/prometheus/alerts.yml`
export const ALERTS_TEST_FILE = `${REPO_ROOT}deploy/prometheus/alerts.test.yml`
export const DASHBOARD_FILE = `${REPO_ROOT}deploy/grafana/dashboard.json`

export const PROMTOOL_MISSING =
  "promtool is not installed: install Debian's prometheus package " +
  '(apt-get install --no-install-recommends prometheus; .ci/run does this when promtool is missing), or set PROMTOOL to its path'

export interface PromtoolResult {
  ok: boolean
  /** stdout and stderr together: promtool prints its findings on either. */
  output: string
}

export function promtool(args: string[], timeoutMs = 60_000): Promise<PromtoolResult> {
  const bin = process.env.PROMTOOL ?? 'promtool'
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(err.code === 'ENOENT' ? new Error(PROMTOOL_MISSING) : err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ ok: code === 0, output })
    })
  })
}

/** `promtool check rules FILE`: syntax, PromQL parse, templates. */
export const checkRules = (file: string) => promtool(['check', 'rules', file])

/** `promtool test rules FILE`: the unit tests in FILE against its rule_files. */
export const testRules = (file: string) => promtool(['test', 'rules', file])

export interface Rule {
  group: string
  record?: string
  alert?: string
  expr: string
  for?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

export function loadRules(file = ALERTS_FILE): Rule[] {
  const doc = parse(readFileSync(file, 'utf8')) as { groups?: Array<{ name: string; rules?: Array<Omit<Rule, 'group'>> }> }
  return (doc.groups ?? []).flatMap((g) =>
    (g.rules ?? []).map((r) => ({ ...r, group: g.name, expr: String(r.expr), labels: r.labels ?? {}, annotations: r.annotations ?? {} })),
  )
}

export interface AlertTestCase {
  group: string
  alertname: string
  evalTime: string
  expAlerts: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>
  /** Label sets of the group's input series. */
  series: Array<Record<string, string>>
}

/** Every `alert_rule_test` case of a promtool test file, with its group's input series. */
export function loadAlertTests(file = ALERTS_TEST_FILE): AlertTestCase[] {
  const doc = parse(readFileSync(file, 'utf8')) as {
    tests?: Array<{
      name?: string
      input_series?: Array<{ series: string }>
      alert_rule_test?: Array<{ alertname: string; eval_time: string; exp_alerts?: AlertTestCase['expAlerts'] }>
    }>
  }
  return (doc.tests ?? []).flatMap((test, n) => {
    const series = (test.input_series ?? []).map((s) => seriesLabels(s.series))
    return (test.alert_rule_test ?? []).map((c) => ({
      group: test.name ?? `test ${n + 1}`,
      alertname: c.alertname,
      evalTime: c.eval_time,
      expAlerts: c.exp_alerts ?? [],
      series,
    }))
  })
}

/** `name{a="x",b="y"}` → {a: 'x', b: 'y'} (label values in the test files have no escaped quotes). */
function seriesLabels(series: string): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const m of series.matchAll(/([a-zA-Z_]\w*)\s*=\s*"([^"]*)"/g)) labels[m[1]!] = m[2]!
  return labels
}
