/**
 * Tells backend failures from domain answers. A store that answers "not found" or "version
 * conflict" is working; only the rest (unreachable, timeouts, unexpected errors) count against a
 * backend in metrics, in the traffic guard and for read fallbacks.
 */
import { isAppError } from '../errors/app-error.js'
import type { ErrorCode } from '../errors/error-codes.js'

const DOMAIN_CODES: ReadonlySet<ErrorCode> = new Set([
  'not_found', 'version_conflict', 'key_conflict', 'duplicate_content', 'invalid_cursor', 'validation_failed',
])

/** True unless `err` is a domain answer (see DOMAIN_CODES). */
export function isBackendFailure(err: unknown): boolean {
  return !(isAppError(err) && DOMAIN_CODES.has(err.code))
}
