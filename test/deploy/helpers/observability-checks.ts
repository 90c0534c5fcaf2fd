/**
 * The compose `observability` profile: Prometheus scrapes the app with a key allowed to read
 * /metrics and loads the rules file it mounts; Grafana's provisioning points at that Prometheus
 * and at the directory where the dashboard is mounted.
 */
import { posix } from 'node:path'
import { parseApiKeys } from '../../../src/config/api-keys.js'
import { APP_SERVICE, environment, services } from './compose-checks.js'
import { at, objs, type Obj } from './yaml-docs.js'

/** `container path → repository-relative source` of a service's bind mounts. */
export function bindMounts(s: Obj | undefined): Map<string, string> {
  const out = new Map<string, string>()
  for (const v of Array.isArray(s?.volumes) ? s.volumes : []) {
    const [source = '', target = ''] = String(v).split(':')
    if (source.startsWith('./')) out.set(target, source.slice(2))
  }
  return out
}

const targetsOf = (job: Obj) => objs(job.static_configs).flatMap((c) => (Array.isArray(c.targets) ? c.targets.map(String) : []))

export function scrapeProblems(prom: unknown, compose: unknown): string[] {
  const app = services(compose)[APP_SERVICE]
  const env = app ? environment(app) : {}
  const job = objs(at(prom, 'scrape_configs')).find((j) => targetsOf(j).some((t) => t.startsWith(`${APP_SERVICE}:`)))
  if (!job) return [`prometheus.yml: no job scrapes ${APP_SERVICE}`]
  const problems: string[] = []
  const target = targetsOf(job).find((t) => t.startsWith(`${APP_SERVICE}:`))
  if (target !== `${APP_SERVICE}:${env.PORT}`) problems.push(`prometheus.yml: target ${String(target)} is not ${APP_SERVICE}:${env.PORT}`)
  if ((job.metrics_path ?? '/metrics') !== '/metrics') problems.push('prometheus.yml: metrics_path must be /metrics')
  const keys = env.MEMORY_API_KEYS ? parseApiKeys(env.MEMORY_API_KEYS) : []
  const allowed = keys.filter((k) => k.scopes.includes('metrics') || k.scopes.includes('admin')).map((k) => k.key)
  if (env.MEMORY_ADMIN_KEY) allowed.push(env.MEMORY_ADMIN_KEY)
  const token = at(job, 'authorization', 'credentials')
  if (keys.length > 0 && (at(job, 'authorization', 'type') ?? 'Bearer') !== 'Bearer') problems.push('prometheus.yml: authorization type must be Bearer')
  if (keys.length > 0 && !allowed.includes(String(token))) problems.push('prometheus.yml: the bearer credentials are not a metrics or admin key of the service')
  return problems
}

/** Mounted config and rules files are where Prometheus reads them. */
export function prometheusMountProblems(prom: unknown, compose: unknown, configSource: string, rulesSource: string): string[] {
  const s = services(compose).prometheus
  const mounts = bindMounts(s)
  const problems: string[] = []
  const configPath = (Array.isArray(s?.command) ? s.command.map(String) : []).find((a) => a.startsWith('--config.file='))?.split('=')[1] ?? '/etc/prometheus/prometheus.yml'
  if (mounts.get(configPath) !== configSource) problems.push(`compose: prometheus must mount ./${configSource} at ${configPath}`)
  const rules = (at(prom, 'rule_files') as unknown[] | undefined)?.map(String) ?? []
  if (!rules.some((r) => mounts.get(r) === rulesSource)) problems.push(`compose/prometheus.yml: rule_files must load ./${rulesSource} (mounted: ${JSON.stringify([...mounts])})`)
  for (const r of rules) if (!mounts.has(r)) problems.push(`prometheus.yml: rule file ${r} is not mounted into the prometheus service`)
  return problems
}

/** The datasource URL is the prometheus service, the provider reads the dashboard's mount folder. */
export function grafanaProblems(datasources: unknown, providers: unknown, compose: unknown, dashboardSource: string, provisioningSource: string): string[] {
  const s = services(compose).grafana
  const mounts = bindMounts(s)
  const problems: string[] = []
  if (mounts.get('/etc/grafana/provisioning') !== provisioningSource) problems.push(`compose: grafana must mount ./${provisioningSource} at /etc/grafana/provisioning`)
  const prometheus = objs(at(datasources, 'datasources')).find((d) => d.type === 'prometheus')
  const promPort = String(at(services(compose).prometheus, 'ports', 0) ?? '').split(':').at(-1)
  if (!prometheus || prometheus.url !== `http://prometheus:${promPort}`) problems.push(`grafana datasource: url must be http://prometheus:${promPort}`)
  const dashboardPath = [...mounts].find(([, src]) => src === dashboardSource)?.[0]
  const folders = objs(at(providers, 'providers')).map((p) => String(at(p, 'options', 'path')))
  if (!dashboardPath) problems.push(`compose: grafana must mount ./${dashboardSource}`)
  else if (!folders.includes(posix.dirname(dashboardPath))) problems.push(`grafana dashboards provider: path must be ${posix.dirname(dashboardPath)} (where dashboard.json is mounted)`)
  return problems
}
