/**
 * The /v1 routes: one REST route per reference tool, and `POST /v1/tools/:toolName` taking a tool's
 * MCP arguments verbatim and answering `{result}` (the reference's structured result) or a
 * problem+json carrying the reference's message (e.g. "Entity with name X not found").
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { isGraphTool, runGraphTool } from '../../domain/graph/graph-tools.js'
import type { KnowledgeGraphService } from '../../domain/graph/knowledge-graph.js'
import { requireScope } from '../../domain/memory/caller.js'
import { AppError } from '../../errors/app-error.js'
import { parseOrThrow } from '../../errors/zod-issues.js'
import { ProblemSchema } from '../v2/v2.schemas.js'
import {
  EntitiesResultSchema, GRAPH_TOOL_INPUTS, GraphQuerySchema, GraphSchema, MessageSchema, ObservationsResultSchema,
  RelationsResultSchema, SearchQuerySchema, ToolParamsSchema, ToolResultSchema,
} from './v1.schemas.js'

const tags = ['v1 (deprecated)']
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema }

export const graphRoutes: FastifyPluginAsyncZod<{ graph: KnowledgeGraphService }> = async (app, { graph }) => {
  const write = (scope: 'read' | 'write') => ({ onRequest: async (request: { caller: Parameters<typeof requireScope>[0] }) => requireScope(request.caller, scope) })

  app.post('/entities', {
    ...write('write'),
    schema: { tags, summary: 'create_entities: the newly added ones (existing names are skipped)', body: GRAPH_TOOL_INPUTS.create_entities, response: { 200: EntitiesResultSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'create_entities', request.body))

  app.post('/relations', {
    ...write('write'),
    schema: { tags, summary: 'create_relations: the newly added ones', body: GRAPH_TOOL_INPUTS.create_relations, response: { 200: RelationsResultSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'create_relations', request.body))

  app.post('/observations', {
    ...write('write'),
    schema: { tags, summary: 'add_observations (all or nothing: an unknown entity fails the call)', body: GRAPH_TOOL_INPUTS.add_observations, response: { 200: ObservationsResultSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'add_observations', request.body))

  app.delete('/entities', {
    ...write('write'),
    schema: { tags, summary: 'delete_entities and every relation from or to them', body: GRAPH_TOOL_INPUTS.delete_entities, response: { 200: MessageSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'delete_entities', request.body))

  app.delete('/observations', {
    ...write('write'),
    schema: { tags, summary: 'delete_observations', body: GRAPH_TOOL_INPUTS.delete_observations, response: { 200: MessageSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'delete_observations', request.body))

  app.delete('/relations', {
    ...write('write'),
    schema: { tags, summary: 'delete_relations', body: GRAPH_TOOL_INPUTS.delete_relations, response: { 200: MessageSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'delete_relations', request.body))

  app.get('/graph', {
    ...write('read'),
    schema: { tags, summary: 'read_graph: entities then relations in insertion order; optional paging', querystring: GraphQuerySchema, response: { 200: GraphSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'read_graph', request.query))

  app.get('/search', {
    ...write('read'),
    schema: { tags, summary: 'search_nodes: case-insensitive substring over names, types and observations', querystring: SearchQuerySchema, response: { 200: GraphSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'search_nodes', request.query))

  app.post('/nodes/open', {
    ...write('read'),
    schema: { tags, summary: 'open_nodes: the named entities in storage order and their relations', body: GRAPH_TOOL_INPUTS.open_nodes, response: { 200: GraphSchema, ...errors } },
  }, async (request) => runGraphTool(graph, request.caller, 'open_nodes', request.body))

  app.post('/tools/:toolName', {
    schema: {
      tags, summary: 'Call a reference tool by name with its MCP arguments',
      params: ToolParamsSchema, response: { 200: ToolResultSchema, ...errors },
    },
  }, async (request) => {
    const name = request.params.toolName
    if (!isGraphTool(name)) throw new AppError('not_found', `Unknown tool: ${name}`)
    requireScope(request.caller, name === 'read_graph' || name === 'search_nodes' || name === 'open_nodes' ? 'read' : 'write')
    const input = parseOrThrow(GRAPH_TOOL_INPUTS[name], request.body ?? {}, '/body')
    const result: Record<string, unknown> = { ...(await runGraphTool(graph, request.caller, name, input)) }
    return { result }
  })
}
