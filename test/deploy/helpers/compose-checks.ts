/**
 * docker-compose.yml checks (no engine runs here, so the file is validated instead of run): the
 * services the app needs, their wiring and start order, env names and values against the app's
 * config schema, loopback-only ports, volumes and bind mounts, placeholder secrets.
 */
import { configField } from '../../../src/config/config.schema.js'
import { configProblems, unknownEnvNames } from './app-env.js'
import { at, isObj, objs, strMap, type Obj } from './yaml-docs.js'

export const APP_SERVICE = 'mcp-memory'
export const REQUIRED = ['postgres-blue', 'postgres-green', 'redis', 'migrate', APP_SERVICE] as const
export const OBSERVABILITY = ['prometheus', 'grafana'] as const

export interface ComposeContext {
  /** Does a repository-relative path exist? */
  exists(path: string): boolean
  /** The Dockerfile runtime stage's ENV (the base of every app container's environment). */
  imageEnv: Record<string, string>
}

export const services = (doc: unknown): Record<string, Obj> => (isObj(at(doc, 'services')) ? (at(doc, 'services') as Record<string, Obj>) : {})

/** `${VAR:-default}` / `${VAR-default}` / `${VAR}` as compose would resolve them with VAR unset. */
export const interpolate = (v: string): string => v.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _n, d: string | undefined) => d ?? '')

/** A service's environment (map or `KEY=value` list form), interpolated. */
export function environment(s: Obj): Record<string, string> {
  const env = s.environment
  const pairs: Array<[string, string]> = Array.isArray(env)
    ? env.map((e) => String(e).split(/=(.*)/s).slice(0, 2) as [string, string])
    : Object.entries(strMap(env))
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v ?? '')]))
}

/** Services built from this repository's Dockerfile: they run the app, so the schema applies. */
export function appServices(doc: unknown): string[] {
  return Object.entries(services(doc)).filter(([, s]) => {
    const b = s.build
    const context = typeof b === 'string' ? b : at(b, 'context')
    const file = typeof b === 'string' ? 'Dockerfile' : (at(b, 'dockerfile') ?? 'Dockerfile')
    return (context === '.' || context === './') && file === 'Dockerfile'
  }).map(([name]) => name)
}

const seconds = (v: unknown): number => {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(String(v ?? ''))
  return m && (m[1] || m[2]) ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : 10 // compose's default
}

function serviceSetProblems(doc: unknown): string[] {
  const all = services(doc)
  const problems: string[] = []
  for (const name of REQUIRED) {
    if (!all[name]) problems.push(`compose: service ${name} is missing`)
    else if (all[name].profiles !== undefined) problems.push(`compose: ${name} must start by default (no profiles)`)
  }
  for (const name of OBSERVABILITY) {
    const profiles = all[name]?.profiles
    if (!Array.isArray(profiles) || !profiles.includes('observability')) problems.push(`compose: service ${name} is missing from profile observability`)
  }
  for (const name of ['postgres-blue', 'postgres-green']) {
    if (all[name] && !String(all[name].image).startsWith('postgres:')) problems.push(`compose: ${name} must run a postgres image`)
  }
  const redis = (Array.isArray(all.redis?.command) ? all.redis.command : String(all.redis?.command ?? '').split(' ')).map(String).join(' ')
  if (all.redis && !/--maxmemory-policy allkeys-lfu/.test(redis)) problems.push('compose: redis needs --maxmemory-policy allkeys-lfu (the hot tier evicts by frequency)')
  if (all.redis && !(/--save\s+(""|'')?(\s|$)/.test(redis + ' ') && /--appendonly no/.test(redis))) problems.push('compose: redis must not persist (--save "" --appendonly no)')
  const apps = appServices(doc)
  for (const name of [APP_SERVICE, 'migrate']) if (all[name] && !apps.includes(name)) problems.push(`compose: ${name} must be built from ./Dockerfile`)
  if (all.migrate && JSON.stringify(all.migrate.command) !== '["migrate"]') problems.push('compose: migrate must run the `migrate` command')
  return problems
}

