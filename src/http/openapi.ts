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
  return sortKeys({ ...doc, paths }) as Record<string, unknown>
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]))
  }
  return value
}
