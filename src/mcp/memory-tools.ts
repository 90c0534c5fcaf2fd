/**
 * The v2 memory operations as MCP tools, mapped onto MemoryManager with the /v2 rules: inputs are
 * the v2 input schemas' fields (strict: unknown fields are an error), entries come back in their
 * wire form (`toWire`, as `/v2` returns them), every call runs as the caller.
 *
 * - `memory_store`: create (POST /v2/memories); a keyless entry whose type and content already
 *   exist for the tool returns the existing one with `deduplicated: true`.
 * - `memory_get`: by `id` (own, shared or granted) or by `key` (own).
 * - `memory_search`: POST /v2/search. `memory_list`: GET /v2/memories (one page; pass `nextCursor`).
 * - `memory_update`: JSON merge patch (RFC 7396) of the writable fields; `expectedVersion` makes it
 *   conditional (If-Match). `memory_delete`: by id, optionally conditional.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { Caller } from '../domain/memory/caller.js'
import { TOOL_PATTERN, VISIBILITIES } from '../domain/memory/memory-entry.js'
import { KeySchema, MemoryInputSchema, PatchSchema, TagSchema, TypeSchema } from '../domain/memory/memory-input.js'
import type { MemoryManager } from '../domain/memory/memory-manager.js'
import { UNCONDITIONAL, type Precondition } from '../domain/memory/precondition.js'
import { AppError } from '../errors/app-error.js'
import { toWire } from '../http/v2/codec.js'
import { IdSchema, MemoryEntryWireSchema, SearchBodySchema } from '../http/v2/v2.schemas.js'
import { registerTool, structuredResult, type ErrorReporter, type ToolDescription } from './tool-results.js'

/** The wire entry without its OpenAPI id, so tool schemas are self-contained (no `$ref`). */
const EntryOut = z.object(MemoryEntryWireSchema.shape)
const ToolName = z.string().regex(TOOL_PATTERN, 'invalid tool name')
const ExpectedVersion = z.number().int().min(1).max(999_999_999).optional()
  .describe('Only change the memory if its current version is this one (optimistic concurrency)')

const inputs = {
  memory_store: MemoryInputSchema,
  memory_get: z.strictObject({
    id: IdSchema.optional().describe('The memory id (UUID)'),
    key: KeySchema.optional().describe('The key of one of your own memories'),
  }),
  memory_search: SearchBodySchema,
  memory_update: z.strictObject({
    id: IdSchema.describe('The memory id (UUID)'),
    patch: PatchSchema.describe('JSON merge patch (RFC 7396) of the writable fields, e.g. {"tags": ["a"], "importance": 0.9}; null removes key or expiresAt'),
    expectedVersion: ExpectedVersion,
  }),
  memory_delete: z.strictObject({ id: IdSchema.describe('The memory id (UUID)'), expectedVersion: ExpectedVersion }),
  memory_list: z.strictObject({
    types: z.array(TypeSchema).max(64).optional().describe('Only these types'),
    tags: z.array(TagSchema).max(64).optional().describe('Only memories carrying every one of these tags'),
    tools: z.array(ToolName).max(64).optional().describe('Only memories of these tools (your own, shared or granted)'),
    key: KeySchema.optional(),
    visibility: z.enum(VISIBILITIES).optional(),
    limit: z.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional().describe('The nextCursor of the previous page'),
  }),
}

type Inputs = { [N in keyof typeof inputs]: z.output<(typeof inputs)[N]> }

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }

interface MemoryToolSpec<N extends keyof Inputs> extends ToolDescription {
  run: (manager: MemoryManager, caller: Caller, input: Inputs[N]) => Promise<object>
}

