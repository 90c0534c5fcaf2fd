/**
 * Tool registrations travel with a backfill: the registry lives with blue until `complete`
 * (TrafficSplitStore), so green must hold every registration, budgets and grants included, before
 * it takes over. Registry writes during a migration are copied to green as they happen (best
 * effort); this copy, at the end of every backfill, catches whatever that missed. A registration is
 * copied when green lacks it or holds an older one (by `updatedAt`); green numbers its own versions.
 * NDJSON backups carry registrations the same way (ndjson-backup.ts).
 */
import { z } from 'zod'
import { TOOL_PATTERN } from '../../domain/memory/memory-entry.js'
import { EVICTION_ORDERS, OVER_BUDGET_POLICIES, type ToolRecord } from '../../domain/tools/tool-record.js'
import type { MemoryStore } from '../../storage/memory-store.js'

export type RegistrySource = Pick<MemoryStore, 'listTools'>
export type RegistryTarget = Pick<MemoryStore, 'getTool' | 'putTool'>

/** Copy the registrations of `tools` (all when null) that the target lacks or holds older; returns how many. */
export async function copyRegistrations(source: RegistrySource, target: RegistryTarget, tools: readonly string[] | null): Promise<number> {
  const records = (await source.listTools()).filter((record) => tools === null || tools.includes(record.tool))
  return applyRegistrations(target, records)
}

/** Write each of `records` the target lacks or holds older (by `updatedAt`); returns how many were written. */
export async function applyRegistrations(target: RegistryTarget, records: readonly ToolRecord[]): Promise<number> {
  let written = 0
  for (const record of records) {
    const there = await target.getTool(record.tool)
    if (there !== null && there.updatedAt.getTime() >= record.updatedAt.getTime()) continue
    await target.putTool(record)
    written++
  }
  return written
}

/** A registration as a backup line holds it (times as RFC 3339). */
export const RegistrationJsonSchema = z.strictObject({
  tool: z.string().regex(TOOL_PATTERN),
  displayName: z.string().max(200),
  maxTokens: z.number().int().min(0).nullable(),
  overBudget: z.enum(OVER_BUDGET_POLICIES),
  evictionOrder: z.enum(EVICTION_ORDERS),
  defaultTtlSeconds: z.number().int().min(1).nullable(),
  readers: z.array(z.string().regex(TOOL_PATTERN)),
  version: z.number().int().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
})

export function registrationToJson(record: ToolRecord): z.infer<typeof RegistrationJsonSchema> {
  return { ...record, createdAt: record.createdAt.toISOString(), updatedAt: record.updatedAt.toISOString() }
}

/** The registration of a backup line, or the problems that keep it from being one. */
export function registrationFromJson(value: unknown): { record: ToolRecord } | { problems: string[] } {
  const parsed = RegistrationJsonSchema.safeParse(value)
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `registration${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`) }
  return { record: { ...parsed.data, createdAt: new Date(parsed.data.createdAt), updatedAt: new Date(parsed.data.updatedAt) } }
}
