/** The /v2 API: authentication for every route, then the route groups. */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Authenticator } from '../plugins/authenticate.js'
import type { ContextService } from '../../domain/context/context-service.js'
import { batchRoutes } from './batch.routes.js'
import { contextRoutes } from './context.routes.js'
import { byKeyRoutes } from './by-key.routes.js'
import { memoriesRoutes } from './memories.routes.js'
import { queryRoutes } from './query.routes.js'
import type { V2Options } from './v2-options.js'

export interface V2PluginOptions extends V2Options {
  /** Set by `register`; must not reach the nested route plugins (it would prefix twice). */
  prefix?: string
  authenticate: Authenticator
  onBatchResult: (ok: boolean) => void
  context: ContextService
  onPacked?: (truncated: boolean) => void
}

export const v2Api: FastifyPluginAsync<V2PluginOptions> = async (parent, { prefix: _prefix, context, onPacked, ...options }) => {
  const app = parent.withTypeProvider<ZodTypeProvider>()
  app.decorateRequest('caller', undefined as never)
  // Runs before the body is read, so unauthenticated callers cannot make us parse 2 MiB.
  app.addHook('onRequest', async (request) => {
    request.caller = options.authenticate(request)
  })
  // Only JSON bodies: a text/plain body is 415, not a string handed to the schema.
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))
  await app.register(memoriesRoutes, options)
  await app.register(byKeyRoutes, options)
  await app.register(queryRoutes, options)
  await app.register(batchRoutes, options)
  await app.register(contextRoutes, { context, onPacked })
}
