/**
 * A MemoryStore decorator that times every operation (`operation_duration_seconds{op,backend}`)
 * and counts backend failures (`backend_errors_total`). Domain outcomes (not found, conflicts,
 * validation) are answers, not errors, and are not counted.
 */
import { isBackendFailure } from './backend-failure.js'
import type { Metrics } from '../metrics/create-metrics.js'
import type { MemoryStore } from './memory-store.js'

const TIMED = [
  'get', 'getById', 'getMany', 'findByHash', 'findByKey', 'create', 'update', 'upsertByKey', 'delete',
  'applyMirror', 'mirrorRecord', 'outboxAdd', 'outboxClaim', 'outboxRetry', 'outboxRemove', 'outboxStats', 'query',
  'search', 'stats', 'scan', 'purgeExpired', 'recordAccess', 'claimIdempotencyKey', 'completeIdempotencyKey',
  'releaseIdempotencyKey', 'ping', 'writeWithinBudget', 'getTool', 'listTools', 'registerTool', 'putTool',
  'appendAccessLog', 'readAccessLog', 'topEntries',
] as const satisfies readonly (keyof MemoryStore)[]

/** `label` names the backend in the metrics (default `store.backend`; `blue`/`green` under a traffic split). */
export function withMetrics(store: MemoryStore, metrics: Metrics, label = store.backend): MemoryStore {
  const wrapped: Record<string, unknown> = {
    backend: store.backend,
    init: () => store.init(),
    close: () => store.close(),
  }
  for (const op of TIMED) {
    const fn = (store[op] as (...args: unknown[]) => Promise<unknown>).bind(store)
    const labels = { op, backend: label }
    wrapped[op] = async (...args: unknown[]) => {
      const end = metrics.operationDuration.startTimer(labels)
      try {
        return await fn(...args)
      } catch (err) {
        if (isBackendFailure(err)) metrics.backendErrors.inc({ backend: label, op })
        throw err
      } finally {
        end()
      }
    }
  }
  return wrapped as unknown as MemoryStore
}
