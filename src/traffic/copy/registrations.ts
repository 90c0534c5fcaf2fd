/**
 * Tool registrations travel with a backfill: the registry lives with blue until `complete`
 * (TrafficSplitStore), so green must hold every registration, budgets and grants included, before
 * it takes over. Registry writes during a migration are copied to green as they happen (best
 * effort); this copy, at the end of every backfill, catches whatever that missed. A registration is
 * copied when green lacks it or holds an older one (by `updatedAt`); green numbers its own versions.
 */
import type { MemoryStore } from '../../storage/memory-store.js'

export type RegistrySource = Pick<MemoryStore, 'listTools'>
export type RegistryTarget = Pick<MemoryStore, 'getTool' | 'putTool'>

/** Copy the registrations of `tools` (all when null) that the target lacks or holds older; returns how many. */
export async function copyRegistrations(source: RegistrySource, target: RegistryTarget, tools: readonly string[] | null): Promise<number> {
  let copied = 0
  for (const record of await source.listTools()) {
    if (tools !== null && !tools.includes(record.tool)) continue
    const there = await target.getTool(record.tool)
    if (there !== null && there.updatedAt.getTime() >= record.updatedAt.getTime()) continue
    await target.putTool(record)
    copied++
  }
  return copied
}
