/**
 * Shapes of MCP tool results: text content plus `structuredContent` (as the reference server
 * answers), and errors as `isError` results. A domain error (AppError) carries its message, e.g.
 * "Entity with name X not found"; anything else (a backend failure, a bug) is reported to `onError`
 * and answered with a generic message, so no SQL, stack or host name reaches the client.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { toAppError } from '../errors/to-http.js'

export type ErrorReporter = (err: unknown) => void

/** Text content `text` plus the structured result. */
export function structuredResult(structured: object, text: string = JSON.stringify(structured, null, 2)): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: { ...structured } as Record<string, unknown> }
}

/** The `isError` result for a thrown value. */
export function errorResult(err: unknown, onError: ErrorReporter): CallToolResult {
  const error = toAppError(err)
  if (error.status >= 500) onError(err)
  return { content: [{ type: 'text', text: error.detail }], isError: true }
}

/** Runs a tool body, turning a thrown value into an `isError` result. */
export async function guarded(onError: ErrorReporter, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run()
  } catch (err) {
    return errorResult(err, onError)
  }
}
