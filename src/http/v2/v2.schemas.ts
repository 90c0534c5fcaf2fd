/**
 * /v2 wire schemas. Requests are strict (unknown fields → 400); the same objects feed OpenAPI.
 * Entry fields are documented in design §3.
 */
import { z } from 'zod'
import { CONTENT_HASH_PATTERN, TOOL_PATTERN, VISIBILITIES } from '../../domain/memory/memory-entry.js'
import { KeySchema, MemoryInputSchema, PatchSchema, TagSchema, TypeSchema, safeText } from '../../domain/memory/memory-input.js'

export { MemoryInputSchema, KeyedMemoryInputSchema, PatchSchema } from '../../domain/memory/memory-input.js'

export const MemoryEntryWireSchema = z
  .object({
    id: z.string().describe('UUIDv7'),
    tool: z.string(),
    type: z.string(),
    key: z.string().nullable(),
    content: z.string(),
    contentType: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    tags: z.array(z.string()),
    importance: z.number(),
    visibility: z.enum(VISIBILITIES),
    contentHash: z.string(),
    tokens: z.number().int(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    expiresAt: z.string().nullable(),
    lastAccessedAt: z.string().nullable(),
    accessCount: z.number().int(),
  })
  .meta({ id: 'MemoryEntry' })

/** A written entry: the entry, plus the ids its tool's token budget evicted to make room (when any). */
export const WrittenEntrySchema = MemoryEntryWireSchema.extend({
  evicted: z.array(z.string()).optional().describe('Ids of entries evicted by the tool\'s token budget (evict policy) to fit this write'),
}).meta({ id: 'WrittenMemoryEntry' })

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string(),
    errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem' })

/** A UUID; accepted in any case and normalised to lowercase, the form ids are stored in. */
export const IdSchema = z.uuid().transform((id) => id.toLowerCase())

export const IdParamsSchema = z.strictObject({ id: IdSchema })
export const KeyParamsSchema = z.strictObject({ key: KeySchema })
export const HashParamsSchema = z.strictObject({
  contentHash: z.string().regex(CONTENT_HASH_PATTERN, 'must be sha256: followed by 64 lowercase hex digits'),
})

/** `?tag=a&tag=b` and `?tag=a,b` both give ['a', 'b']. */
const listParam = (item: z.ZodType<string, string>) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s.length > 0))
    .pipe(z.array(item).max(64))

export const ToolNameSchema = z.string().regex(TOOL_PATTERN, 'invalid tool name')

export const ListQuerySchema = z.strictObject({
  type: listParam(TypeSchema).optional(),
  tag: listParam(TagSchema).optional(),
  tool: listParam(ToolNameSchema).optional(),
  key: KeySchema.optional(),
  visibility: z.enum(VISIBILITIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
})

export const PageSchema = z.object({
  items: z.array(MemoryEntryWireSchema),
  nextCursor: z.string().nullable(),
})

export const ItemsSchema = z.object({ items: z.array(MemoryEntryWireSchema) })

export const SearchBodySchema = z.strictObject({
  query: z.string().min(1).max(1000).refine(safeText, 'must be well-formed Unicode without NUL characters'),
  mode: z.enum(['fulltext', 'substring']).default('fulltext'),
  tools: z.array(ToolNameSchema).max(64).optional(),
  types: z.array(TypeSchema).max(64).optional(),
  tags: z.array(TagSchema).max(64).optional(),
  visibility: z.enum(VISIBILITIES).optional(),
  limit: z.number().int().min(1).max(100).default(10),
})

export const SearchResultSchema = z.object({
  items: z.array(z.object({ entry: MemoryEntryWireSchema, score: z.number() })),
})

export const StatsSchema = z.object({
  entries: z.number().int(),
  tokens: z.number().int(),
  tools: z.array(
    z.object({ tool: z.string(), entries: z.number().int(), tokens: z.number().int(), types: z.record(z.string(), z.number().int()) }),
  ),
})

const ifMatch = z.string().max(200).optional().describe('ETag of the version the operation expects, e.g. "3"')

export const BatchOperationSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('create'), body: MemoryInputSchema }),
  z.strictObject({ op: z.literal('get'), id: IdSchema }),
  z.strictObject({ op: z.literal('replace'), id: IdSchema, body: MemoryInputSchema, ifMatch }),
  z.strictObject({ op: z.literal('patch'), id: IdSchema, patch: PatchSchema, ifMatch }),
  z.strictObject({ op: z.literal('delete'), id: IdSchema, ifMatch }),
])
export type BatchOperation = z.infer<typeof BatchOperationSchema>

export const MAX_BATCH_OPERATIONS = 100

export const BatchBodySchema = z.strictObject({
  operations: z.array(BatchOperationSchema).min(1).max(MAX_BATCH_OPERATIONS),
})

export const BatchResultSchema = z.object({
  results: z.array(
    z.object({
      status: z.number().int(),
      entry: WrittenEntrySchema.optional(),
      deduplicated: z.boolean().optional(),
      problem: ProblemSchema.optional(),
    }),
  ),
})

export const ConditionalHeadersSchema = z.object({
  'if-match': ifMatch,
  'if-none-match': z.string().max(200).optional(),
})

export const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
})
