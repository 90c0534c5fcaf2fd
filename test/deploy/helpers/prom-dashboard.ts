/**
 * Checks of a Grafana dashboard JSON: panel hygiene (title, Prometheus datasource, targets) and
 * every PromQL query naming only known metrics (exported by the app or recorded by alerts.yml).
 */
import { readFileSync } from 'node:fs'
import { namesInQuery, variableQueryExpr } from './prom-query.js'
import type { Rule } from './prom-tool.js'

interface Target {
  refId?: string
  expr?: string
  datasource?: unknown
}

export interface Panel {
  id?: number
  type?: string
  title?: string
  datasource?: { type?: string; uid?: string } | string | null
  targets?: Target[]
  panels?: Panel[]
}

export interface Dashboard {
  uid?: string
  title?: string
  schemaVersion?: number
  panels?: Panel[]
  templating?: { list?: Array<{ name?: string; type?: string; query?: unknown; datasource?: unknown }> }
}

export function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard
}

/** Every non-row panel, including those nested in collapsed rows. */
export function dashboardPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]))
}

export interface Query {
  /** Where it is, for messages: panel title + refId, or the variable. */
  where: string
  expr: string
}

/** Every PromQL query of the dashboard: panel targets and query variables. */
export function dashboardQueries(dashboard: Dashboard): Query[] {
  const queries: Query[] = []
  for (const panel of dashboardPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr === 'string') queries.push({ where: `panel "${panel.title}" ${target.refId ?? ''}`.trim(), expr: target.expr })
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue
    const raw = typeof variable.query === 'string' ? variable.query : (variable.query as { query?: string } | undefined)?.query
    const expr = raw === undefined ? null : variableQueryExpr(raw)
    if (expr) queries.push({ where: `variable $${variable.name}`, expr })
  }
  return queries
}

/** Metric names used by alert/recording rule expressions, without the names the rules record. */
export function ruleMetricNames(rules: Rule[]): Set<string> {
  const recorded = recordedNames(rules)
  const names = new Set<string>()
  for (const rule of rules) for (const name of namesInQuery(rule.expr).metrics) if (!recorded.has(name)) names.add(name)
  return names
}

export function recordedNames(rules: Rule[]): Set<string> {
  return new Set(rules.flatMap((r) => (r.record ? [r.record] : [])))
}

const isPrometheusDatasource = (ds: Panel['datasource']): boolean =>
  typeof ds === 'object' && ds !== null && ds.type === 'prometheus' && typeof ds.uid === 'string' && ds.uid.length > 0

/**
 * Problems of `dashboard`, one message each: a panel without title, Prometheus datasource or
 * targets; a query naming a metric outside `known`; a query calling an unknown function.
 */
export function checkDashboard(dashboard: Dashboard, known: ReadonlySet<string>): string[] {
  const problems: string[] = []
  const panels = dashboardPanels(dashboard)
  if (panels.length === 0) problems.push('the dashboard has no panels')
  for (const panel of panels) {
    const name = `panel ${panel.id ?? '?'} "${panel.title ?? ''}"`
    if (!panel.title?.trim()) problems.push(`${name} has no title`)
    if (!isPrometheusDatasource(panel.datasource)) problems.push(`${name} has no Prometheus datasource`)
    const targets = panel.targets ?? []
    if (targets.length === 0) problems.push(`${name} has no target`)
    for (const target of targets) {
      if (typeof target.expr !== 'string' || target.expr.trim() === '') problems.push(`${name} target ${target.refId ?? '?'} has no expr`)
    }
  }
  for (const query of dashboardQueries(dashboard)) {
    const { metrics, unknownFunctions } = namesInQuery(query.expr)
    for (const metric of metrics) if (!known.has(metric)) problems.push(`${query.where}: unknown metric ${metric}`)
    for (const fn of unknownFunctions) problems.push(`${query.where}: unknown function ${fn}()`)
    if (metrics.size === 0) problems.push(`${query.where}: names no metric (${query.expr})`)
  }
  return problems
}
