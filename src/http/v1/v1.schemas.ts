/** Wire schemas of /v1: the reference server's shapes (request inputs are shared with the MCP tools). */
import { z } from 'zod'
import { EntitySchema, GRAPH_TOOL_INPUTS, RelationSchema } from '../../domain/graph/graph-tools.js'

export const GraphSchema = z.object({
  entities: z.array(EntitySchema),
  relations: z.array(RelationSchema),
  nextCursor: z.string().nullable().optional().describe('Only with `limit`/`cursor`: null when the graph is complete'),
})
export const EntitiesResultSchema = z.object({ entities: z.array(EntitySchema) })
export const RelationsResultSchema = z.object({ relations: z.array(RelationSchema) })
export const ObservationsResultSchema = z.object({
  results: z.array(z.object({ entityName: z.string(), addedObservations: z.array(z.string()) })),
})
export const MessageSchema = z.object({ success: z.boolean(), message: z.string() })
export const ToolResultSchema = z.object({ result: z.record(z.string(), z.unknown()) })
export const ToolParamsSchema = z.object({ toolName: z.string().max(64) })
export const GraphQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(512).optional(),
})
export const SearchQuerySchema = z.object({ query: GRAPH_TOOL_INPUTS.search_nodes.shape.query.optional().default('') })

export { GRAPH_TOOL_INPUTS }