function orderProblems(doc: unknown, dockerHealthcheck: boolean): string[] {
  const all = services(doc)
  const problems: string[] = []
  const want: Record<string, Record<string, string>> = {
    [APP_SERVICE]: { migrate: 'service_completed_successfully', 'postgres-blue': 'service_healthy', 'postgres-green': 'service_healthy', redis: 'service_healthy' },
    migrate: { 'postgres-blue': 'service_healthy', 'postgres-green': 'service_healthy' },
  }
  for (const [svc, deps] of Object.entries(want)) {
    for (const [dep, condition] of Object.entries(deps)) {
      const got = at(all[svc], 'depends_on', dep, 'condition')
      if (got !== condition) problems.push(`compose: ${svc} must depend on ${dep} with condition ${condition} (got ${String(got)})`)
    }
  }
  for (const [name, s] of Object.entries(all)) {
    for (const [dep, d] of Object.entries(isObj(s.depends_on) ? s.depends_on : {})) {
      if (!all[dep]) problems.push(`compose: ${name} depends on unknown service ${dep}`)
      const healthy = at(d, 'condition') === 'service_healthy'
      const hasCheck = all[dep]?.healthcheck !== undefined || (appServices(doc).includes(dep) && dockerHealthcheck)
      if (healthy && !hasCheck) problems.push(`compose: ${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`)
    }
  }
  for (const name of ['postgres-blue', 'postgres-green', 'redis']) if (all[name] && !all[name].healthcheck) problems.push(`compose: ${name} has no healthcheck`)
  return problems
}

/** URL hosts must be services; Postgres URLs must carry that service's user, password and database. */
function wiringProblems(doc: unknown): string[] {
  const all = services(doc)
  const problems: string[] = []
  const expect: Record<string, string> = { STORE_URL: 'postgres-blue', GREEN_STORE_URL: 'postgres-green', REDIS_URL: 'redis' }
  for (const svc of [APP_SERVICE, 'migrate']) {
    const env = all[svc] ? environment(all[svc]) : {}
    for (const [name, target] of Object.entries(expect)) {
      if (svc === 'migrate' && name === 'REDIS_URL') continue
      if (!env[name]) {
        problems.push(`compose: ${svc} must set ${name} (to ${target})`)
        continue
      }
      const url = new URL(env[name])
      if (url.hostname !== target) problems.push(`compose: ${svc} ${name} points at ${url.hostname}, not ${target}`)
      const pg = all[target] ? environment(all[target]) : {}
      const user = pg.POSTGRES_USER ?? 'postgres'
      const matches = url.username === user && decodeURIComponent(url.password) === pg.POSTGRES_PASSWORD && url.pathname.slice(1) === (pg.POSTGRES_DB ?? user)
      if (url.protocol.startsWith('postgres') && !matches) {
        problems.push(`compose: ${svc} ${name} does not match ${target}'s POSTGRES_USER/PASSWORD/DB`)
      }
    }
  }
  const appEnv = all[APP_SERVICE] ? environment(all[APP_SERVICE]) : {}
  if (!('TRAFFIC_STAGE' in appEnv)) problems.push(`compose: ${APP_SERVICE} must set TRAFFIC_STAGE`)
  return problems
}

function envProblems(doc: unknown, ctx: ComposeContext): string[] {
  return appServices(doc).flatMap((name) => {
    const s = services(doc)[name]!
    const env = environment(s)
    const where = `compose: ${name}`
    return [...unknownEnvNames(Object.keys(env), where), ...configProblems({ ...ctx.imageEnv, ...env }, where)]
  })
}

