/**
 * Shapes of MCP tool results: text content plus `structuredContent` (as the reference server
 * answers), and errors as `isError` results. A domain error (AppError) carries its message, e.g.
 * "Entity with name X not found"; anything else (a backend failure, a bug) is reported to `onError`
 * and answered with a generic message, so no SQL, stack or host name reaches the client.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import type { z } from 'zod'
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

/** What a tool shows in `tools/list` besides its input schema. */
export interface ToolDescription {
  title: string
  description: string
  output: z.ZodObject
  annotations: ToolAnnotations
}

/**
 * Register tool `name`; `run` gets the arguments the SDK already parsed with `inputSchema` (hence
 * `unknown` here: callers cast to their schema's output), and a thrown value becomes an `isError` result.
 */
export function registerTool(
  server: McpServer, name: string, spec: ToolDescription, inputSchema: z.ZodObject, onError: ErrorReporter,
  run: (input: unknown) => Promise<CallToolResult>,
): void {
  server.registerTool(name, {
    title: spec.title,
    description: spec.description,
    inputSchema,
    outputSchema: spec.output,
    annotations: spec.annotations,
  }, async (input) => guarded(onError, () => run(input)))
}
