/**
 * The records of the traffic split that are not entries — idempotency records, tool registrations
 * and the cross-tool access log — live on one side, the *home*: blue until `complete`, then green.
 * Moving idempotency records with the write dial would let a retry run twice; registrations must
 * not differ between two replicas routed to different sides.
 *
 * Registration writes are copied to the other side as they happen, best effort (a failure is
 * ignored: the copy at the end of every backfill catches up, registrations.ts), so that green holds
 * them when it becomes home. The access log stays where it was written.
 */
import type { AccessLogQuery, CrossToolRead, LoggedRead, ToolRecord } from '../domain/tools/tool-record.js'
import type { IdempotencyClaim, MemoryStore, StoredResponse, WriteOptions } from '../storage/memory-store.js'

export class HomeSide {
  constructor(
    /** The home side's store now. */
    private readonly home: () => MemoryStore,
    /** The other side's store, when it can take a copy now (null: green not initialised). */
    private readonly away: () => MemoryStore | null,
  ) {}

  claimIdempotencyKey(tool: string, key: string, requestHash: string, ttlMs: number): Promise<IdempotencyClaim> {
    return this.home().claimIdempotencyKey(tool, key, requestHash, ttlMs)
  }

  completeIdempotencyKey(tool: string, key: string, requestHash: string, response: StoredResponse, ttlMs: number): Promise<boolean> {
    return this.home().completeIdempotencyKey(tool, key, requestHash, response, ttlMs)
  }

  releaseIdempotencyKey(tool: string, key: string): Promise<void> {
    return this.home().releaseIdempotencyKey(tool, key)
  }

  getTool(tool: string): Promise<ToolRecord | null> {
    return this.home().getTool(tool)
  }

  listTools(): Promise<ToolRecord[]> {
    return this.home().listTools()
  }

  async registerTool(record: ToolRecord): Promise<{ record: ToolRecord; created: boolean }> {
    const result = await this.home().registerTool(record)
    if (result.created) await this.copy((s) => s.registerTool(result.record))
    return result
  }

  async putTool(record: ToolRecord, options?: WriteOptions): Promise<ToolRecord> {
    const stored = await this.home().putTool(record, options)
    await this.copy((s) => s.putTool(stored))
    return stored
  }

  appendAccessLog(records: CrossToolRead[], keepRows: number): Promise<void> {
    return this.home().appendAccessLog(records, keepRows)
  }

  readAccessLog(query: AccessLogQuery): Promise<LoggedRead[]> {
    return this.home().readAccessLog(query)
  }

  private async copy(write: (store: MemoryStore) => Promise<unknown>): Promise<void> {
    await Promise.resolve().then(() => {
      const away = this.away()
      return away && write(away)
    }).catch(() => undefined)
  }
}
