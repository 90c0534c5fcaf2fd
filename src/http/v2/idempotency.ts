/**
 * `Idempotency-Key` on POST: the first request's response is stored (in the store of record, so
 * every replica sees it) and replayed for retries with the same key and the same request; the same
 * key with a different request is 422, and a retry while the first is still running is 409.
 * Failed requests release their claim so that the client can retry.
 */
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../errors/app-error.js'
import type { MemoryStore, StoredResponse } from '../../storage/memory-store.js'

/**
 * How long a claim may stay pending before another request may take it over (a crashed replica
 * must not block a key forever). A slow original that finishes later cannot overwrite the
 * successor's record: completion only applies to a still-pending claim with the same request hash.
 */
const PENDING_TTL_MS = 120_000
/** Responses above this size are not remembered (a batch of large reads); the claim is released. */
export const MAX_REPLAY_BYTES = 256 * 1024

export async function withIdempotency<Body>(
  store: MemoryStore,
  request: FastifyRequest,
  reply: FastifyReply,
  ttlMs: number,
  run: () => Promise<StoredResponse & { body: Body }>,
): Promise<Body> {
  const key = request.headers['idempotency-key']
  if (typeof key !== 'string') return send(reply, await run())
  const tool = request.caller.tool
  const requestHash = createHash('sha256')
    .update(`${request.method} ${request.routeOptions.url ?? ''}\n`)
    .update(JSON.stringify(request.body ?? null))
    .digest('hex')
  const claim = await store.claimIdempotencyKey(tool, key, requestHash, PENDING_TTL_MS)
  if (claim.state === 'pending') throw new AppError('idempotency_in_progress', 'retry after the first request completes')
  if (claim.state === 'done') {
    if (claim.requestHash !== requestHash) {
      throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used for a different request')
    }
    void reply.header('idempotent-replayed', 'true')
    // The stored body is the JSON of an earlier response to this same route.
    return send(reply, claim.response as StoredResponse & { body: Body })
  }
  let response: StoredResponse & { body: Body }
  try {
    response = await run()
  } catch (err) {
    await store.releaseIdempotencyKey(tool, key).catch((releaseErr: unknown) => {
      request.log.warn({ err: releaseErr }, 'could not release an idempotency claim; it lapses by itself')
    })
    throw err
  }
  if (Buffer.byteLength(JSON.stringify(response.body), 'utf8') > MAX_REPLAY_BYTES) {
    await store.releaseIdempotencyKey(tool, key)
    request.log.info({ idempotencyKey: key }, 'response too large to remember for replay; key released')
  } else if (!(await store.completeIdempotencyKey(tool, key, requestHash, response, ttlMs))) {
    request.log.warn({ idempotencyKey: key }, 'idempotency claim lapsed before completion; the response is not remembered')
  }
  return send(reply, response)
}

function send<Body>(reply: FastifyReply, response: StoredResponse & { body: Body }): Body {
  void reply.code(response.status).headers(response.headers)
  return response.body
}
