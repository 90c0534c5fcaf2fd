/**
 * The nine knowledge-graph tools of the reference MCP memory server as MCP tools: the reference's
 * names, titles, descriptions, output schemas and annotations; input schemas and behaviour from the
 * shared table in `domain/graph/graph-tools.ts` (the one `/v1/tools/:toolName` dispatches through).
 *
 * Results as the reference gives them: `structuredContent` is the tool's structured result; the
 * text content is the JSON (2-space indent) of what the reference prints — the list of added items
 * for the create/add tools, the graph for the read tools — or the success message for the deletes.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { GRAPH_TOOL_INPUTS, GRAPH_TOOL_NAMES, runGraphTool, type GraphToolName, type GraphToolResults } from '../domain/graph/graph-tools.js'
import type { KnowledgeGraphService } from '../domain/graph/knowledge-graph.js'
import type { Caller } from '../domain/memory/caller.js'
import { registerTool, structuredResult, type ErrorReporter, type ToolDescription } from './tool-results.js'

// Output schemas are plain (no input limits): what is stored is always a valid answer.
const EntityOut = z.object({
  name: z.string().describe('The name of the entity'),
  entityType: z.string().describe('The type of the entity'),
  observations: z.array(z.string()).describe('An array of observation contents associated with the entity'),
})
const RelationOut = z.object({
  from: z.string().describe('The name of the entity where the relation starts'),
  to: z.string().describe('The name of the entity where the relation ends'),
  relationType: z.string().describe('The type of the relation'),
})
const GraphOut = z.object({ entities: z.array(EntityOut), relations: z.array(RelationOut) })
const DoneOut = z.object({ success: z.boolean(), message: z.string() })

const WRITE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false }
const DELETE: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false }
const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }

interface GraphToolSpec<N extends GraphToolName> extends ToolDescription {
  /** The text content of a successful call. */
  text: (result: GraphToolResults[N]) => string
}

const json = (value: unknown) => JSON.stringify(value, null, 2)

export const GRAPH_TOOL_SPECS: { [N in GraphToolName]: GraphToolSpec<N> } = {
  create_entities: {
    title: 'Create Entities',
    description: 'Create multiple new entities in the knowledge graph',
    output: z.object({ entities: z.array(EntityOut) }),
    annotations: WRITE,
    text: (r) => json(r.entities),
  },
  create_relations: {
    title: 'Create Relations',
    description: 'Create multiple new relations between entities in the knowledge graph. Relations should be in active voice',
    output: z.object({ relations: z.array(RelationOut) }),
    annotations: WRITE,
    text: (r) => json(r.relations),
  },
  add_observations: {
    title: 'Add Observations',
    description: 'Add new observations to existing entities in the knowledge graph',
    output: z.object({ results: z.array(z.object({ entityName: z.string(), addedObservations: z.array(z.string()) })) }),
    annotations: WRITE,
    text: (r) => json(r.results),
  },
  delete_entities: {
    title: 'Delete Entities',
    description: 'Delete multiple entities and their associated relations from the knowledge graph',
    output: DoneOut,
    annotations: DELETE,
    text: (r) => r.message,
  },
  delete_observations: {
    title: 'Delete Observations',
    description: 'Delete specific observations from entities in the knowledge graph',
    output: DoneOut,
    annotations: DELETE,
    text: (r) => r.message,
  },
  delete_relations: {
    title: 'Delete Relations',
    description: 'Delete multiple relations from the knowledge graph',
    output: DoneOut,
    annotations: DELETE,
    text: (r) => r.message,
  },
  read_graph: {
    title: 'Read Graph',
    description: 'Read the entire knowledge graph. Optionally pass `limit` (1-1000 items per page) and then the returned ' +
      '`nextCursor` as `cursor` to read a large graph in pages',
    output: GraphOut.extend({
      nextCursor: z.string().nullable().optional().describe('Present on paged reads: pass it as `cursor` for the next page; null at the end'),
    }),
    annotations: READ,
    text: (r) => json(r),
  },
  search_nodes: {
    title: 'Search Nodes',
    description: 'Search for nodes in the knowledge graph based on a query',
    output: GraphOut,
    annotations: READ,
    text: (r) => json(r),
  },
  open_nodes: {
    title: 'Open Nodes',
    description: 'Open specific nodes in the knowledge graph by their names',
    output: GraphOut,
    annotations: READ,
    text: (r) => json(r),
  },
}

export function registerGraphTools(server: McpServer, graph: KnowledgeGraphService, caller: Caller, onError: ErrorReporter): void {
  for (const name of GRAPH_TOOL_NAMES) register(server, name, graph, caller, onError)
}

function register<N extends GraphToolName>(
  server: McpServer, name: N, graph: KnowledgeGraphService, caller: Caller, onError: ErrorReporter,
): void {
  const spec = GRAPH_TOOL_SPECS[name] as GraphToolSpec<N>
  registerTool(server, name, spec, GRAPH_TOOL_INPUTS[name], onError, async (input) => {
    const result = await runGraphTool(graph, caller, name, input as z.output<(typeof GRAPH_TOOL_INPUTS)[N]>)
    return structuredResult(result, spec.text(result))
  })
}
