/**
 * The MCP server of mcp-memory (issue 5, design §2): the reference memory server's nine
 * knowledge-graph tools (drop-in names, schemas, annotations and result shapes), the v2 memory tools
 * (`memory_store`, `memory_get`, `memory_search`, `memory_update`, `memory_delete`, `memory_list`,
 * `memory_context`)
 * and the `memory://knowledge-graph` resource. One server per caller: every tool runs as `caller`,
 * under the same identity and scope rules as HTTP. Served over Streamable HTTP by
 * `http/mcp/mcp-routes.ts` (a server per request, stateless) and over stdio by `cli/stdio-command.ts`.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import type { KnowledgeGraphService } from '../domain/graph/knowledge-graph.js'
import type { Caller } from '../domain/memory/caller.js'
import type { MemoryManager } from '../domain/memory/memory-manager.js'
import { toAppError } from '../errors/to-http.js'
import type { ContextService } from '../domain/context/context-service.js'
import { registerContextTool } from './context-tool.js'
import { registerGraphTools } from './graph-tools.js'
import { registerMemoryTools } from './memory-tools.js'
import type { ErrorReporter } from './tool-results.js'

export const MCP_SERVER_NAME = 'mcp-memory'
export const KNOWLEDGE_GRAPH_URI = 'memory://knowledge-graph'

export interface McpServerDeps {
  graph: KnowledgeGraphService
  manager: MemoryManager
  context: ContextService
  /** Who every tool call and resource read runs as. */
  caller: Caller
  /** Reported in `serverInfo`. */
  version: string
  /** Told of unexpected failures (backend errors, bugs); the client only sees a generic message. */
  onError?: ErrorReporter
}

export function createMcpServer({ graph, manager, context, caller, version, onError = () => {} }: McpServerDeps): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, title: 'mcp-memory', version },
    {
      instructions: 'Durable memory. The knowledge-graph tools (create_entities … open_nodes) keep entities, relations and ' +
        'observations; the memory_* tools store, search and manage typed memory entries. Everything is private to your tool ' +
        'unless stored with visibility "shared".',
    },
  )
  registerGraphTools(server, graph, caller, onError)
  registerMemoryTools(server, manager, caller, onError)
  registerContextTool(server, context, caller, onError)
  server.registerResource('knowledge-graph', KNOWLEDGE_GRAPH_URI, {
    title: 'Knowledge Graph',
    description: 'The full knowledge graph with all entities and relations',
    mimeType: 'application/json',
  }, async (uri) => {
    try {
      const { entities, relations } = await graph.readGraph(caller)
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ entities, relations }, null, 2) }] }
    } catch (err) {
      const error = toAppError(err)
      if (error.status >= 500) onError(err)
      throw new McpError(error.status >= 500 ? ErrorCode.InternalError : ErrorCode.InvalidRequest, error.detail)
    }
  })
  return server
}
