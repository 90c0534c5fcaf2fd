/** /v2 read-only queries: by content hash, search, stats. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { toWire } from './codec.js'
import { HashParamsSchema, ItemsSchema, ProblemSchema, SearchBodySchema, SearchResultSchema, StatsSchema } from './v2.schemas.js'
import type { V2Options } from './v2-options.js'

const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema }

export const queryRoutes: FastifyPluginAsyncZod<V2Options> = async (app, { manager }) => {
  app.get('/memories/by-hash/:contentHash', {
    schema: {
      tags: ['memories'], summary: 'The caller\'s memories whose content has this hash',
      params: HashParamsSchema, response: { 200: ItemsSchema, ...errors },
    },
  }, async (request) => {
    const items = await manager.findByHash(request.caller, request.params.contentHash)
    return { items: items.map(toWire) }
  })

  app.post('/search', {
    schema: {
      tags: ['search'], summary: 'Ranked full-text or substring search over readable memories',
      body: SearchBodySchema, response: { 200: SearchResultSchema, ...errors },
    },
  }, async (request) => {
    const b = request.body
    const hits = await manager.search(request.caller, {
      query: b.query, mode: b.mode, limit: b.limit, tools: b.tools, types: b.types, tags: b.tags, visibility: b.visibility,
    })
    return { items: hits.map((h) => ({ entry: toWire(h.entry), score: h.score })) }
  })

  app.get('/stats', {
    schema: { tags: ['stats'], summary: 'Entry and token counts of the tools the caller may read', response: { 200: StatsSchema, ...errors } },
  }, async (request) => manager.stats(request.caller))
}
