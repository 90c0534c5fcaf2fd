/**
 * The committed OpenAPI documents (`openapi/v2.json`, `openapi/v1.json`) are generated from the
 * running route schemas; `npm run openapi` rewrites them and a test fails when code and file differ.
 */
import type { FastifyInstance } from 'fastify'

/** The /v2 document: /v2 paths plus the operational endpoints, with stable key order. */
export function v2OpenApiDocument(server: FastifyInstance): Promise<Record<string, unknown>> {
  return documentOf(server, (path) => path.startsWith('/v2/') || path === '/healthz' || path === '/readyz')
}

/** The /v1 document (`openapi/v1.json`): the frozen legacy routes. */
export function v1OpenApiDocument(server: FastifyInstance): Promise<Record<string, unknown>> {
  return documentOf(server, (path) => path.startsWith('/v1/'))
}

async function documentOf(server: FastifyInstance, keep: (path: string) => boolean): Promise<Record<string, unknown>> {
  await server.ready()
  const doc = server.swagger() as { paths?: Record<string, unknown> } & Record<string, unknown>
  const paths = Object.fromEntries(Object.entries(doc.paths ?? {}).filter(([path]) => keep(path)))
  const components = doc.components as { schemas?: Record<string, unknown> } | undefined
  const schemas = components?.schemas ? referencedSchemas(paths, components.schemas) : undefined
  return sortKeys({ ...doc, paths, ...(components ? { components: { ...components, schemas } } : {}) }) as Record<string, unknown>
}

/** The named schemas `root` refers to, directly or through each other (a document lists only its own). */
function referencedSchemas(root: unknown, all: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {}
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit)
    if (!value || typeof value !== 'object') return
    for (const [k, v] of Object.entries(value)) {
      const name = k === '$ref' && typeof v === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(v)?.[1] : undefined
      if (name !== undefined && !(name in kept) && name in all) {
        kept[name] = all[name]
        visit(all[name])
      } else {
        visit(v)
      }
    }
  }
  visit(root)
  return kept
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]))
  }
  return value
}
