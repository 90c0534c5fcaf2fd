/** Wire schemas of the tool registry (`/v2/tools`) and context packing (`/v2/context`). Requests are strict. */
import { z } from 'zod'
import { EVICTION_ORDERS, OVER_BUDGET_POLICIES, type ToolRecord } from '../../domain/tools/tool-record.js'
import { safeText, TagSchema, TypeSchema } from '../../domain/memory/memory-input.js'
import { MemoryEntryWireSchema, ToolNameSchema } from './v2.schemas.js'

export const ToolParamsSchema = z.strictObject({ tool: ToolNameSchema })

export const ToolSettingsSchema = z.strictObject({
  displayName: z.string().min(1).max(200).refine(safeText, 'must be well-formed Unicode without NUL characters').optional(),
  maxTokens: z.number().int().min(0).max(1_000_000_000_000).nullable().default(null)
    .describe('Token budget of the tool\'s live entries; null = unlimited'),
  overBudget: z.enum(OVER_BUDGET_POLICIES).default('reject')
    .describe('reject: a write past the budget gets 409; evict: entries are evicted in evictionOrder to fit it'),
  evictionOrder: z.enum(EVICTION_ORDERS).default('lru')
    .describe('lru: least recently read first; lfu: fewest reads first; importance: least important first; oldest: earliest created first; ties by id'),
  defaultTtlSeconds: z.number().int().min(1).max(10 * 365 * 86_400).nullable().default(null)
    .describe('Expiry of writes that set neither ttlSeconds nor expiresAt'),
  readers: z.array(ToolNameSchema).max(256).default([])
    .describe('Tools that may read this tool\'s private entries'),
})

export const ToolWireSchema = z.object({
  tool: z.string(),
  displayName: z.string(),
  maxTokens: z.number().int().nullable(),
  overBudget: z.enum(OVER_BUDGET_POLICIES),
  evictionOrder: z.enum(EVICTION_ORDERS),
  defaultTtlSeconds: z.number().int().nullable(),
  readers: z.array(z.string()),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Tool' })

export const ToolListSchema = z.object({ items: z.array(ToolWireSchema) })

export function toolToWire(record: ToolRecord) {
  return { ...record, createdAt: record.createdAt.toISOString(), updatedAt: record.updatedAt.toISOString() }
}

const weight = z.number().min(0).max(100)

export const ContextBodySchema = z.strictObject({
  query: z.string().max(1000).refine(safeText, 'must be well-formed Unicode without NUL characters').optional()
    .describe('Full-text query; its rank is the relevance part of the score'),
  tools: z.array(ToolNameSchema).max(64).optional(),
  types: z.array(TypeSchema).max(64).optional(),
  tags: z.array(TagSchema).max(64).optional(),
  maxTokens: z.number().int().min(1).max(10_000_000).describe('The packed entries\' tokens never exceed this'),
  strategy: z.enum(['balanced', 'relevance', 'importance', 'recency']).default('balanced')
    .describe('Preset weights: balanced 0.5/0.3/0.2, relevance 0.8/0.1/0.1, importance 0.1/0.8/0.1, recency 0.1/0.1/0.8 (relevance/importance/recency)'),
  weights: z.strictObject({ relevance: weight.optional(), importance: weight.optional(), recency: weight.optional() }).optional()
    .describe('Overrides of the strategy\'s weights'),
  halfLifeHours: z.number().positive().max(87_600).default(168).describe('Age at which the recency part counts half'),
})

export const ContextResultSchema = z.object({
  items: z.array(z.object({ entry: MemoryEntryWireSchema, score: z.number(), tokens: z.number().int() })),
  totalTokens: z.number().int(),
  maxTokens: z.number().int(),
  weights: z.object({ relevance: z.number(), importance: z.number(), recency: z.number() }),
  candidates: z.number().int().describe('Candidates scored'),
  omitted: z.array(z.object({
    id: z.string(), tool: z.string(), tokens: z.number().int(), score: z.number(), reason: z.literal('did_not_fit'),
  })).describe('The best-scored candidates left out (at most 50)'),
  omittedCount: z.number().int(),
})