const SPECS: { [N in keyof Inputs]: MemoryToolSpec<N> } = {
  memory_store: {
    title: 'Store Memory',
    description: 'Store a new memory (content with optional type, key, tags, metadata, importance, visibility and expiry). ' +
      'Storing content whose type and content already exist without a key returns the existing memory with deduplicated: true',
    output: z.object({ entry: EntryOut, deduplicated: z.boolean(), evicted: z.array(z.string()).describe('ids evicted by the token budget') }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    run: async (manager, caller, input) => {
      const { entry, created, evicted } = await manager.create(caller, input)
      return { entry: toWire(entry), deduplicated: !created, evicted }
    },
  },
  memory_get: {
    title: 'Get Memory',
    description: 'Get one memory by its id or by its key (give exactly one of the two)',
    output: z.object({ entry: EntryOut }),
    annotations: READ,
    run: async (manager, caller, { id, key }) => {
      if ((id === undefined) === (key === undefined)) {
        throw new AppError('validation_failed', 'give exactly one of id and key', { errors: [{ pointer: '/id', message: 'give id or key' }] })
      }
      const entry = id !== undefined ? await manager.get(caller, id) : await manager.getByKey(caller, key!)
      return { entry: toWire(entry) }
    },
  },
  memory_search: {
    title: 'Search Memories',
    description: 'Ranked search over the memories you can read: full-text (words, "phrases", -exclusions) or substring mode',
    output: z.object({ items: z.array(z.object({ entry: EntryOut, score: z.number() })) }),
    annotations: READ,
    run: async (manager, caller, b) => {
      const hits = await manager.search(caller, {
        query: b.query, mode: b.mode, limit: b.limit, tools: b.tools, types: b.types, tags: b.tags, visibility: b.visibility,
      })
      return { items: hits.map((h) => ({ entry: toWire(h.entry), score: h.score })) }
    },
  },
  memory_update: {
    title: 'Update Memory',
    description: 'Change fields of one of your memories with a JSON merge patch; expectedVersion makes the change conditional',
    output: z.object({ entry: EntryOut, evicted: z.array(z.string()).describe('ids evicted by the token budget') }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    run: async (manager, caller, { id, patch, expectedVersion }) => {
      const { entry, evicted } = await manager.patch(caller, id, patch, precondition(expectedVersion))
      return { entry: toWire(entry), evicted }
    },
  },
  memory_delete: {
    title: 'Delete Memory',
    description: 'Delete one of your memories by id; expectedVersion makes the delete conditional',
    output: z.object({ success: z.boolean(), message: z.string() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    run: async (manager, caller, { id, expectedVersion }) => {
      await manager.delete(caller, id, precondition(expectedVersion))
      return { success: true, message: `Memory ${id} deleted` }
    },
  },
  memory_list: {
    title: 'List Memories',
    description: 'List the memories you can read, newest first, one page at a time (pass nextCursor as cursor for the next page)',
    output: z.object({ items: z.array(EntryOut), nextCursor: z.string().nullable() }),
    annotations: READ,
    run: async (manager, caller, q) => {
      const page = await manager.list(caller, {
        types: q.types, tags: q.tags, tools: q.tools, key: q.key, visibility: q.visibility,
      }, q.cursor ?? null, q.limit)
      return { items: page.items.map(toWire), nextCursor: page.nextCursor }
    },
  },
}

export const MEMORY_TOOL_NAMES = Object.keys(SPECS) as Array<keyof Inputs>

export function registerMemoryTools(server: McpServer, manager: MemoryManager, caller: Caller, onError: ErrorReporter): void {
  for (const name of MEMORY_TOOL_NAMES) register(server, name, manager, caller, onError)
}

function register<N extends keyof Inputs>(server: McpServer, name: N, manager: MemoryManager, caller: Caller, onError: ErrorReporter): void {
  const spec = SPECS[name] as MemoryToolSpec<N>
  registerTool(server, name, spec, inputs[name], onError,
    async (input) => structuredResult(await spec.run(manager, caller, input as Inputs[N])))
}

function precondition(expectedVersion: number | undefined): Precondition {
  return expectedVersion === undefined ? UNCONDITIONAL : { kind: 'match', tags: [{ id: null, version: expectedVersion }] }
}
