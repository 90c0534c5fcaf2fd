/**
 * The write step of MemoryManager: a tool without a token budget takes the store's ordinary
 * one-statement writes; a tool with one takes `writeWithinBudget` (atomic in the store, see
 * tools-contract.ts), whose evictions and refusals are reported to the hooks (metrics).
 */
import { AppError } from '../../errors/app-error.js'
import type { BudgetedWrite, CreateResult, MemoryStore } from '../../storage/memory-store.js'
import type { MemoryEntry } from '../memory/memory-entry.js'
import type { MemoryInput } from '../memory/memory-input.js'
import { budgetOf, type ToolRecord } from './tool-record.js'

/** A write's result: the entry, whether it was created, and the ids its token budget evicted. */
export interface WriteOutcome extends CreateResult {
  evicted: string[]
}

export interface BudgetHooks {
  /** Told of every entry a write stored (not of dedupe hits): metrics such as large entries. */
  onWritten?: (entry: MemoryEntry) => void
  /** Told of each budgeted write that evicted entries, and of each one refused by the budget. */
  onEvicted?: (tool: string, count: number) => void
  onBudgetRefused?: (tool: string, code: string) => void
}

export class BudgetedWriter {
  constructor(
    private readonly store: MemoryStore,
    private readonly hooks: BudgetHooks,
  ) {}

  async write(tool: ToolRecord, write: BudgetedWrite): Promise<WriteOutcome> {
    const outcome = await this.run(tool, write)
    if (outcome.created || write.op !== 'create') this.hooks.onWritten?.(outcome.entry)
    return outcome
  }

  private async run(tool: ToolRecord, write: BudgetedWrite): Promise<WriteOutcome> {
    const budget = budgetOf(tool)
    if (budget === null) {
      if (write.op === 'create') return { ...(await this.store.create(write.entry, write.options)), evicted: [] }
      if (write.op === 'update') return { entry: await this.store.update(write.entry, write.options), created: false, evicted: [] }
      return { ...(await this.store.upsertByKey(write.entry, write.options)), evicted: [] }
    }
    try {
      const result = await this.store.writeWithinBudget(write, budget)
      if (result.evicted.length > 0) this.hooks.onEvicted?.(tool.tool, result.evicted.length)
      return { entry: result.entry, created: result.created, evicted: result.evicted.map((t) => t.id) }
    } catch (err) {
      if (err instanceof AppError && (err.code === 'token_budget_exceeded' || err.code === 'entry_exceeds_token_budget')) {
        this.hooks.onBudgetRefused?.(tool.tool, err.code)
      }
      throw err
    }
  }
}

/**
 * The tool's default TTL for a write that sets no expiry (`ttlSeconds` absent, `expiresAt` null):
 * an entry of a tool with a default TTL always expires; a write picks another lifetime with
 * `ttlSeconds` or `expiresAt`.
 */
export function withDefaultTtl<T extends MemoryInput>(input: T, tool: ToolRecord): T {
  if (tool.defaultTtlSeconds === null || input.ttlSeconds !== undefined || input.expiresAt != null) return input
  return { ...input, ttlSeconds: tool.defaultTtlSeconds }
}
