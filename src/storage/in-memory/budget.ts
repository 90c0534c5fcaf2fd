/**
 * Budgeted writes of the in-memory store. The store's writes run synchronously, so the whole budgeted
 * write (usage before, the write, usage after, rollback or eviction) runs without yielding: atomic
 * with respect to every other call, as the SQL store's locked transaction is. Usage is measured
 * around the write, as in SQL (sql-store-budget.ts), so dedupe hits, token differences of updates and
 * expired rows a write replaces all count right.
 */
import { entryExceedsTokenBudget, tokenBudgetExceeded } from '../../errors/conflicts.js'
import { isExpired, type MemoryEntry, type Tombstone } from '../../domain/memory/memory-entry.js'
import { evictionComparator, type TokenBudget } from '../../domain/tools/tool-record.js'
import type { BudgetedResult, BudgetedWrite, CreateResult } from '../memory-store.js'
import type { EntryTable } from './entry-table.js'

export interface BudgetDeps {
  table: EntryTable
  now: () => number
  /** The store's own write, run synchronously (throws its usual errors). */
  write: (write: BudgetedWrite) => CreateResult
  /** Delete a live entry as `delete` does (its tombstone remembered); returns the tombstone. */
  remove: (entry: MemoryEntry) => Tombstone
}

export function budgetedWrite(deps: BudgetDeps, write: BudgetedWrite, budget: TokenBudget): BudgetedResult {
  const { tool } = write.entry
  const rowsOfTool = () => [...deps.table.all()].filter((e) => e.tool === tool)
  const used = () => {
    const at = deps.now()
    return rowsOfTool().reduce((sum, e) => (isExpired(e, at) ? sum : sum + e.tokens), 0)
  }
  const before = used()
  const snapshot = rowsOfTool().map((e) => structuredClone(e))
  const { entry, created } = deps.write(write)
  const after = used()
  if (after <= budget.maxTokens || after <= before) return { entry, created, evicted: [] }

  const refuse = entry.tokens > budget.maxTokens
    ? entryExceedsTokenBudget(entry.tokens, budget.maxTokens)
    : budget.policy === 'reject' ? tokenBudgetExceeded(before, budget.maxTokens, entry.tokens) : null
  if (refuse) {
    // Undo the write: the tool's rows as they were (a write touches no other tool's rows).
    for (const row of rowsOfTool()) deps.table.remove(row.tool, row.id)
    for (const row of snapshot) deps.table.put(row)
    throw refuse
  }
  const at = deps.now()
  const candidates = rowsOfTool()
    .filter((e) => e.id !== entry.id && !isExpired(e, at))
    .sort(evictionComparator(budget.order))
  const evicted: Tombstone[] = []
  let freed = 0
  for (const victim of candidates) {
    if (after - freed <= budget.maxTokens) break
    freed += victim.tokens
    evicted.push(deps.remove(victim))
  }
  return { entry, created, evicted }
}
