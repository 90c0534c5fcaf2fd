/**
 * Budgeted writes of the SQL store (`writeWithinBudget`): one transaction per write holding the
 * tool's budget lock (an advisory lock, so every replica's budgeted writes of the tool queue on it):
 *
 *   lock → usage before → the write (the ordinary write statements) → usage after →
 *   accept, or reject (rollback), or evict just enough in the tool's order → commit
 *
 * Measuring usage around the write, instead of predicting the write's effect, keeps every special
 * case of the write statements right for free: a dedupe hit adds nothing, an update adds the token
 * difference, a write that lands on an expired row frees its tokens. Five statements on the
 * evicting path, four otherwise; tools without a budget never come here (MemoryManager).
 */
import { versionConflict, entryExceedsTokenBudget, tokenBudgetExceeded } from '../../errors/conflicts.js'
import type { Tombstone } from '../../domain/memory/memory-entry.js'
import type { TokenBudget } from '../../domain/tools/tool-record.js'
import type { BudgetedResult, BudgetedWrite, MemoryStore } from '../memory-store.js'
import { DELETE_VICTIMS, LOCK_TOOL_BUDGET, USED_TOKENS, VICTIMS } from './queries-budget.js'
import { VERSION_BY_ID } from './queries-entries.js'
import { toTombstone, type TombstoneRow } from './rows.js'
import type { SqlDriver, SqlQueryable } from './sql-driver.js'
import { writeOperations } from './sql-store-write.js'
import { isIdTaken, type StoreContext, versionOf } from './store-context.js'

/** Victims fetched per round; a round that does not free enough fetches 16 times more. */
const FIRST_VICTIM_BATCH = 64

export function budgetOperations(ctx: StoreContext): Pick<MemoryStore, 'writeWithinBudget'> {
  return {
    async writeWithinBudget(write, budget) {
      try {
        return await ctx.db.transaction((tx) => budgetedWrite({ ...ctx, db: scoped(ctx.db, tx), inTransaction: true }, write, budget))
      } catch (err) {
        if (!isIdTaken(err)) throw err
        throw versionConflict(await versionOf(ctx, VERSION_BY_ID, [write.entry.tool, write.entry.id, ctx.now()]))
      }
    },
  }
}

async function budgetedWrite(ctx: StoreContext, write: BudgetedWrite, budget: TokenBudget): Promise<BudgetedResult> {
  const { tool } = write.entry
  const now = ctx.now()
  await ctx.db.query(LOCK_TOOL_BUDGET, [tool])
  const before = await usedTokens(ctx, tool, now)
  const ops = writeOperations(ctx)
  const { entry, created } = write.op === 'create'
    ? await ops.create(write.entry, write.options)
    : write.op === 'update'
      ? { entry: await ops.update(write.entry, write.options), created: false }
      : await ops.upsertByKey(write.entry, write.options)
  const after = await usedTokens(ctx, tool, now)
  if (after <= budget.maxTokens || after <= before) return { entry, created, evicted: [] }
  if (entry.tokens > budget.maxTokens) throw entryExceedsTokenBudget(entry.tokens, budget.maxTokens)
  if (budget.policy === 'reject') throw tokenBudgetExceeded(before, budget.maxTokens, entry.tokens)
  const victims = await chooseVictims(ctx, tool, entry.id, budget, after - budget.maxTokens, now)
  const { rows } = await ctx.db.query<TombstoneRow>(DELETE_VICTIMS, [tool, victims, now])
  const byId = new Map(rows.map((row) => [String(row.id), toTombstone(row)]))
  const evicted = victims.map((id) => byId.get(id)).filter((t): t is Tombstone => t !== undefined)
  return { entry, created, evicted }
}

/** The shortest prefix of the eviction order whose tokens reach `needed`. */
async function chooseVictims(ctx: StoreContext, tool: string, writtenId: string, budget: TokenBudget, needed: number, now: Date): Promise<string[]> {
  for (let batch = FIRST_VICTIM_BATCH; ; batch *= 16) {
    const { rows } = await ctx.db.query<{ id: string; tokens: number }>(VICTIMS[budget.order], [tool, now, writtenId, batch])
    const chosen: string[] = []
    let freed = 0
    for (const row of rows) {
      chosen.push(row.id)
      freed += Number(row.tokens)
      if (freed >= needed) return chosen
    }
    // Every other entry is not enough: only possible when the entry alone exceeds the budget,
    // which was ruled out before; kept as a guard against a concurrent unbudgeted write.
    if (rows.length < batch) throw entryExceedsTokenBudget(needed, budget.maxTokens)
  }
}

async function usedTokens(ctx: StoreContext, tool: string, now: Date): Promise<number> {
  const { rows } = await ctx.db.query<{ used: string | number }>(USED_TOKENS, [tool, now])
  return Number(rows[0]?.used ?? 0)
}

/** The driver's shape over a transaction: statements run on `tx`; nested transactions are refused. */
function scoped(driver: SqlDriver, tx: SqlQueryable): SqlDriver {
  return {
    label: driver.label,
    query: <T>(statement: Parameters<SqlQueryable['query']>[0], params?: readonly unknown[]) => tx.query<T>(statement, params),
    exec: (script) => tx.exec(script),
    transaction: () => Promise.reject(new Error('nested transactions are not supported')),
    close: async () => {},
  }
}
