/**
 * Checks across objects: env names and values against the app's config schema, Services and PDBs
 * against pod labels, the HPA against its Deployment, the live-reload traffic file mount, and
 * what the two color overlays share.
 */
import { configField } from '../../../src/config/config.schema.js'
import { parseTrafficFile, resolveTrafficSettings, trafficValuesFromConfig } from '../../../src/traffic/traffic-config.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { configProblems, unknownEnvNames } from './app-env.js'
import { kindName } from './k8s-render.js'
import { podTemplates, type PodTemplate } from './k8s-policy.js'
import { at, isObj, objs, strMap, type Obj } from './yaml-docs.js'

const byKind = (objects: readonly Obj[], kind: string) => objects.filter((o) => o.kind === kind)
const nameOf = (o: Obj) => String(at(o, 'metadata', 'name'))
const find = (objects: readonly Obj[], kind: string, name: unknown) => byKind(objects, kind).find((o) => nameOf(o) === name)

/** Every name a container sets (env, and the data keys of envFrom ConfigMaps) is known to the app. */
export function envNameProblems(objects: readonly Obj[]): string[] {
  return podTemplates(objects).flatMap((t) =>
    [...objs(t.spec.initContainers), ...objs(t.spec.containers)].flatMap((c) => {
      const where = `${t.where} container ${String(c.name)}`
      const problems = unknownEnvNames(objs(c.env).map((e) => String(e.name)), where)
      for (const from of objs(c.envFrom)) {
        if (from.prefix) problems.push(`${where}: envFrom prefix ${String(from.prefix)} would rename the variables`)
        const ref = isObj(from.configMapRef) ? from.configMapRef : isObj(from.secretRef) ? from.secretRef : {}
        const kind = isObj(from.configMapRef) ? 'ConfigMap' : 'Secret'
        const source = find(objects, kind, ref.name)
        if (!source) problems.push(`${where}: envFrom ${kind} ${String(ref.name)} is not among the objects, so its names cannot be checked`)
        else problems.push(...unknownEnvNames(Object.keys({ ...strMap(source.data), ...strMap(source.stringData) }), `${where} via ${kindName(source)}`))
      }
      return problems
    }),
  )
}

/**
 * The environment a container starts with: the image's ENV, then envFrom, then env (later wins,
 * as in Kubernetes), with secretKeyRef values read from `secrets` (the template's placeholders).
 */
export function containerEnv(c: Obj, objects: readonly Obj[], secrets: readonly Obj[], imageEnv: Record<string, string>): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = { ...imageEnv }
  const problems: string[] = []
  const data = (o: Obj) => ({ ...strMap(o.data), ...strMap(o.stringData) })
  for (const from of objs(c.envFrom)) {
    const ref = isObj(from.configMapRef) ? from.configMapRef : from.secretRef
    const source = isObj(from.configMapRef) ? find(objects, 'ConfigMap', at(ref, 'name')) : find(secrets, 'Secret', at(ref, 'name'))
    if (source) Object.assign(env, data(source))
  }
  for (const e of objs(c.env)) {
    const name = String(e.name)
    if (e.value !== undefined) env[name] = String(e.value)
    const cm = at(e, 'valueFrom', 'configMapKeyRef')
    const sk = at(e, 'valueFrom', 'secretKeyRef')
    const ref = isObj(cm) ? cm : isObj(sk) ? sk : undefined
    if (!ref) continue
    const source = isObj(cm) ? find(objects, 'ConfigMap', ref.name) : find(secrets, 'Secret', ref.name)
    const value = source ? data(source)[String(ref.key)] : undefined
    if (value !== undefined) env[name] = value
    else if (ref.optional !== true) problems.push(`${String(c.name)}: ${name} refers to ${String(ref.name)}/${String(ref.key)}, which does not exist`)
  }
  return { env, problems }
}

