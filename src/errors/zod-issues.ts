import type { z } from 'zod'
import { AppError, type FieldIssue } from './app-error.js'

/** zod issues as problem `errors` entries, located under `prefix` (e.g. `/body`). */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[], prefix: string): FieldIssue[] {
  return issues.map((issue) => ({
    pointer: prefix + issue.path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join(''),
    message: issue.message,
  }))
}

/** Parse or throw `validation_failed` naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.infer<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const errors = toFieldIssues(result.error.issues, prefix)
  throw new AppError('validation_failed', `${errors.length} invalid field(s): ${errors.map((e) => e.pointer).join(', ')}`, { errors })
}
