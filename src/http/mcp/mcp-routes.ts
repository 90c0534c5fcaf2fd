/**
 * `/mcp`: the MCP endpoint over Streamable HTTP (issue 5, design §2), stateless. Each POST is
 * authenticated like /v2 (API key → tool and scopes; local mode: `X-Memory-Tool` or `default`), gets
 * its own MCP server bound to that caller and its own transport without sessions, and is handed to
 * the SDK with the body Fastify already parsed (so BODY_LIMIT_BYTES bounds it). Without sessions
 * there is no server-to-client stream to GET and no session to DELETE: both answer 405
 * problem+json with `Allow: POST`, as the SDK recommends for stateless servers.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { KnowledgeGraphService } from '../../domain/graph/knowledge-graph.js'
import type { ContextService } from '../../domain/context/context-service.js'
import type { MemoryManager } from '../../domain/memory/memory-manager.js'
import { AppError } from '../../errors/app-error.js'
import { createMcpServer } from '../../mcp/create-mcp-server.js'
import type { Authenticator } from '../plugins/authenticate.js'

export interface McpRoutesOptions {
  graph: KnowledgeGraphService
  manager: MemoryManager
  context: ContextService
  authenticate: Authenticator
  /** The service version reported in the MCP `serverInfo`. */
  version: string
  /** Where the endpoint lives. @default '/mcp' */
  path?: string
}

const tags = ['mcp']

export const mcpRoutes: FastifyPluginAsync<McpRoutesOptions> = async (app, options) => {
  const path = options.path ?? '/mcp'

  app.post(path, {
    schema: { tags, summary: 'MCP Streamable HTTP endpoint (stateless): JSON-RPC requests, answered as JSON' },
  }, async (request, reply) => {
    const caller = options.authenticate(request)
    const server = createMcpServer({
      graph: options.graph,
      manager: options.manager,
      context: options.context,
      caller,
      version: options.version,
      onError: (err) => request.log.error({ err }, 'MCP request failed'),
    })
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    transport.onerror = (err) => request.log.warn({ err }, 'MCP transport error')
    await server.connect(transport)
    // From here on the SDK writes the response; onSend hooks do not run, so add the request id now.
    reply.hijack()
    reply.raw.setHeader('x-request-id', request.id)
    reply.raw.once('close', () => {
      void server.close().catch((err: unknown) => request.log.warn({ err }, 'closing an MCP server failed'))
    })
    try {
      await transport.handleRequest(request.raw, reply.raw, request.body ?? null)
    } catch (err) {
      request.log.error({ err }, 'MCP request failed')
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' })
        reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }))
      } else reply.raw.end()
    }
  })

  const notAllowed = async (_request: unknown, reply: FastifyReply) => {
    void reply.header('allow', 'POST')
    throw new AppError('method_not_allowed', 'this MCP endpoint is stateless (no sessions): send JSON-RPC messages with POST')
  }
  app.get(path, { schema: { tags, hide: true } }, notAllowed)
  app.delete(path, { schema: { tags, hide: true } }, notAllowed)
}
