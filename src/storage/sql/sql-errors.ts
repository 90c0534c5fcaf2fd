/**
 * The one mapping from Postgres/PGlite errors to the shared AppError codes (design §4), used by
 * both drivers, the store and the health check. SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
 * Details are safe to show to clients: no SQL, no values, no server messages.
 */
import { AppError } from '../../errors/app-error.js'

/** Which unique index a violation names → the client-facing conflict. */
const UNIQUE_CONSTRAINTS: Record<string, AppError['code']> = {
  memories_tool_key_key: 'key_conflict',
  memories_tool_type_hash_key: 'duplicate_content',
  // Only reachable by creating an id that is already live; "must not exist" failed.
  memories_pkey: 'version_conflict',
}

const CHECK_MESSAGES: Record<string, string> = {
  memories_visibility_check: "visibility must be 'private' or 'shared'.",
  memories_importance_check: 'importance must be between 0 and 1.',
  memories_version_check: 'version must be at least 1.',
  memories_tokens_check: 'tokens must not be negative.',
  memories_access_count_check: 'accessCount must not be negative.',
  memories_metadata_check: 'metadata must be a JSON object.',
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
])
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|Client was closed|PGlite is closed/i

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * True for failures that mean "the database cannot be reached or used right now": network errors,
 * class 08 (connection exception), 57P01–57P03 (shutdown, cannot connect now), 53 (insufficient
 * resources, e.g. too many connections), 28 (authentication), 3D000 (no such database), and a
 * closed pool or PGlite instance.
 */
export function isConnectionError(err: unknown): boolean {
  const code = sqlState(err)
  if (code !== undefined) {
    if (NETWORK_CODES.has(code) || code.startsWith('08') || code.startsWith('53') || code.startsWith('28')) return true
    if (code === '57P01' || code === '57P02' || code === '57P03' || code === '3D000') return true
  }
  return err instanceof Error && CONNECTION_MESSAGES.test(err.message)
}

/** The AppError for an unreachable backend, keeping the original error as `cause` for logs. */
export function backendUnavailable(backend: string, cause: unknown): AppError {
  return new AppError('backend_unavailable', `The ${backend} storage backend is unavailable.`, { cause })
}

/** Run `fn`, turning connection failures (a closed pool or engine too) into `backend_unavailable`. Both drivers wrap every call in it. */
export async function guardConnection<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw isConnectionError(err) ? backendUnavailable(backend, err) : err
  }
}

/**
 * Map any error thrown by a driver to what the store throws: AppErrors pass through; known
 * SQLSTATEs become AppErrors; anything else is returned unchanged (it becomes `internal`).
 */
export function toStoreError(err: unknown, backend: string): unknown {
  if (err instanceof AppError) return err
  if (isConnectionError(err)) return backendUnavailable(backend, err)
  const code = sqlState(err)
  const constraint = (err as { constraint?: unknown }).constraint
  switch (code) {
    case '23505': {
      const mapped = typeof constraint === 'string' ? UNIQUE_CONSTRAINTS[constraint] : undefined
      return mapped ? new AppError(mapped, undefined, { cause: err }) : err
    }
    case '23514': {
      const message = typeof constraint === 'string' ? CHECK_MESSAGES[constraint] : undefined
      return new AppError('validation_failed', message ?? 'A value is outside its allowed range.', { cause: err })
    }
    case '22021': // invalid byte sequence: a NUL (U+0000) in text
    case '22P05': // untranslatable character: \u0000 in jsonb
      return new AppError('validation_failed', 'Text must not contain NUL (U+0000) characters.', { cause: err })
    case '22P02': // invalid text representation, e.g. a malformed uuid
      return new AppError('validation_failed', 'A value has an invalid format.', { cause: err })
    case '54000': // program limit exceeded, e.g. an index row too large
      return new AppError('content_too_large', 'A value is too large to be stored.', { cause: err })
    case '57014': // statement_timeout
    case '40001': // serialization failure
    case '40P01': // deadlock detected
      return new AppError('backend_unavailable', `The ${backend} storage backend is busy; retry the request.`, {
        cause: err,
      })
    default:
      return err
  }
}
