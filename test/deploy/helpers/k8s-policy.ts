/**
 * Per-container policy the schema validators miss: the three probes with known field names only,
 * requests and limits, the restricted security context, the image and port of the Dockerfile,
 * and a termination grace period that covers preStop plus the app's drain. Each function returns
 * problems (empty = pass), each naming the object, the container and the rule.
 */
import { configField } from '../../../src/config/config.schema.js'
import { kindName } from './k8s-render.js'
import { at, isObj, objs, type Obj } from './yaml-docs.js'

export interface PodTemplate {
  owner: Obj
  where: string
  spec: Obj
  labels: Record<string, string>
  /** Long-running (Deployment, StatefulSet, DaemonSet): needs probes and a drain. */
  serving: boolean
}

const SERVING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'])

export function podTemplates(objects: readonly Obj[]): PodTemplate[] {
  return objects.flatMap((o): PodTemplate[] => {
    const template = o.kind === 'CronJob' ? at(o, 'spec', 'jobTemplate', 'spec', 'template') : o.kind === 'Pod' ? o : at(o, 'spec', 'template')
    const spec = at(template, 'spec')
    if (!isObj(spec)) return []
    const labels = (at(template, 'metadata', 'labels') ?? {}) as Record<string, string>
    return [{ owner: o, where: kindName(o), spec, labels, serving: SERVING.has(String(o.kind)) }]
  })
}

const containersOf = (spec: Obj) => [...objs(spec.initContainers), ...objs(spec.containers)]

/** Field names of the v1 Container, Probe and probe handlers (Kubernetes 1.32). */
const CONTAINER_FIELDS = new Set([
  'name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy',
  'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath',
  'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
])
export const PROBE_FIELDS = new Set([
  'exec', 'httpGet', 'tcpSocket', 'grpc', 'initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold',
  'failureThreshold', 'terminationGracePeriodSeconds',
])
const HANDLER_FIELDS: Record<string, Set<string>> = {
  exec: new Set(['command']),
  httpGet: new Set(['path', 'port', 'host', 'scheme', 'httpHeaders']),
  tcpSocket: new Set(['port', 'host']),
  grpc: new Set(['port', 'service']),
}
const PROBES = { startupProbe: '/healthz', readinessProbe: '/readyz', livenessProbe: '/healthz' } as const

function unknownKeys(v: unknown, allowed: Set<string>): string[] {
  return isObj(v) ? Object.keys(v).filter((k) => !allowed.has(k)) : []
}

function probeProblems(c: Obj, where: string): string[] {
  const problems: string[] = []
  const portNames = new Set(objs(c.ports).map((p) => p.name))
  const portNumbers = new Set(objs(c.ports).map((p) => p.containerPort))
  for (const [name, path] of Object.entries(PROBES)) {
    const probe = c[name]
    if (!isObj(probe)) {
      problems.push(`${where}: no ${name}`)
      continue
    }
    for (const k of unknownKeys(probe, PROBE_FIELDS)) problems.push(`${where}: ${name}: unknown field ${k}`)
    const handlers = Object.keys(HANDLER_FIELDS).filter((h) => h in probe)
    if (handlers.length !== 1) problems.push(`${where}: ${name}: needs exactly one of ${Object.keys(HANDLER_FIELDS).join(', ')}`)
    for (const h of handlers) for (const k of unknownKeys(probe[h], HANDLER_FIELDS[h]!)) problems.push(`${where}: ${name}.${h}: unknown field ${k}`)
    const get = probe.httpGet
    if (isObj(get)) {
      if (get.path !== path) problems.push(`${where}: ${name} should GET ${path} (got ${String(get.path)})`)
      if (!portNames.has(get.port) && !portNumbers.has(get.port)) problems.push(`${where}: ${name}: port ${String(get.port)} is not a container port`)
    }
  }
  return problems
}

/** Quantity → number (cpu cores or bytes). */
export function quantity(v: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(String(v))
  if (!m) return NaN
  const unit = { m: 1e-3, k: 1e3, Ki: 1024, M: 1e6, Mi: 1024 ** 2, G: 1e9, Gi: 1024 ** 3, T: 1e12, Ti: 1024 ** 4 }[m[2] ?? ''] ?? 1
  return Number(m[1]) * unit
}

function resourceProblems(c: Obj, where: string): string[] {
  const problems: string[] = []
  for (const resource of ['cpu', 'memory']) {
    const req = at(c, 'resources', 'requests', resource)
    const lim = at(c, 'resources', 'limits', resource)
    if (req === undefined) problems.push(`${where}: resources.requests.${resource} missing`)
    if (lim === undefined) problems.push(`${where}: resources.limits.${resource} missing`)
    if (req !== undefined && lim !== undefined && !(quantity(req) <= quantity(lim))) {
      problems.push(`${where}: resources.requests.${resource} (${String(req)}) exceeds or cannot be compared with the limit (${String(lim)})`)
    }
  }
  return problems
}

