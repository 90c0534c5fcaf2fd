/**
 * The MemoryStore contract (design §4): the one port every backend (memory, PGlite, Postgres) and
 * every decorator (metrics, cache, traffic split) implements, and that the conformance suite in
 * `test/conformance/memory-store.suite.ts` pins.
 *
 * Rules shared by all members:
 * - Stores do not enforce access control; the domain layer (MemoryManager) decides who may read what
 *   and passes owner-scoped arguments. The only access-aware input is `ReadAccess` in list/search,
 *   so that filtering happens inside the query (never page-then-filter).
 * - Expired entries (`expiresAt <= now`, with `now` from the store's clock) are invisible to every
 *   read and are treated as absent by every write: a create may reuse their key or content, an
 *   update of one fails with `not_found`. `purgeExpired` removes them physically.
 * - Conflicts are reported by throwing `AppError` with codes `version_conflict`, `key_conflict`,
 *   `duplicate_content` or `not_found`; an unreachable backend throws `backend_unavailable`.
 * - Entries returned are fresh objects the caller may mutate.
 */
import type { AccessRecord } from '../domain/memory/access-recorder.js'
import type { MemoryEntry, MirrorRecord, Tombstone, Visibility } from '../domain/memory/memory-entry.js'
import type { ToolsContract } from './tools-contract.js'

export type { BudgetedResult, BudgetedWrite, CandidateOrder, ToolsContract } from './tools-contract.js'

/** Who is reading: the caller's own tool, tools that granted it read access, and shared entries. */
export interface ReadAccess {
  /** The caller's tool: all of its entries are readable. Null: none (a key without the `read` scope). */
  tool: string | null
  /** Other tools whose entries (private or shared) the caller may read. */
  grantedTools: string[]
  /** Whether `shared` entries of every tool are readable. Normally true. */
  includeShared: boolean
}

export interface EntryFilter {
  access: ReadAccess
  /** Restrict to these owning tools (intersected with what `access` allows). */
  tools?: string[]
  /** Any of these types. */
  types?: string[]
  /** Entries carrying every one of these tags. */
  tags?: string[]
  /** Exact key. */
  key?: string
  visibility?: Visibility
  /**
   * Entries whose content contains this text: a literal substring (`%`, `_` and `\` are plain
   * characters), case-insensitive (ASCII letters in every locale but a Turkish one; other letters as
   * the backend folds case: JavaScript `toLowerCase` in memory, the database's ctype in SQL). The
   * empty string matches every entry. SQL stores look at the same text as substring search: plain
   * contents whole, compressed contents within their first 4 096 characters only (a match further
   * on is missed).
   */
  contains?: string
}

export interface Page<T> {
  items: T[]
  /** Opaque; pass back to get the next page. Null when there is no more. */
  nextCursor: string | null
}

export type SearchMode = 'fulltext' | 'substring'

export interface SearchRequest {
  /** The user's text; never interpreted as syntax beyond websearch rules (fulltext). */
  text: string
  mode: SearchMode
  filter: EntryFilter
  /** 1..100 */
  limit: number
}

export interface SearchHit {
  entry: MemoryEntry
  /** Higher is better; fulltext: ts_rank_cd, substring: word similarity in 0..1. */
  score: number
}

export interface ToolStats {
  tool: string
  entries: number
  tokens: number
  /** Entry count per type. */
  types: Record<string, number>
}

export interface StoreStats {
  entries: number
  tokens: number
  tools: ToolStats[]
}

/** A position in (tool, id) order for `scan`. */
export interface ScanKey {
  tool: string
  id: string
}

export type MirrorResult = 'applied' | 'stale'

/** The HTTP response remembered for an Idempotency-Key. */
export interface StoredResponse {
  status: number
  headers: Record<string, string>
  body: unknown
}

export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'pending' }
  | { state: 'done'; requestHash: string; response: StoredResponse }

export interface WriteOptions {
  /**
   * Optimistic concurrency. Undefined: unconditional. A number: the stored version must equal it,
   * else `version_conflict` (412). `0` means "must not exist" (create-only).
   */
  expectVersion?: number
}

