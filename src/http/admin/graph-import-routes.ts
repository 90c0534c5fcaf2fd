/**
 * `POST /admin/graph/import?tool=T` (admin key): import a reference `memory.jsonl` (body
 * `application/x-ndjson` or `application/jsonl`) into tool T's knowledge graph. The file is
 * validated whole first: a malformed line is a 400 problem naming its line number, and nothing is
 * imported. Bounded by BODY_LIMIT_BYTES like every body.
 */
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { z } from 'zod'
import { importGraph } from '../../domain/graph/graph-import.js'
import { parseMemoryJsonlOrThrow } from '../../domain/graph/jsonl.js'
import type { KnowledgeGraphService } from '../../domain/graph/knowledge-graph.js'
import { TOOL_PATTERN } from '../../domain/memory/memory-entry.js'
import { AppError } from '../../errors/app-error.js'
import { parseOrThrow } from '../../errors/zod-issues.js'

export interface GraphImportOptions {
  graph: KnowledgeGraphService
  authorize: (request: FastifyRequest) => void
}

const QuerySchema = z.object({ tool: z.string().regex(TOOL_PATTERN, 'must be a tool name') })

export default fp<GraphImportOptions>(
  async (app, { graph, authorize }) => {
    await app.register(async (scope) => {
      for (const type of ['application/x-ndjson', 'application/jsonl']) {
        scope.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body))
      }
      scope.post('/admin/graph/import', {
        schema: { hide: true },
        onRequest: async (request) => authorize(request),
      }, async (request) => {
        const { tool } = parseOrThrow(QuerySchema, request.query, '/query')
        if (typeof request.body !== 'string') {
          throw new AppError('unsupported_media_type', 'send the memory.jsonl file as application/x-ndjson or application/jsonl')
        }
        const parsed = parseMemoryJsonlOrThrow(request.body)
        return importGraph(graph, { tool, scopes: ['read', 'write'] }, parsed)
      })
    })
  },
  { name: 'graph-import' },
)