/** Every container's resolved environment passes the app's ConfigSchema. */
export function envValueProblems(objects: readonly Obj[], secrets: readonly Obj[], imageEnv: Record<string, string>): string[] {
  return podTemplates(objects).flatMap((t) =>
    objs(t.spec.containers).flatMap((c) => {
      const { env, problems } = containerEnv(c, objects, secrets, imageEnv)
      const http = objs(c.ports).find((p) => p.name === 'http')?.containerPort
      const port = env.PORT ?? String(configField('PORT').parse(undefined))
      if (t.serving && String(http) !== port) problems.push(`${String(c.name)}: PORT ${port} is not the http containerPort ${String(http)}`)
      return [...problems.map((p) => `${t.where}: ${p}`), ...configProblems(env, `${t.where} container ${String(c.name)}`)]
    }),
  )
}

/** The container's effective SHUTDOWN_TIMEOUT_MS, for the grace-period rule. */
export function shutdownMsOf(objects: readonly Obj[], secrets: readonly Obj[], imageEnv: Record<string, string>) {
  return (_t: PodTemplate, c: Obj): number => {
    const raw = containerEnv(c, objects, secrets, imageEnv).env.SHUTDOWN_TIMEOUT_MS
    return configField('SHUTDOWN_TIMEOUT_MS').parse(raw === '' ? undefined : raw) as number
  }
}

export const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)

/**
 * Each Service selects the pods of at least one serving workload in `pool` (the objects of both
 * colors) and its named targetPort exists there; no Job pod is ever an endpoint.
 */
export function serviceProblems(objects: readonly Obj[], pool: readonly Obj[]): string[] {
  const templates = podTemplates(pool)
  return byKind(objects, 'Service').flatMap((s) => {
    const selector = strMap(at(s, 'spec', 'selector'))
    const hit = templates.filter((t) => selects(selector, t.labels))
    const where = kindName(s)
    const problems: string[] = []
    if (!hit.some((t) => t.serving)) problems.push(`${where}: selector ${JSON.stringify(selector)} matches no Deployment's pods`)
    for (const t of hit.filter((x) => !x.serving)) problems.push(`${where}: selector also matches ${t.where}'s pods`)
    for (const port of objs(at(s, 'spec', 'ports'))) {
      const target = port.targetPort
      const ok = hit.filter((t) => t.serving).every((t) => objs(t.spec.containers).some((c) => objs(c.ports).some((p) => p.name === target || p.containerPort === target)))
      if (!ok) problems.push(`${where}: targetPort ${String(target)} is not a port of the selected containers`)
    }
    return problems
  })
}

/** Each HPA scales a Deployment in the same objects; each Deployment's selector matches its pods. */
export function hpaProblems(objects: readonly Obj[]): string[] {
  const problems = byKind(objects, 'HorizontalPodAutoscaler').flatMap((h) => {
    const ref = at(h, 'spec', 'scaleTargetRef')
    const target = find(objects, String(at(ref, 'kind')), at(ref, 'name'))
    const out: string[] = []
    if (!target || at(ref, 'apiVersion') !== target.apiVersion) out.push(`${kindName(h)}: scaleTargetRef ${JSON.stringify(ref)} is not an object here`)
    if (target && at(target, 'spec', 'replicas') !== undefined) out.push(`${kindName(target)}: sets replicas, which every apply would reset under ${kindName(h)}`)
    if (!((at(h, 'spec', 'minReplicas') as number) >= 2)) out.push(`${kindName(h)}: minReplicas must be >= 2 (a PDB with one pod blocks every drain)`)
    return out
  })
  for (const d of byKind(objects, 'Deployment')) {
    if (!selects(strMap(at(d, 'spec', 'selector', 'matchLabels')), strMap(at(d, 'spec', 'template', 'metadata', 'labels')))) {
      problems.push(`${kindName(d)}: spec.selector does not match its pod template labels`)
    }
  }
  return problems
}

/** Each PDB selects the pods of exactly one Deployment here, and every Deployment has one. */
export function pdbProblems(objects: readonly Obj[]): string[] {
  const deployments = byKind(objects, 'Deployment')
  const pdbs = byKind(objects, 'PodDisruptionBudget')
  const podLabels = (d: Obj) => strMap(at(d, 'spec', 'template', 'metadata', 'labels'))
  const problems = pdbs.flatMap((p) => {
    const n = deployments.filter((d) => selects(strMap(at(p, 'spec', 'selector', 'matchLabels')), podLabels(d))).length
    return n === 1 ? [] : [`${kindName(p)}: selector matches ${n} Deployments' pods (must be exactly one)`]
  })
  for (const d of deployments) {
    if (!pdbs.some((p) => selects(strMap(at(p, 'spec', 'selector', 'matchLabels')), podLabels(d)))) problems.push(`${kindName(d)}: no PodDisruptionBudget`)
  }
  return problems
}