export interface CreateOptions {
  /**
   * Keyless entries only: when a live entry with the same (tool, type, contentHash) exists, return
   * it with `created: false` instead of inserting (design §3 dedupe). Atomic under concurrency.
   */
  dedupe: boolean
}

export interface CreateResult {
  entry: MemoryEntry
  /** False when an existing entry was returned by dedupe. */
  created: boolean
}

/**
 * A row of the mirror outbox (design §7): the state of (tool, id) must still reach the side named
 * `target`. The row holds no entry: a replay reads the current state from the store that holds the
 * outbox (`mirrorRecord`) and sends that, so replays are idempotent and never carry stale data.
 * `key` is set for writes by key, whose affected id is only known once the write has run.
 */
export interface OutboxItem {
  /** Increasing per store; identifies the row. */
  seq: number
  target: string
  tool: string
  id: string
  key: string | null
  /** Failed replays so far. */
  attempts: number
  /** ms since epoch, from the store's clock. */
  createdAt: number
  /** The row is due for replay at this time (ms). */
  nextAttemptAt: number
  /** The last failure's message (at most 500 characters), or null. */
  lastError: string | null
}

export interface OutboxStats {
  /** Rows in the outbox. */
  pending: number
  /** `createdAt` of the oldest row, or null when empty. */
  oldestCreatedAt: number | null
}

/** Options every backend accepts. */
export interface StoreClockOptions {
  /** Clock in ms since epoch, used for expiry. @default Date.now */
  now?: () => number
  /**
   * How long tombstones of deleted entries are kept for `applyMirror` (a mirror or backfill older
   * than this could resurrect a deleted entry). @default 7 days
   */
  tombstoneRetentionMs?: number
}

export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 86_400_000

export interface MemoryStore extends ToolsContract {
  /** Label for metrics and logs: `memory`, `pglite`, `postgres`, or a decorator's side name. */
  readonly backend: string

  /** Open connections, apply or assert migrations. Must be called once before use. */
  init(): Promise<void>

  /** The live entry (tool, id), or null. */
  get(tool: string, id: string): Promise<MemoryEntry | null>

  /** The live entry with this id whatever its tool, or null (for cross-tool reads of shared entries). */
  getById(id: string): Promise<MemoryEntry | null>

  /** Live entries of `tool` among `ids`, in the order of `ids`; missing ids are skipped. */
  getMany(tool: string, ids: string[]): Promise<MemoryEntry[]>

  /** Live entries of `tool` whose contentHash equals `hash`, oldest first. */
  findByHash(tool: string, hash: string): Promise<MemoryEntry[]>

  /** The live entry of `tool` with this key, or null. */
  findByKey(tool: string, key: string): Promise<MemoryEntry | null>

  /**
   * Insert a new entry. The store sets `version` to 1 and keeps every other field as given
   * (ids and timestamps are assigned by the domain layer so that mirrors are byte-identical).
   * Throws `key_conflict` when a live entry of the tool has the same key, and `duplicate_content`
   * when dedupe is off and the (tool, type, contentHash) of a keyless entry is taken.
   */
  create(entry: MemoryEntry, options: CreateOptions): Promise<CreateResult>

  /**
   * Replace the live entry (entry.tool, entry.id): every field but id, tool, createdAt,
   * lastAccessedAt and accessCount is taken from `entry`; version becomes stored + 1.
   * Throws `not_found`, `version_conflict`, `key_conflict`, `duplicate_content`.
   */
  update(entry: MemoryEntry, options?: WriteOptions): Promise<MemoryEntry>

  /**
   * Upsert by (entry.tool, entry.key): replace the live entry holding that key (keeping its id and
   * createdAt, version + 1), or insert `entry` with version 1. `expectVersion: 0` = create only.
   */
  upsertByKey(entry: MemoryEntry & { key: string }, options?: WriteOptions): Promise<CreateResult>

