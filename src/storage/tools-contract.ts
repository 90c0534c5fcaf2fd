/**
 * The MemoryStore members for tools (design §3, §5): the registry, budgeted writes, the cross-tool
 * access log and the ranked candidate reads of context packing. Part of `MemoryStore`, pinned by the
 * conformance suite's `tools` and `budget` groups; kept in its own file so each stays readable.
 */
import type { MemoryEntry, Tombstone } from '../domain/memory/memory-entry.js'
import type { AccessLogQuery, CrossToolRead, LoggedRead, TokenBudget, ToolRecord } from '../domain/tools/tool-record.js'
import type { CreateOptions, EntryFilter, WriteOptions } from './memory-store.js'

/** A write checked against a token budget: one of the three writes that can add tokens. */
export type BudgetedWrite =
  | { op: 'create'; entry: MemoryEntry; options: CreateOptions }
  | { op: 'update'; entry: MemoryEntry; options: WriteOptions }
  | { op: 'upsertByKey'; entry: MemoryEntry & { key: string }; options: WriteOptions }

export interface BudgetedResult {
  entry: MemoryEntry
  /** False for an update, a dedupe hit or the replace branch of an upsert. */
  created: boolean
  /** Entries deleted to make room, in eviction order (each remembered as a tombstone, like a delete). */
  evicted: Tombstone[]
}

/** Ranked candidate orders for context packing; both are index-served. */
export type CandidateOrder = 'importance' | 'recent'

export interface ToolsContract {
  /**
   * Run `write` (the same semantics and errors as `create`, `update` or `upsertByKey`) so that the
   * tool's live tokens never exceed `budget.maxTokens` because of it, atomically with respect to
   * every other budgeted write of the tool (on any replica). Usage is the sum of the tool's live
   * entries' tokens; expired entries count as nothing. Only a write that grows usage past the
   * budget is acted on (a write that shrinks usage always passes, even over a lowered budget):
   * - `reject`: nothing is written; throws `token_budget_exceeded` with `extensions`
   *   `{ usedTokens, maxTokens, entryTokens }` (usage before the write).
   * - `evict`: other live entries of the tool are deleted in `budget.order`
   *   (`evictionComparator`), exactly as many as needed, then the write commits; all or nothing.
   * A write that cannot fit even after evicting every other entry throws
   * `entry_exceeds_token_budget` under either policy.
   */
  writeWithinBudget(write: BudgetedWrite, budget: TokenBudget): Promise<BudgetedResult>

  /** The registration of `tool`, or null. */
  getTool(tool: string): Promise<ToolRecord | null>

  /** Every registration, by tool name. */
  listTools(): Promise<ToolRecord[]>

  /**
   * Insert `record` (version 1) unless the tool is registered; returns the stored registration
   * and whether this call created it. Concurrent calls create it once.
   */
  registerTool(record: ToolRecord): Promise<{ record: ToolRecord; created: boolean }>

  /**
   * Insert or replace the registration (createdAt of an existing one kept; version + 1, or 1 when
   * new). `expectVersion` as in `WriteOptions` (0 = must not exist), else `version_conflict`.
   */
  putTool(record: ToolRecord, options?: WriteOptions): Promise<ToolRecord>

  /** Append cross-tool reads, then drop the oldest rows beyond `keepRows`. */
  appendAccessLog(records: CrossToolRead[], keepRows: number): Promise<void>

  /** Logged reads matching the query, newest first. */
  readAccessLog(query: AccessLogQuery): Promise<LoggedRead[]>

  /**
   * Up to `limit` live entries passing `filter`: `importance` = most important first (ties: newest
   * first), `recent` = newest first. Index-driven: the cost follows `limit`, not the tool's size.
   */
  topEntries(filter: EntryFilter, order: CandidateOrder, limit: number): Promise<MemoryEntry[]>
}
