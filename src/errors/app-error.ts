import { ERROR_CODES, type ErrorCode } from './error-codes.js'

/** One field-level issue inside a `validation_failed` problem. */
export interface FieldIssue {
  /** JSON-pointer-like location, e.g. `/body/tags/3`. */
  pointer: string
  message: string
}

/**
 * An error meant for the client. `detail` must be safe to show (no SQL, no stack, no secrets).
 * Anything that is not an AppError becomes `internal` (500) with a generic detail.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly detail: string
  readonly errors: FieldIssue[] | undefined
  /** Extra members for the problem body (e.g. `currentVersion`). */
  readonly extensions: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode,
    detail?: string,
    options: { errors?: FieldIssue[]; extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(detail ?? ERROR_CODES[code].title, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.detail = detail ?? ERROR_CODES[code].title
    this.errors = options.errors
    this.extensions = options.extensions
  }

  get status(): number {
    return ERROR_CODES[this.code].status
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError
}
