/**
 * Tells backend failures from domain answers. A store that answers "not found", "version
 * conflict" or "over the token budget" is working; only the rest (unreachable, timeouts, unexpected
 * errors) count against a backend in metrics, in the traffic guard and for read and write fallbacks
 * (a budget refusal taken for a failure would re-run the write on blue, which may not yet hold the
 * entries green just accepted, and let the tool past its budget).
 */
import { isAppError } from '../errors/app-error.js'
import type { ErrorCode } from '../errors/error-codes.js'

const DOMAIN_CODES: ReadonlySet<ErrorCode> = new Set([
  'not_found', 'version_conflict', 'key_conflict', 'duplicate_content', 'invalid_cursor', 'validation_failed',
  'token_budget_exceeded', 'entry_exceeds_token_budget',
])

/** True unless `err` is a domain answer (see DOMAIN_CODES). */
export function isBackendFailure(err: unknown): boolean {
  return !(isAppError(err) && DOMAIN_CODES.has(err.code))
}
