/**
 * The one mapping from any thrown value to an RFC 9457 problem. AppErrors keep their code; Fastify's
 * own client errors (bad JSON, body too large, bad media type, schema validation) are translated
 * to catalogue codes; everything else is `internal` with a generic detail, so no stack trace,
 * SQL or secret ever reaches a client.
 */
import { AppError, isAppError, type FieldIssue } from './app-error.js'
import { ERROR_CODES, PROBLEM_TYPE_PREFIX, type ErrorCode } from './error-codes.js'

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  code: ErrorCode
  errors?: FieldIssue[]
  [extension: string]: unknown
}

/** Fastify error codes that are the client's fault, and what they mean for us. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
}

interface ValidationItem {
  instancePath?: string
  message?: string
}

/** Translate a thrown value into an AppError (the single point of truth for status codes). */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: string; validation?: ValidationItem[]; validationContext?: string; statusCode?: number; message?: string }
    if (Array.isArray(e.validation)) {
      const where = e.validationContext === 'querystring' ? 'query' : (e.validationContext ?? 'body')
      const errors = e.validation.map((v) => ({
        pointer: `/${where}${v.instancePath === '/' ? '' : (v.instancePath ?? '')}`,
        message: v.message ?? 'invalid',
      }))
      return new AppError('validation_failed', `${errors.length} invalid field(s): ${errors.map((x) => x.pointer).join(', ')}`, { errors })
    }
    const mapped = e.code ? FASTIFY_CODES[e.code] : undefined
    if (mapped) return new AppError(mapped, ERROR_CODES[mapped].title)
    // JSON.parse SyntaxError raised by the body parser (status 400, no code)
    if (err instanceof SyntaxError && e.statusCode === 400) return new AppError('malformed_json', 'The request body is not valid JSON.')
  }
  return new AppError('internal', 'An unexpected error occurred. It has been logged.', { cause: err })
}

export function toProblem(error: AppError, instance?: string): Problem {
  const entry = ERROR_CODES[error.code]
  const problem: Problem = {
    ...error.extensions,
    type: PROBLEM_TYPE_PREFIX + error.code,
    title: entry.title,
    status: entry.status,
    detail: error.detail,
    code: error.code,
  }
  if (instance !== undefined) problem.instance = instance
  if (error.errors) problem.errors = error.errors
  return problem
}
