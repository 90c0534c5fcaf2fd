/**
 * The tool registry (design §5): `GET /v2/tools`, `GET|PUT /v2/tools/:tool`.
 *
 * - Admins (MEMORY_ADMIN_KEY, a key with the `admin` scope, or anyone in local mode without an
 *   admin key) read and write every registration.
 * - Any other key reads its own tool's registration and those of the tools that granted it read
 *   access; anything else is 404, whether or not it exists. Only admins write (403).
 * `PUT` creates or replaces the registration; `If-Match: "<version>"` makes it conditional (412).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../../errors/app-error.js'
import type { Caller } from '../../domain/memory/caller.js'
import type { ToolRecord } from '../../domain/tools/tool-record.js'
import type { ToolRegistry } from '../../domain/tools/tool-registry.js'
import type { Authenticator } from '../plugins/authenticate.js'
import { ToolListSchema, ToolParamsSchema, ToolSettingsSchema, ToolWireSchema, toolToWire } from './tools.schemas.js'
import { ConditionalHeadersSchema, ProblemSchema } from './v2.schemas.js'

export interface ToolRouteOptions {
  registry: ToolRegistry
  authenticate: Authenticator
  /** Throws unless the request carries admin credentials (createAdminGuard). */
  authorizeAdmin: (request: FastifyRequest) => void
}

const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema }

export const toolRoutes: FastifyPluginAsyncZod<ToolRouteOptions> = async (app, { registry, authenticate, authorizeAdmin }) => {
  /** null for an admin; otherwise the authenticated caller (401 for bad credentials). */
  const identify = (request: FastifyRequest): Caller | null => {
    try {
      authorizeAdmin(request)
      return null
    } catch {
      return authenticate(request)
    }
  }
  // Credentials are checked before the body is read (as on the rest of /v2), and only JSON bodies are taken (415).
  const callers = new WeakMap<FastifyRequest, Caller | null>()
  app.addHook('onRequest', async (request) => {
    callers.set(request, identify(request))
  })
  app.removeContentTypeParser('text/plain')
  const callerOf = (request: FastifyRequest): Caller | null => callers.get(request) ?? identify(request)
  const visible = (caller: Caller | null, record: ToolRecord) =>
    caller === null || record.tool === caller.tool || record.readers.includes(caller.tool)

  app.get('/tools', {
    schema: { tags: ['tools'], summary: 'Registrations the caller may see (admins: all)', response: { 200: ToolListSchema, ...errors } },
  }, async (request) => {
    const caller = callerOf(request)
    const records = await registry.list()
    return { items: records.filter((record) => visible(caller, record)).map(toolToWire) }
  })

  app.get('/tools/:tool', {
    schema: {
      tags: ['tools'], summary: 'One registration (admins, the tool itself, or a tool it grants read access)',
      params: ToolParamsSchema, response: { 200: ToolWireSchema, ...errors },
    },
  }, async (request, reply) => {
    const caller = callerOf(request)
    const record = await registry.read(request.params.tool)
    if (!record || !visible(caller, record)) throw new AppError('not_found', `no registration for tool ${request.params.tool}`)
    void reply.header('etag', `"${record.version}"`)
    return toolToWire(record)
  })

  app.put('/tools/:tool', {
    schema: {
      tags: ['tools'], summary: 'Create or replace a registration: budget, policy, eviction order, default TTL, readers (admin; If-Match → 412)',
      params: ToolParamsSchema, headers: ConditionalHeadersSchema, body: ToolSettingsSchema,
      response: { 200: ToolWireSchema, 412: ProblemSchema, 415: ProblemSchema, ...errors },
    },
  }, async (request, reply) => {
    if (callerOf(request) !== null) throw new AppError('forbidden', 'changing a registration needs the admin key or a key with the admin scope')
    const record = await registry.put(request.params.tool, request.body, expectation(request.headers['if-match']))
    void reply.header('etag', `"${record.version}"`)
    return toolToWire(record)
  })
}

/** `If-Match: "<n>"`: the registration must be at version n, else 412. */
function expectation(ifMatch: string | undefined): { expectVersion?: number } {
  if (ifMatch === undefined) return {}
  const match = /^\s*"(\d{1,9})"\s*$/.exec(ifMatch)
  if (!match) throw new AppError('validation_failed', 'If-Match must be a version tag like "3"', {
    errors: [{ pointer: '/headers/if-match', message: 'must be "<version>"' }],
  })
  return { expectVersion: Number(match[1]) }
}
