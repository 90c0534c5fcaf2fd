/** /v2/memories: create, list, and read/replace/patch/delete by id (design §5). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ifNoneMatchHits, toWire, toWrittenWire, versionTag, writePrecondition } from './codec.js'
import { withIdempotency } from './idempotency.js'
import {
  ConditionalHeadersSchema, IdParamsSchema, IdempotencyHeadersSchema, ListQuerySchema, MemoryEntryWireSchema,
  MemoryInputSchema, PageSchema, PatchSchema, ProblemSchema, WrittenEntrySchema,
} from './v2.schemas.js'
import type { V2Options } from './v2-options.js'

const tags = ['memories']
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 412: ProblemSchema, 413: ProblemSchema }

export const memoriesRoutes: FastifyPluginAsyncZod<V2Options> = async (app, { manager, idempotencyTtlMs }) => {
  app.post('/memories', {
    schema: {
      tags, summary: 'Create a memory (deduplicated on type + content for keyless entries)',
      headers: IdempotencyHeadersSchema, body: MemoryInputSchema,
      response: { 200: WrittenEntrySchema, 201: WrittenEntrySchema, 409: ProblemSchema, 422: ProblemSchema, ...errors },
    },
  }, async (request, reply) =>
    withIdempotency(manager.store, request, reply, idempotencyTtlMs, async () => {
      const outcome = await manager.create(request.caller, request.body)
      const { entry, created } = outcome
      const headers: Record<string, string> = { location: `/v2/memories/${entry.id}`, etag: versionTag(entry) }
      if (!created) headers['memory-deduplicated'] = 'true'
      return { status: created ? 201 : 200, headers, body: toWrittenWire(outcome) }
    }))

  app.get('/memories', {
    schema: {
      tags, summary: 'List readable memories, newest first, with keyset pagination',
      querystring: ListQuerySchema, response: { 200: PageSchema, ...errors },
    },
  }, async (request) => {
    const q = request.query
    const page = await manager.list(request.caller, {
      tools: q.tool, types: q.type, tags: q.tag, key: q.key, visibility: q.visibility,
    }, q.cursor ?? null, q.limit)
    return { items: page.items.map(toWire), nextCursor: page.nextCursor }
  })

  app.get('/memories/:id', {
    schema: {
      tags, summary: 'Read a memory (ETag; If-None-Match → 304)',
      params: IdParamsSchema, headers: ConditionalHeadersSchema,
      response: { 200: MemoryEntryWireSchema, 304: z.void().describe('Not modified'), ...errors },
    },
  }, async (request, reply) => {
    const entry = await manager.get(request.caller, request.params.id)
    void reply.header('etag', versionTag(entry))
    if (ifNoneMatchHits(request.headers['if-none-match'], entry)) return reply.code(304).send()
    return toWire(entry)
  })

  app.put('/memories/:id', {
    schema: {
      tags, summary: 'Replace a memory (If-Match → 412 on mismatch)',
      params: IdParamsSchema, headers: ConditionalHeadersSchema, body: MemoryInputSchema,
      response: { 200: WrittenEntrySchema, 409: ProblemSchema, 422: ProblemSchema, ...errors },
    },
  }, async (request, reply) => {
    const pre = writePrecondition(request.headers['if-match'])
    const outcome = await manager.replace(request.caller, request.params.id, request.body, pre)
    void reply.header('etag', versionTag(outcome.entry))
    return toWrittenWire(outcome)
  })

  app.patch('/memories/:id', {
    schema: {
      tags, summary: 'Update a memory with a JSON merge patch (RFC 7396; If-Match → 412)',
      params: IdParamsSchema, headers: ConditionalHeadersSchema,
      body: PatchSchema.describe('JSON merge patch of the writable fields'),
      response: { 200: WrittenEntrySchema, 409: ProblemSchema, 422: ProblemSchema, ...errors },
    },
  }, async (request, reply) => {
    const pre = writePrecondition(request.headers['if-match'])
    const outcome = await manager.patch(request.caller, request.params.id, request.body, pre)
    void reply.header('etag', versionTag(outcome.entry))
    return toWrittenWire(outcome)
  })

  app.delete('/memories/:id', {
    schema: {
      tags, summary: 'Delete a memory (If-Match → 412)',
      params: IdParamsSchema, headers: ConditionalHeadersSchema,
      response: { 204: z.void().describe('Deleted'), ...errors },
    },
  }, async (request, reply) => {
    await manager.delete(request.caller, request.params.id, writePrecondition(request.headers['if-match']))
    return reply.code(204).send()
  })
}
