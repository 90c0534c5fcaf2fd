/** /v2/memories/by-key/:key — read, upsert and delete a tool's entry by its key. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../errors/app-error.js'
import { etag, toWire } from './codec.js'
import {
  ConditionalHeadersSchema, KeyParamsSchema, KeyedMemoryInputSchema, MemoryEntryWireSchema, ProblemSchema,
} from './v2.schemas.js'
import { expectedVersion, type V2Options } from './v2-options.js'

const tags = ['memories by key']
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 412: ProblemSchema, 413: ProblemSchema }

export const byKeyRoutes: FastifyPluginAsyncZod<V2Options> = async (app, { manager, onWrite }) => {
  app.get('/memories/by-key/:key', {
    schema: { tags, summary: 'Read the caller\'s memory with this key', params: KeyParamsSchema, response: { 200: MemoryEntryWireSchema, ...errors } },
  }, async (request, reply) => {
    const entry = await manager.getByKey(request.caller, request.params.key)
    void reply.header('etag', etag(entry))
    return toWire(entry)
  })

  app.put('/memories/by-key/:key', {
    schema: {
      tags, summary: 'Upsert by key (201 created, 200 replaced; If-Match → 412; If-None-Match: * → create only)',
      params: KeyParamsSchema, headers: ConditionalHeadersSchema, body: KeyedMemoryInputSchema,
      response: { 200: MemoryEntryWireSchema, 201: MemoryEntryWireSchema, 409: ProblemSchema, 422: ProblemSchema, ...errors },
    },
  }, async (request, reply) => {
    const { caller, params, body, headers } = request
    let expect = expectedVersion(headers['if-match'])
    if (headers['if-none-match'] !== undefined) {
      if (headers['if-none-match'].trim() !== '*') throw new AppError('validation_failed', 'only If-None-Match: * is supported on PUT')
      if (expect !== undefined) throw new AppError('validation_failed', 'send If-Match or If-None-Match, not both')
      expect = 0
    }
    if (expect === 'any') {
      // "must exist": pin the current version so the replace cannot turn into a create.
      const current = await manager.getByKey(caller, params.key).catch(() => null)
      if (!current) throw new AppError('version_conflict', 'If-Match: * but no entry has this key', { extensions: { currentVersion: null } })
      expect = current.version
    }
    const { entry, created } = await manager.putByKey(caller, params.key, body, expect)
    onWrite(entry)
    void reply.code(created ? 201 : 200).header('etag', etag(entry))
    if (created) void reply.header('location', `/v2/memories/${entry.id}`)
    return toWire(entry)
  })

  app.delete('/memories/by-key/:key', {
    schema: {
      tags, summary: 'Delete the caller\'s memory with this key',
      params: KeyParamsSchema, headers: ConditionalHeadersSchema, response: { 204: z.void(), ...errors },
    },
  }, async (request, reply) => {
    const expect = expectedVersion(request.headers['if-match'])
    try {
      await manager.deleteByKey(request.caller, request.params.key, expect === 'any' ? undefined : expect)
    } catch (err) {
      // If-Match: * means "only if it exists": absence is a failed precondition, not a 404.
      if (expect === 'any' && err instanceof AppError && err.code === 'not_found') {
        throw new AppError('version_conflict', 'If-Match: * but no entry has this key', { extensions: { currentVersion: null } })
      }
      throw err
    }
    return reply.code(204).send()
  })
}