  /**
   * Delete the live entry (tool, id). Returns the tombstone describing the delete, or null when
   * there was nothing to delete (and no `expectVersion` was given). Throws `version_conflict`
   * when `expectVersion` is given and differs (an absent entry then also conflicts, unless 0).
   */
  delete(tool: string, id: string, options?: WriteOptions): Promise<Tombstone | null>

  /**
   * Idempotent, order-insensitive write used by dual-write and backfill: an entry is stored as given
   * (version included) only if its version is greater than the stored one and greater than any
   * remembered tombstone; a tombstone removes a stored entry of lower version and is remembered so
   * that an older entry arriving later cannot resurrect it.
   */
  applyMirror(record: MirrorRecord): Promise<MirrorResult>

  /**
   * The stored state of (tool, id) as a mirror carries it: the entry (even if expired), or the
   * remembered tombstone of its delete, or null when neither exists.
   */
  mirrorRecord(tool: string, id: string): Promise<MirrorRecord | null>

  /**
   * Add an outbox row for (tool, id, key) → `target`, due `dueInMs` from now (store clock).
   * Returns its `seq`. Written before the primary write it guards (write-ahead), so a committed
   * write always has its row until the mirror is known to have landed.
   */
  outboxAdd(item: { target: string; tool: string; id: string; key: string | null }, dueInMs: number): Promise<number>

  /**
   * Up to `limit` due rows for `target` (nextAttemptAt <= now), lowest seq first, each leased: its
   * nextAttemptAt moves to now + `leaseMs`, so that concurrent claimers (other replicas) skip it.
   */
  outboxClaim(target: string, limit: number, leaseMs: number): Promise<OutboxItem[]>

  /** Record a failed replay: attempts + 1, `lastError` (truncated), due again in `delayMs`. */
  outboxRetry(seq: number, delayMs: number, error: string): Promise<void>

  /** Remove rows whose mirror landed. Unknown seqs are ignored. */
  outboxRemove(seqs: number[]): Promise<void>

  /** Depth and oldest row, for `mcp_memory_outbox_pending` / `_oldest_age_seconds`. */
  outboxStats(): Promise<OutboxStats>

  /** Keyset-paginated listing, newest first (id descending). Stable under concurrent inserts. */
  query(filter: EntryFilter, cursor: string | null, limit: number): Promise<Page<MemoryEntry>>

  /** Ranked search; best first; ties broken by id descending. */
  search(request: SearchRequest): Promise<SearchHit[]>

  /** Live entry and token counts, per tool and type; only of `tools` when given (index-served). */
  stats(tools?: string[]): Promise<StoreStats>

  /** Live entries in (tool, id) ascending order strictly after `after` (null = from the start). */
  scan(after: ScanKey | null, limit: number): Promise<MemoryEntry[]>

  /**
   * Physically remove up to `limit` entries expired at `now` (ms); returns how many. Also drops
   * lapsed idempotency records and tombstones older than the store's tombstone retention.
   */
  purgeExpired(now: number, limit: number): Promise<number>

  /**
   * Add read counts and latest read times (`accessCount`, `lastAccessedAt`) in one batch, off the
   * request path. Never changes `version`; records of absent or expired entries are skipped.
   */
  recordAccess(records: AccessRecord[]): Promise<void>

  /** Claim an Idempotency-Key for (tool, key); see `IdempotencyClaim`. Pending claims lapse after `ttlMs`. */
  claimIdempotencyKey(tool: string, key: string, requestHash: string, ttlMs: number): Promise<IdempotencyClaim>

  /**
   * Record the response for a key still claimed (pending) with this `requestHash`; kept for `ttlMs`.
   * Returns false when the claim lapsed and was taken over, in which case nothing is written.
   */
  completeIdempotencyKey(tool: string, key: string, requestHash: string, response: StoredResponse, ttlMs: number): Promise<boolean>

  /** Drop a claim whose request failed, so that a retry can run. */
  releaseIdempotencyKey(tool: string, key: string): Promise<void>

  /** Cheap liveness check of the backend; throws `backend_unavailable` when unreachable. */
  ping(): Promise<void>

  /** Release connections. Idempotent. */
  close(): Promise<void>
}
