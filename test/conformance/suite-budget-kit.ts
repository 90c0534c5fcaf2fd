/** Helpers of the `budget` conformance group (suite-budget.ts, suite-evict.ts). */
import { isAppError } from '../../src/errors/app-error.js'
import type { ErrorCode } from '../../src/errors/error-codes.js'
import type { MemoryEntry, Tombstone } from '../../src/domain/memory/memory-entry.js'
import type { EvictionOrder, OverBudgetPolicy, TokenBudget } from '../../src/domain/tools/tool-record.js'
import type { BudgetedWrite, MemoryStore, WriteOptions } from '../../src/storage/memory-store.js'
import { toolsFilter, type Assert } from './suite-kit.js'

export function budget(maxTokens: number, policy: OverBudgetPolicy, order: EvictionOrder = 'oldest'): TokenBudget {
  return { maxTokens, policy, order }
}

export function create(entry: MemoryEntry, dedupe = false): BudgetedWrite {
  return { op: 'create', entry, options: { dedupe } }
}

export function update(entry: MemoryEntry, options: WriteOptions = {}): BudgetedWrite {
  return { op: 'update', entry, options }
}

export function upsert(entry: MemoryEntry & { key: string }, options: WriteOptions = {}): BudgetedWrite {
  return { op: 'upsertByKey', entry, options }
}

/** `entry` typed as keyed (it must have a key). */
export function keyed(entry: MemoryEntry): MemoryEntry & { key: string } {
  if (entry.key === null) throw new Error('keyed() needs an entry with a key')
  return entry as MemoryEntry & { key: string }
}

/** The tool's live tokens, as `stats` reports them. */
export async function usedTokens(store: MemoryStore, tool: string): Promise<number> {
  return (await store.stats([tool])).tokens
}

/** Every live entry of `tool`, newest first (whole entries: any change shows). */
export async function stateOf(store: MemoryStore, tool: string): Promise<MemoryEntry[]> {
  return (await store.query(toolsFilter([tool]), null, 100)).items
}

/** Tombstones without `deletedAt` (checked to be a Date), for comparison. */
export function tombstones(list: Tombstone[]): Array<Omit<Tombstone, 'deletedAt'>> {
  return list.map((t) => {
    if (!(t.deletedAt instanceof Date)) throw new Error(`tombstone ${t.id} has no deletedAt Date`)
    return { tool: t.tool, id: t.id, version: t.version }
  })
}

/** Asserts that `promise` rejects with an AppError of `code` and, when given, exactly these `extensions`. */
export async function expectBudgetError(
  t: Assert, promise: Promise<unknown>, code: ErrorCode, msg: string = code, extensions?: Record<string, unknown>,
): Promise<void> {
  const outcome = await promise.then((value: unknown) => ({ resolved: value }), (err: unknown) => ({ rejected: err }))
  if ('resolved' in outcome) {
    t.ok(false, `${msg}: expected a rejection with ${code}, but the promise resolved`)
    return
  }
  const err = outcome.rejected
  t.equal(isAppError(err) ? err.code : String(err), code, `${msg}: ${code}`)
  if (extensions !== undefined) t.strictSame(isAppError(err) ? err.extensions : undefined, extensions, `${msg}: extensions`)
}
