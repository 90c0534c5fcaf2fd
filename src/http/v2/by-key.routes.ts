/** /v2/memories/by-key/:key — read, upsert and delete a tool's entry by its key. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { identityTag, toWire, toWrittenWire, writePrecondition } from './codec.js'
import {
  WrittenEntrySchema,
  ConditionalHeadersSchema, KeyParamsSchema, KeyedMemoryInputSchema, MemoryEntryWireSchema, ProblemSchema,
} from './v2.schemas.js'
import type { V2Options } from './v2-options.js'

const tags = ['memories by key']
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 412: ProblemSchema, 413: ProblemSchema }

export const byKeyRoutes: FastifyPluginAsyncZod<V2Options> = async (app, { manager }) => {
  app.get('/memories/by-key/:key', {
    schema: { tags, summary: 'Read the caller\'s memory with this key', params: KeyParamsSchema, response: { 200: MemoryEntryWireSchema, ...errors } },
  }, async (request, reply) => {
    const entry = await manager.getByKey(request.caller, request.params.key)
    void reply.header('etag', identityTag(entry))
    return toWire(entry)
  })

  app.put('/memories/by-key/:key', {
    schema: {
      tags, summary: 'Upsert by key (201 created, 200 replaced). ETags here are "<id>.<version>"; If-Match → 412; If-None-Match: * → create only',
      params: KeyParamsSchema, headers: ConditionalHeadersSchema, body: KeyedMemoryInputSchema,
      response: { 200: WrittenEntrySchema, 201: WrittenEntrySchema, 409: ProblemSchema, 422: ProblemSchema, ...errors },
    },
  }, async (request, reply) => {
    const { caller, params, body, headers } = request
    const pre = writePrecondition(headers['if-match'], headers['if-none-match'])
    const outcome = await manager.putByKey(caller, params.key, body, pre)
    const { entry, created } = outcome
    void reply.code(created ? 201 : 200).header('etag', identityTag(entry))
    if (created) void reply.header('location', `/v2/memories/${entry.id}`)
    return toWrittenWire(outcome)
  })

  app.delete('/memories/by-key/:key', {
    schema: {
      tags, summary: 'Delete the caller\'s memory with this key',
      params: KeyParamsSchema, headers: ConditionalHeadersSchema, response: { 204: z.void(), ...errors },
    },
  }, async (request, reply) => {
    await manager.deleteByKey(request.caller, request.params.key, writePrecondition(request.headers['if-match']))
    return reply.code(204).send()
  })
}
