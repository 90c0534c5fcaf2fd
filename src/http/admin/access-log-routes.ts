/**
 * `GET /admin/access-log` (admin key): the cross-tool access log, newest first — which tool read
 * which other tool's entry, when and how (get, list, search, context). Filters `reader`, `owner`;
 * pages with `before` (the `seq` of the last row seen). The store keeps the newest
 * ACCESS_LOG_MAX_ROWS rows; reads reach it in batches every ACCESS_FLUSH_SECONDS.
 */
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { CrossToolReadLog } from '../../domain/tools/cross-tool-reads.js'
import type { MemoryStore } from '../../storage/memory-store.js'
import { ProblemSchema, ToolNameSchema } from '../v2/v2.schemas.js'

export interface AccessLogOptions {
  store: MemoryStore
  log: CrossToolReadLog
  authorize: (request: FastifyRequest) => void
}

const QuerySchema = z.strictObject({
  reader: ToolNameSchema.optional(),
  owner: ToolNameSchema.optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

const ResultSchema = z.object({
  items: z.array(z.object({ seq: z.number().int(), reader: z.string(), owner: z.string(), id: z.string(), via: z.string(), at: z.string() })),
  nextBefore: z.number().int().nullable(),
})

export const accessLogRoutes: FastifyPluginAsyncZod<AccessLogOptions> = async (app, { store, log, authorize }) => {
  app.get('/admin/access-log', {
    schema: {
      tags: ['operations'], summary: 'Cross-tool reads, newest first (admin)', querystring: QuerySchema,
      response: { 200: ResultSchema, 400: ProblemSchema, 401: ProblemSchema },
    },
    onRequest: async (request) => authorize(request),
  }, async (request, reply) => {
    const q = request.query
    // What this replica noted is written first, so an admin sees reads that just happened here.
    await log.flush()
    const rows = await store.readAccessLog({ reader: q.reader, owner: q.owner, beforeSeq: q.before, limit: q.limit })
    void reply.header('cache-control', 'no-store')
    return {
      items: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
      nextBefore: rows.length === q.limit ? rows[rows.length - 1]!.seq : null,
    }
  })
}
