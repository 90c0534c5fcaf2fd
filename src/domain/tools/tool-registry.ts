/**
 * ToolRegistry: the domain side of tool registrations (design §3, §5).
 *
 * - Every write first makes sure its tool is registered (`ensure`): a tool that writes for the first
 *   time is registered with the configured defaults, once (the store's insert-if-absent decides
 *   between replicas), and `onRegistered` hears of it (a log line and a counter).
 * - Budgets, default TTLs and read grants are read from a snapshot of all registrations, refreshed
 *   at most every `refreshMs` (shared by concurrent callers), so the write and read paths do not
 *   query the registry per request. A change made on this replica is visible here at once; on other
 *   replicas within `refreshMs`. A failed refresh keeps serving the last snapshot.
 */
import { AppError } from '../../errors/app-error.js'
import type { MemoryStore, WriteOptions } from '../../storage/memory-store.js'
import type { EvictionOrder, OverBudgetPolicy, ToolRecord } from './tool-record.js'

export interface ToolDefaults {
  maxTokens: number | null
  overBudget: OverBudgetPolicy
  evictionOrder: EvictionOrder
  defaultTtlSeconds: number | null
}

/** The writable fields of a registration (PUT /v2/tools/:tool). */
export interface ToolSettings {
  displayName?: string | undefined
  maxTokens: number | null
  overBudget: OverBudgetPolicy
  evictionOrder: EvictionOrder
  defaultTtlSeconds: number | null
  readers: string[]
}

export interface ToolRegistryOptions {
  defaults: ToolDefaults
  /** Longest age of the snapshot budgets and grants are read from. */
  refreshMs: number
  now: () => number
  onRegistered?: (record: ToolRecord) => void
  onRefreshError?: (err: unknown) => void
}

export class ToolRegistry {
  private snapshot = new Map<string, ToolRecord>()
  /** reader → tools granting it, derived from the snapshot on first use after each change (every read asks). */
  private grants: Map<string, string[]> | null = null
  private loadedAt = -Infinity
  private inflight: Promise<void> | null = null

  constructor(
    private readonly store: MemoryStore,
    private readonly options: ToolRegistryOptions,
  ) {}

  /** The registration of `tool` (from the snapshot), or null. */
  async get(tool: string): Promise<ToolRecord | null> {
    await this.fresh()
    return this.snapshot.get(tool) ?? null
  }

  /** The registration of a tool about to write, registering it with the defaults if needed. */
  async ensure(tool: string): Promise<ToolRecord> {
    const known = await this.get(tool)
    if (known) return known
    const at = new Date(this.options.now())
    const { record, created } = await this.store.registerTool({
      tool, displayName: tool, ...this.options.defaults, readers: [], version: 1, createdAt: at, updatedAt: at,
    })
    this.remember(record)
    if (created) this.options.onRegistered?.(record)
    return record
  }

  /** Every registration, read from the store (not the snapshot). */
  list(): Promise<ToolRecord[]> {
    return this.store.listTools()
  }

  /** The stored registration, read from the store (for GET, so an ETag is never stale). */
  read(tool: string): Promise<ToolRecord | null> {
    return this.store.getTool(tool)
  }

  /** Create or replace a registration (If-Match → `expectVersion`). */
  async put(tool: string, settings: ToolSettings, options: WriteOptions = {}): Promise<ToolRecord> {
    if (settings.readers.includes(tool)) {
      throw new AppError('validation_failed', 'a tool always reads its own entries; it cannot be among its readers', {
        errors: [{ pointer: '/body/readers', message: 'must not contain the tool itself' }],
      })
    }
    const at = new Date(this.options.now())
    const record = await this.store.putTool({
      tool,
      displayName: settings.displayName ?? tool,
      maxTokens: settings.maxTokens,
      overBudget: settings.overBudget,
      evictionOrder: settings.evictionOrder,
      defaultTtlSeconds: settings.defaultTtlSeconds,
      readers: [...new Set(settings.readers)].sort(),
      version: 0, createdAt: at, updatedAt: at,
    }, options)
    this.remember(record)
    return record
  }

  /** Tools whose registration lists `reader` among its readers. */
  async grantsTo(reader: string): Promise<readonly string[]> {
    await this.fresh()
    if (this.grants === null) {
      this.grants = new Map()
      for (const record of this.snapshot.values()) {
        for (const r of record.readers) this.grants.set(r, [...(this.grants.get(r) ?? []), record.tool])
      }
    }
    return this.grants.get(reader) ?? []
  }

  /** Registrations with a token budget (for the utilization gauge). */
  async budgeted(): Promise<ToolRecord[]> {
    await this.fresh()
    return [...this.snapshot.values()].filter((r) => r.maxTokens !== null)
  }

  /** Forget the snapshot (tests, and after restoring a backup). */
  invalidate(): void {
    this.loadedAt = -Infinity
  }

  private remember(record: ToolRecord): void {
    this.snapshot.set(record.tool, record)
    this.grants = null
  }

  private async fresh(): Promise<void> {
    if (this.options.now() - this.loadedAt < this.options.refreshMs) return
    this.inflight ??= this.reload().finally(() => {
      this.inflight = null
    })
    await this.inflight
  }

  private async reload(): Promise<void> {
    try {
      const records = await this.store.listTools()
      this.snapshot = new Map(records.map((r) => [r.tool, r]))
      this.grants = null
      this.loadedAt = this.options.now()
    } catch (err) {
      // Serve the last snapshot; without one, the caller's request fails like any store call.
      if (this.loadedAt === -Infinity) throw err
      this.options.onRefreshError?.(err)
      this.loadedAt = this.options.now()
    }
  }
}
