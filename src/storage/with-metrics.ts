/**
 * A MemoryStore decorator that times every operation (`operation_duration_seconds{op,backend}`)
 * and counts backend failures (`backend_errors_total`). Domain outcomes (not found, conflicts,
 * validation) are answers, not errors, and are not counted.
 */
import { isAppError } from '../errors/app-error.js'
import type { Metrics } from '../metrics/create-metrics.js'
import type { MemoryStore } from './memory-store.js'

const DOMAIN_CODES = new Set(['not_found', 'version_conflict', 'key_conflict', 'duplicate_content', 'invalid_cursor', 'validation_failed'])

const TIMED = [
  'get', 'getById', 'getMany', 'findByHash', 'findByKey', 'create', 'update', 'upsertByKey', 'delete',
  'applyMirror', 'query', 'search', 'stats', 'scan', 'purgeExpired', 'recordAccess', 'claimIdempotencyKey',
  'completeIdempotencyKey', 'releaseIdempotencyKey', 'ping',
] as const satisfies readonly (keyof MemoryStore)[]

export function withMetrics(store: MemoryStore, metrics: Metrics): MemoryStore {
  const wrapped: Record<string, unknown> = {
    backend: store.backend,
    init: () => store.init(),
    close: () => store.close(),
  }
  for (const op of TIMED) {
    const fn = (store[op] as (...args: unknown[]) => Promise<unknown>).bind(store)
    const labels = { op, backend: store.backend }
    wrapped[op] = async (...args: unknown[]) => {
      const end = metrics.operationDuration.startTimer(labels)
      try {
        return await fn(...args)
      } catch (err) {
        if (!(isAppError(err) && DOMAIN_CODES.has(err.code))) metrics.backendErrors.inc({ backend: store.backend, op })
        throw err
      } finally {
        end()
      }
    }
  }
  return wrapped as unknown as MemoryStore
}
