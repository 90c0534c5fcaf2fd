/** POST /v2/context: the best readable entries within a token budget (context-service.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { ContextService } from '../../domain/context/context-service.js'
import { toContextWire } from './codec.js'
import { ContextBodySchema, ContextResultSchema } from './tools.schemas.js'
import { ProblemSchema } from './v2.schemas.js'

export interface ContextRouteOptions {
  context: ContextService
  onPacked?: (truncated: boolean) => void
}

export const contextRoutes: FastifyPluginAsyncZod<ContextRouteOptions> = async (app, { context, onPacked }) => {
  app.post('/context', {
    schema: {
      tags: ['context'],
      summary: 'The best memories that fit in maxTokens: scored by relevance, importance and recency, packed by value per token',
      body: ContextBodySchema,
      response: { 200: ContextResultSchema, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
    },
  }, async (request) => {
    const answer = await context.pack(request.caller, request.body)
    onPacked?.(answer.omittedCount > 0)
    return toContextWire(answer)
  })
}
