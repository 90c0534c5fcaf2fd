/**
 * Rendering the kustomizations with kubectl's built-in kustomize, and schema validation of each
 * object with kubernetes-models (generated from the Kubernetes OpenAPI; the Prometheus Operator
 * CRDs from @kubernetes-models/prometheus-operator). Such validators check types and required
 * fields but accept unknown (misspelt) ones: the policy checks in k8s-policy.ts cover those.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { isObj, parseYamlDocs, type Obj } from './yaml-docs.js'

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl'

/**
 * `kubectl kustomize DIR` as objects. No kubectl is a failure, not a skip: the manifests would go
 * unchecked on that machine.
 */
export function kustomize(dir: string): Obj[] {
  const bin = existsSync(KUBECTL) ? KUBECTL : 'kubectl'
  let out: string
  try {
    out = execFileSync(bin, ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 })
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') {
      throw new Error(`kubectl not found (looked for ${KUBECTL} and on PATH): install it (Debian: apt-get install kubernetes-client) or set KUBECTL`)
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr?.trim() || e.message}`)
  }
  return parseYamlDocs(out, `kubectl kustomize ${dir}`).filter(isObj)
}

export const kindName = (o: Obj): string => `${String(o.kind)}/${String((o.metadata as Obj | undefined)?.name)}`

interface Validatable {
  validate(): void
}
type ModelClass = new (data: unknown) => Validatable

/** The model class for an object's apiVersion/kind, or null when no package defines it. */
async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | null> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
  const specifier = group === 'monitoring.coreos.com'
    ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
    : `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`
  try {
    const mod = (await import(specifier)) as Record<string, unknown>
    return (mod[kind] as ModelClass | undefined) ?? null
  } catch {
    return null
  }
}

/** Schema problems of one object (an unknown apiVersion/kind is one too). */
export async function schemaProblems(o: Obj, where: string): Promise<string[]> {
  const { apiVersion, kind } = o
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [`${where}: not a Kubernetes object (apiVersion/kind missing)`]
  const Model = await modelFor(apiVersion, kind)
  if (!Model) return [`${where}: ${kindName(o)}: no schema for ${apiVersion} ${kind}`]
  try {
    new Model(o).validate()
    return []
  } catch (err) {
    return [`${where}: ${kindName(o)}: ${(err as Error).message}`]
  }
}
