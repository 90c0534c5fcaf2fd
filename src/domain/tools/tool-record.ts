/**
 * The tool registry's model (design §3, §5): every tool that writes memories has a registration
 * holding its token budget, what happens when a write would exceed it, the order entries are
 * evicted in, its default TTL and the tools it lets read its private entries.
 */
import type { MemoryEntry } from '../memory/memory-entry.js'

export const OVER_BUDGET_POLICIES = ['reject', 'evict'] as const
export type OverBudgetPolicy = (typeof OVER_BUDGET_POLICIES)[number]

export const EVICTION_ORDERS = ['lru', 'lfu', 'importance', 'oldest'] as const
export type EvictionOrder = (typeof EVICTION_ORDERS)[number]

export interface ToolRecord {
  tool: string
  displayName: string
  /** Most tokens the tool's live entries may hold together; null = unlimited. */
  maxTokens: number | null
  overBudget: OverBudgetPolicy
  evictionOrder: EvictionOrder
  /** Applied to writes that state neither `ttlSeconds` nor `expiresAt`; null = no default expiry. */
  defaultTtlSeconds: number | null
  /** Tools allowed to read this tool's private entries (sorted, no duplicates). */
  readers: string[]
  /** 1 on registration, +1 per change (ETag of `/v2/tools/:tool`). */
  version: number
  createdAt: Date
  updatedAt: Date
}

/** What a budgeted write is checked against, inside the store's write. */
export interface TokenBudget {
  maxTokens: number
  policy: OverBudgetPolicy
  order: EvictionOrder
}

/** The budget of a registration, or null when it has none. */
export function budgetOf(record: ToolRecord | null): TokenBudget | null {
  if (record === null || record.maxTokens === null) return null
  return { maxTokens: record.maxTokens, policy: record.overBudget, order: record.evictionOrder }
}

/** One read of another tool's entry (the cross-tool access log). */
export interface CrossToolRead {
  /** The tool that read. */
  reader: string
  /** The tool that owns the entry. */
  owner: string
  id: string
  /** How it was read: get, list, search, context. */
  via: string
  at: Date
}

/** A logged cross-tool read with its position in the log (newest has the highest `seq`). */
export interface LoggedRead extends CrossToolRead {
  seq: number
}

export interface AccessLogQuery {
  reader?: string
  owner?: string
  /** Only rows with a lower seq (the next page of an earlier answer). */
  beforeSeq?: number
  limit: number
}

/**
 * Eviction order as a comparator, first victim first. Ties always end on the id (UUIDv7: creation
 * order), so the order is total and the same on every backend:
 * - lru: least recently read first; an entry never read counts as read when it was created.
 * - lfu: fewest reads first, then least recently read.
 * - importance: least important first, then oldest.
 * - oldest: earliest created first.
 */
export function evictionComparator(order: EvictionOrder): (a: MemoryEntry, b: MemoryEntry) => number {
  const lastUse = (e: MemoryEntry) => (e.lastAccessedAt ?? e.createdAt).getTime()
  const byId = (a: MemoryEntry, b: MemoryEntry) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  switch (order) {
    case 'lru':
      return (a, b) => lastUse(a) - lastUse(b) || byId(a, b)
    case 'lfu':
      return (a, b) => a.accessCount - b.accessCount || lastUse(a) - lastUse(b) || byId(a, b)
    case 'importance':
      return (a, b) => a.importance - b.importance || byId(a, b)
    case 'oldest':
      return (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || byId(a, b)
  }
}
