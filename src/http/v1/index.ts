/**
 * /v1: the knowledge-graph API of the reference MCP memory server, served by the graph adapter over
 * v2 entries (design §5). Frozen: no new features here. Every response carries the deprecation
 * headers — `Deprecation` (RFC 9745), `Sunset` (RFC 8594, V1_SUNSET) and a `Link` to the migration
 * guide — and every request counts in `mcp_memory_deprecated_requests_total{route}`.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { KnowledgeGraphService } from '../../domain/graph/knowledge-graph.js'
import type { Authenticator } from '../plugins/authenticate.js'
import { graphRoutes } from './graph.routes.js'

/** When /v1 was deprecated (the release that made /v2 the primary API). */
export const V1_DEPRECATED_AT = new Date('2026-11-01T00:00:00Z')
export const MIGRATION_GUIDE = 'https://github.com/mcp-memory/mcp-memory/blob/main/docs/migrating-from-v1.md'

export interface V1PluginOptions {
  prefix?: string
  graph: KnowledgeGraphService
  authenticate: Authenticator
  /** V1_SUNSET as a date (YYYY-MM-DD). */
  sunset: string
  onDeprecatedRequest: (route: string) => void
}

export const v1Api: FastifyPluginAsync<V1PluginOptions> = async (parent, { prefix: _prefix, ...options }) => {
  const app = parent.withTypeProvider<ZodTypeProvider>()
  const deprecation = `@${Math.floor(V1_DEPRECATED_AT.getTime() / 1000)}`
  const sunset = new Date(`${options.sunset}T00:00:00Z`).toUTCString()
  const link = `<${MIGRATION_GUIDE}>; rel="deprecation"; type="text/markdown"`
  app.decorateRequest('caller', undefined as never)
  app.addHook('onRequest', async (request, reply) => {
    // Headers first, so that errors (401, 400) carry them too.
    void reply.header('deprecation', deprecation).header('sunset', sunset).header('link', link)
    options.onDeprecatedRequest(request.routeOptions.url ?? 'unmatched')
    request.caller = options.authenticate(request)
  })
  app.removeContentTypeParser('text/plain')
  await app.register(graphRoutes, { graph: options.graph })
}
