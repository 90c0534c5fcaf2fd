/**
 * POST /v2/memories/batch: up to 100 operations run in order; each gets its own status and entry
 * or problem, so one failure does not hide the others' results. Not a transaction.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Caller } from '../../domain/memory/caller.js'
import type { MemoryManager } from '../../domain/memory/memory-manager.js'
import { toAppError, toProblem } from '../../errors/to-http.js'
import { assertNever, toWire, writePrecondition } from './codec.js'
import { withIdempotency } from './idempotency.js'
import { BatchBodySchema, BatchResultSchema, IdempotencyHeadersSchema, ProblemSchema, type BatchOperation } from './v2.schemas.js'
import type { V2Options } from './v2-options.js'

type Result = { status: number; entry?: ReturnType<typeof toWire>; deduplicated?: boolean; problem?: ReturnType<typeof toProblem> }

export const batchRoutes: FastifyPluginAsyncZod<V2Options & { onBatchResult: (ok: boolean) => void }> = async (app, options) => {
  const { manager, idempotencyTtlMs, onBatchResult } = options
  app.post('/memories/batch', {
    schema: {
      tags: ['memories'], summary: 'Run several operations; per-operation results',
      headers: IdempotencyHeadersSchema, body: BatchBodySchema,
      response: { 200: BatchResultSchema, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 413: ProblemSchema },
    },
  }, async (request, reply) =>
    withIdempotency(manager.store, request, reply, idempotencyTtlMs, async () => {
      const results: Result[] = []
      for (const op of request.body.operations) {
        try {
          const result = await runOne(manager, request.caller, op)
          const evicted = 'evicted' in result && result.evicted && result.evicted.length > 0 ? { evicted: result.evicted } : {}
          results.push({ ...result, entry: result.entry ? { ...toWire(result.entry), ...evicted } : undefined })
          onBatchResult(true)
        } catch (err) {
          const error = toAppError(err)
          if (error.status >= 500) request.log.error({ err }, 'batch operation failed')
          results.push({ status: error.status, problem: toProblem(error) })
          onBatchResult(false)
        }
      }
      return { status: 200, headers: {}, body: { results } }
    }))
}

async function runOne(manager: MemoryManager, caller: Caller, op: BatchOperation) {
  switch (op.op) {
    case 'create': {
      const { entry, created, evicted } = await manager.create(caller, op.body)
      return created ? { status: 201, entry, evicted } : { status: 200, entry, deduplicated: true, evicted }
    }
    case 'get':
      return { status: 200, entry: await manager.get(caller, op.id) }
    case 'replace':
      return { status: 200, ...(await manager.replace(caller, op.id, op.body, writePrecondition(op.ifMatch))) }
    case 'patch':
      return { status: 200, ...(await manager.patch(caller, op.id, op.patch, writePrecondition(op.ifMatch))) }
    case 'delete':
      await manager.delete(caller, op.id, writePrecondition(op.ifMatch))
      return { status: 204 }
    default:
      return assertNever(op)
  }
}
