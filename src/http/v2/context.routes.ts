/** POST /v2/context: the best readable entries within a token budget (context-service.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { AppError } from '../../errors/app-error.js'
import type { ContextService } from '../../domain/context/context-service.js'
import { toWire } from './codec.js'
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
    const b = request.body
    // Presets are all above 0, so only three explicit zeros leave nothing to score by.
    const weights = Object.values(b.weights ?? {}).filter((w) => w !== undefined)
    if (weights.length === 3 && weights.every((w) => w === 0)) {
      throw new AppError('validation_failed', 'at least one weight must be above 0', {
        errors: [{ pointer: '/body/weights', message: 'all weights are 0' }],
      })
    }
    const answer = await context.pack(request.caller, {
      query: b.query, tools: b.tools, types: b.types, tags: b.tags, maxTokens: b.maxTokens,
      strategy: b.strategy, weights: b.weights, halfLifeHours: b.halfLifeHours,
    })
    onPacked?.(answer.omittedCount > 0)
    return { ...answer, items: answer.items.map((i) => ({ entry: toWire(i.entry), score: i.score, tokens: i.tokens })) }
  })
}
