/**
 * `memory_context`: POST /v2/context as an MCP tool — the best memories the caller may read that
 * fit in `maxTokens` (context-service.ts; the score and packing rules are in context-packer.ts).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import type { ContextService } from '../domain/context/context-service.js'
import type { Caller } from '../domain/memory/caller.js'
import { toContextWire } from '../http/v2/codec.js'
import { ContextBodySchema } from '../http/v2/tools.schemas.js'
import { MemoryEntryWireSchema } from '../http/v2/v2.schemas.js'
import { registerTool, structuredResult, type ErrorReporter } from './tool-results.js'

/** The result without OpenAPI ids, so the tool's schema is self-contained (no `$ref`). */
const Output = z.object({
  items: z.array(z.object({ entry: z.object(MemoryEntryWireSchema.shape), score: z.number(), tokens: z.number().int() })),
  totalTokens: z.number().int(),
  maxTokens: z.number().int(),
  weights: z.object({ relevance: z.number(), importance: z.number(), recency: z.number() }),
  candidates: z.number().int(),
  omitted: z.array(z.object({ id: z.string(), tool: z.string(), tokens: z.number().int(), score: z.number(), reason: z.string() })),
  omittedCount: z.number().int(),
})

export function registerContextTool(server: McpServer, context: ContextService, caller: Caller, onError: ErrorReporter): void {
  registerTool(server, 'memory_context', {
    title: 'Memory Context',
    description: 'The best memories you can read that fit in maxTokens, for a model\'s context window: scored by relevance ' +
      'to the query, importance and recency (strategy or weights), packed by value per token; lists what was left out',
    output: Output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, ContextBodySchema, onError, async (input) => {
    return structuredResult(toContextWire(await context.pack(caller, input as z.output<typeof ContextBodySchema>)))
  })
}