/** The restricted profile, container over pod; `uid` is the Dockerfile's USER. */
function securityProblems(c: Obj, pod: Obj, where: string, uid: number): string[] {
  const problems: string[] = []
  const sc = isObj(c.securityContext) ? c.securityContext : {}
  const psc = isObj(pod.securityContext) ? pod.securityContext : {}
  const eff = (k: string) => (k in sc ? sc[k] : psc[k])
  if (eff('runAsNonRoot') !== true) problems.push(`${where}: securityContext.runAsNonRoot must be true`)
  const user = eff('runAsUser')
  if (typeof user !== 'number' || user === 0) problems.push(`${where}: securityContext.runAsUser must be a non-zero uid`)
  else if (user !== uid) problems.push(`${where}: securityContext.runAsUser ${user} differs from the Dockerfile USER ${uid}`)
  if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: securityContext.readOnlyRootFilesystem must be true`)
  if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: securityContext.allowPrivilegeEscalation must be false`)
  const drop = at(sc, 'capabilities', 'drop')
  if (!Array.isArray(drop) || !drop.includes('ALL')) problems.push(`${where}: securityContext.capabilities.drop must include ALL`)
  if (at(sc, 'capabilities', 'add') !== undefined) problems.push(`${where}: securityContext.capabilities.add must be empty`)
  const seccomp = at(sc, 'seccompProfile', 'type') ?? at(psc, 'seccompProfile', 'type')
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where}: seccompProfile.type must be RuntimeDefault`)
  return problems
}

/** A read-only root needs a writable /tmp (an emptyDir) in every container. */
function tmpProblems(c: Obj, pod: Obj, where: string): string[] {
  const mount = objs(c.volumeMounts).find((m) => m.mountPath === '/tmp')
  const volume = objs(pod.volumes).find((v) => v.name === mount?.name)
  return mount && isObj(volume?.emptyDir) ? [] : [`${where}: /tmp must be an emptyDir mount (the root filesystem is read-only)`]
}

export interface ImageFacts {
  /** Repository name (the Dockerfile's image title). */
  name: string
  port: number
  uid: number
}

export function containerProblems(objects: readonly Obj[], image: ImageFacts): string[] {
  return podTemplates(objects).flatMap((t) =>
    containersOf(t.spec).flatMap((c) => {
      const where = `${t.where} container ${String(c.name)}`
      const problems = [
        ...unknownKeys(c, CONTAINER_FIELDS).map((k) => `${where}: unknown field ${k}`),
        ...resourceProblems(c, where),
        ...securityProblems(c, t.spec, where, image.uid),
        ...tmpProblems(c, t.spec, where),
      ]
      const repo = String(c.image ?? '').split('@')[0]!.split(':')[0]!.split('/').at(-1)
      if (repo !== image.name) problems.push(`${where}: image ${String(c.image)} is not ${image.name} (the Dockerfile's image)`)
      if (t.serving) {
        problems.push(...probeProblems(c, where))
        const http = objs(c.ports).find((p) => p.name === 'http')
        if (http?.containerPort !== image.port) problems.push(`${where}: port http must be ${image.port} (Dockerfile EXPOSE/PORT), got ${String(http?.containerPort)}`)
      }
      return problems
    }),
  )
}

/** Seconds a preStop hook waits: `sleep N` in an exec command, or the sleep action. */
export function preStopSeconds(c: Obj): number {
  const sleep = at(c, 'lifecycle', 'preStop', 'sleep', 'seconds')
  if (typeof sleep === 'number') return sleep
  const command = at(c, 'lifecycle', 'preStop', 'exec', 'command')
  const m = Array.isArray(command) ? /\bsleep\s+(\d+)/.exec(command.join(' ')) : null
  return m ? Number(m[1]) : 0
}

export const GRACE_MARGIN_SECONDS = 5

/**
 * terminationGracePeriodSeconds >= preStop + SHUTDOWN_TIMEOUT_MS + margin, for serving pods;
 * `shutdownMs(container)` is the container's effective SHUTDOWN_TIMEOUT_MS.
 */
export function graceProblems(objects: readonly Obj[], shutdownMs: (t: PodTemplate, c: Obj) => number | undefined): string[] {
  return podTemplates(objects).filter((t) => t.serving).flatMap((t) =>
    objs(t.spec.containers).flatMap((c) => {
      const where = `${t.where} container ${String(c.name)}`
      const pre = preStopSeconds(c)
      if (pre === 0) return [`${where}: needs a preStop sleep so endpoints drain before SIGTERM`]
      const ms = shutdownMs(t, c) ?? (configField('SHUTDOWN_TIMEOUT_MS').parse(undefined) as number)
      const grace = typeof t.spec.terminationGracePeriodSeconds === 'number' ? t.spec.terminationGracePeriodSeconds : 30
      const need = pre + Math.ceil(ms / 1000) + GRACE_MARGIN_SECONDS
      return grace >= need
        ? []
        : [`${where}: terminationGracePeriodSeconds ${grace} < preStop ${pre} s + SHUTDOWN_TIMEOUT_MS ${ms} ms + ${GRACE_MARGIN_SECONDS} s margin (${need})`]
    }),
  )
}