/** Loopback-only, no host port twice, the app's container port = its PORT. */
function portProblems(doc: unknown, ctx: ComposeContext): string[] {
  const problems: string[] = []
  const seen = new Map<string, string>()
  for (const [name, s] of Object.entries(services(doc))) {
    for (const p of Array.isArray(s.ports) ? s.ports : []) {
      const [ip, host, target] = isObj(p) ? [p.host_ip, p.published, p.target] : (String(p).split(':') as unknown[])
      if (ip !== '127.0.0.1') problems.push(`compose: ${name} port ${JSON.stringify(p)} must be bound to 127.0.0.1`)
      const key = String(host)
      if (seen.has(key)) problems.push(`compose: host port ${key} is published by ${seen.get(key)} and ${name}`)
      seen.set(key, name)
      if (name === APP_SERVICE) {
        const port = environment(s).PORT ?? ctx.imageEnv.PORT
        if (String(target) !== String(port)) problems.push(`compose: ${name} publishes container port ${String(target)}, but PORT is ${String(port)}`)
      }
    }
  }
  return problems
}

function volumeProblems(doc: unknown, ctx: ComposeContext): string[] {
  const problems: string[] = []
  const declared = new Set(Object.keys(isObj(at(doc, 'volumes')) ? (at(doc, 'volumes') as Obj) : {}))
  const used = new Set<string>()
  for (const [name, s] of Object.entries(services(doc))) {
    for (const v of Array.isArray(s.volumes) ? s.volumes : []) {
      const source = String(isObj(v) ? v.source : String(v).split(':')[0])
      if (/^[./~]/.test(source)) {
        const rel = source.replace(/^\.\//, '')
        if (!ctx.exists(rel)) problems.push(`compose: ${name} bind-mounts ${source}, which is not in the repository`)
      } else {
        used.add(source)
        if (!declared.has(source)) problems.push(`compose: ${name} uses volume ${source}, which is not declared under volumes:`)
      }
    }
  }
  for (const v of declared) if (!used.has(v)) problems.push(`compose: volume ${v} is declared but unused`)
  return problems
}

/** Secrets must be obvious placeholders; the app runs read-only and drains before SIGKILL. */
function hardeningProblems(doc: unknown, ctx: ComposeContext): string[] {
  const problems: string[] = []
  for (const [name, s] of Object.entries(services(doc))) {
    for (const [k, v] of Object.entries(environment(s))) {
      const secret = /PASSWORD|SECRET|_KEY|_KEYS/.test(k) ? v : /_URL$/.test(k) && /:\/\/[^/]*:([^@]*)@/.exec(v)?.[1]
      if (secret && !/change-me/i.test(secret)) problems.push(`compose: ${name} ${k} must be a change-me placeholder`)
    }
  }
  for (const name of appServices(doc)) {
    const s = services(doc)[name]!
    if (s.read_only !== true) problems.push(`compose: ${name} must run with read_only: true`)
    if (!(Array.isArray(s.tmpfs) && s.tmpfs.includes('/tmp'))) problems.push(`compose: ${name} needs a tmpfs at /tmp`)
  }
  const app = services(doc)[APP_SERVICE]
  if (app) {
    const raw = environment(app).SHUTDOWN_TIMEOUT_MS
    const ms = configField('SHUTDOWN_TIMEOUT_MS').parse(raw || undefined) as number
    if (seconds(app.stop_grace_period) < ms / 1000 + 2) problems.push(`compose: ${APP_SERVICE} stop_grace_period must exceed SHUTDOWN_TIMEOUT_MS (${ms} ms) by 2 s`)
  }
  return problems
}

export function composeProblems(doc: unknown, ctx: ComposeContext & { dockerHealthcheck: boolean }): string[] {
  return [
    ...serviceSetProblems(doc),
    ...orderProblems(doc, ctx.dockerHealthcheck),
    ...wiringProblems(doc),
    ...envProblems(doc, ctx),
    ...portProblems(doc, ctx),
    ...volumeProblems(doc, ctx),
    ...hardeningProblems(doc, ctx),
  ]
}