/**
 * TRAFFIC_CONFIG_FILE is a key of a ConfigMap mounted as a directory (a subPath mount never sees
 * updates), and the file, over the env, passes the app's own traffic rules.
 */
export function trafficFileProblems(objects: readonly Obj[], secrets: readonly Obj[], imageEnv: Record<string, string>): string[] {
  return podTemplates(objects).filter((t) => t.serving).flatMap((t) =>
    objs(t.spec.containers).flatMap((c) => {
      const where = `${t.where} container ${String(c.name)}`
      const { env } = containerEnv(c, objects, secrets, imageEnv)
      const file = env.TRAFFIC_CONFIG_FILE
      if (!file) return [`${where}: TRAFFIC_CONFIG_FILE is not set (traffic changes would need a restart)`]
      const mount = objs(c.volumeMounts).find((m) => m.mountPath === file || file.startsWith(String(m.mountPath).replace(/\/$/, '') + '/'))
      if (!mount) return [`${where}: TRAFFIC_CONFIG_FILE ${file} is on no volume mount`]
      if (mount.subPath !== undefined) return [`${where}: ${file} is mounted with subPath, which never receives ConfigMap updates`]
      const volume = objs(t.spec.volumes).find((v) => v.name === mount.name)
      const cm = find(objects, 'ConfigMap', at(volume, 'configMap', 'name'))
      const key = file.slice(String(mount.mountPath).replace(/\/$/, '').length + 1)
      const text = cm ? strMap(cm.data)[key] : undefined
      if (text === undefined) return [`${where}: ${file} is not a key of a ConfigMap mounted at ${String(mount.mountPath)}`]
      const parsed = parseTrafficFile(text, key)
      if (!parsed.ok) return parsed.errors.map((e) => `${where}: ${e}`)
      let base
      try {
        base = trafficValuesFromConfig(loadConfig(env))
      } catch {
        return [] // envValueProblems reports the environment itself
      }
      const resolved = resolveTrafficSettings({ ...base, ...parsed.values })
      return resolved.ok ? [] : resolved.errors.map((e) => `${where}: ${key}: ${e}`)
    }),
  )
}

/** Objects without a color label must render the same in both overlays, Service selectors aside. */
export function sharedObjectProblems(a: readonly Obj[], b: readonly Obj[]): string[] {
  const shared = (list: readonly Obj[]) =>
    new Map(list.filter((o) => !at(o, 'metadata', 'labels', 'color')).map((o) => {
      const copy = structuredClone(o)
      if (copy.kind === 'Service') delete (copy.spec as Obj).selector
      return [kindName(o), JSON.stringify(copy)]
    }))
  const [x, y] = [shared(a), shared(b)]
  const names = new Set([...x.keys(), ...y.keys()])
  return [...names].filter((n) => x.get(n) !== y.get(n)).map((n) => `${n}: differs between the overlays (or is missing from one)`)
}

/** PG_POOL_MAX x HPA maxReplicas x colors must fit Postgres' max_connections. */
export function connectionProblems(objects: readonly Obj[], colors: number, maxConnections: number): string[] {
  const cm = find(objects, 'ConfigMap', 'mcp-memory-env')
  const pool = Number(strMap(cm?.data).PG_POOL_MAX ?? configField('PG_POOL_MAX').parse(undefined))
  return byKind(objects, 'HorizontalPodAutoscaler').flatMap((h) => {
    const worst = pool * Number(at(h, 'spec', 'maxReplicas')) * colors
    return worst <= maxConnections ? [] : [`${kindName(h)}: PG_POOL_MAX ${pool} x maxReplicas x ${colors} colors = ${worst} > ${maxConnections} connections`]
  })
}
