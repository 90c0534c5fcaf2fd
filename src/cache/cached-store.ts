/**
 * CachedStore: a MemoryStore decorator putting a HotCache in front of the store of record
 * (cache-aside, design §8). Reads by id, key and content hash try the cache first and fill it on a
 * miss; every committed write updates the cache with the written version (or a tombstone), through
 * the version-guarded set, so a slow fill of an older read can never replace a newer version.
 *
 * Correctness rules:
 * - The store commits first; a cache failure never fails a write (it becomes a pending
 *   invalidation, see CacheGuard) and never fails a read (served from the store, counted).
 * - A cached value older than `maxStalenessMs` is not served: it is re-read and refilled. This
 *   bounds how long any value missed by an invalidation (another replica's outage, an eviction
 *   race) can be served.
 * - Key pointers and hash lists are hints: a pointer is followed only to an entry that still holds
 *   the key, and a hash list is valid only for the tool generation it was built at.
 */
import type { CompressionPolicy } from '../compression/content-codec.js'
import type { AccessRecord } from '../domain/memory/access-recorder.js'
import { isExpired, type MemoryEntry, type MirrorRecord } from '../domain/memory/memory-entry.js'
import { DelegatingStore } from '../storage/delegating-store.js'
import type { TokenBudget } from '../domain/tools/tool-record.js'
import type {
  BudgetedResult, BudgetedWrite, CreateOptions, CreateResult, MemoryStore, WriteOptions,
} from '../storage/memory-store.js'
import { CacheGuard } from './cache-guard.js'
import { CacheKeys } from './cache-keys.js'
import { decodeRecord, encodeEntry, encodeTombstone } from './cache-record.js'
import type { HotCache } from './hot-cache.js'

export type CacheResult = 'hit' | 'miss' | 'error'

export interface CachedStoreOptions {
  /** Key prefix side (`blue`, `green`) so two backends never share cached values. */
  side: string
  /** Idle time-to-live of a cached entry; every read renews it (hot entries stay, cold ones leave). */
  ttlSeconds: number
  /** Oldest cached value that may be served. */
  maxStalenessMs: number
  compression: CompressionPolicy
  now?: () => number
  onResult?: (result: CacheResult) => void
  onCompressed?: (savedBytes: number, ratio: number) => void
  onError?: (err: unknown, op: string) => void
}

export class CachedStore extends DelegatingStore {
  readonly guard: CacheGuard
  private readonly keys: CacheKeys
  private readonly now: () => number

  constructor(
    inner: MemoryStore,
    private readonly cache: HotCache,
    private readonly options: CachedStoreOptions,
  ) {
    super(inner)
    this.keys = new CacheKeys(options.side)
    this.now = options.now ?? Date.now
    this.guard = new CacheGuard(cache, {
      maxStalenessMs: options.maxStalenessMs, ttlSeconds: options.ttlSeconds, now: this.now, onError: options.onError,
    })
  }

  override async init(): Promise<void> {
    await this.inner.init()
    await this.cache.connect(2_000)
  }

  override async get(tool: string, id: string): Promise<MemoryEntry | null> {
    const cached = await this.readEntry(tool, id)
    if (cached !== undefined) return cached
    const entry = await this.inner.get(tool, id)
    if (entry) await this.fill(entry)
    return entry
  }

  override async findByKey(tool: string, key: string): Promise<MemoryEntry | null> {
    if (this.guard.usable) {
      const pointer = await this.attempt('findByKey', () => this.cache.getAndTouch(this.keys.key(tool, key), this.options.ttlSeconds))
      const cached = pointer ? await this.readEntry(tool, pointer.toString('utf8'), false) : undefined
      if (cached && cached.key === key) {
        this.options.onResult?.('hit')
        return cached
      }
      if (pointer !== undefined) this.options.onResult?.('miss')
    } else {
      this.options.onResult?.('miss')
    }
    const entry = await this.inner.findByKey(tool, key)
    if (entry) await this.fill(entry)
    return entry
  }

  override async findByHash(tool: string, hash: string): Promise<MemoryEntry[]> {
    let generation: string | null = null
    if (this.guard.usable) {
      const values = await this.attempt('findByHash', () => this.cache.getMany([this.keys.generation(tool), this.keys.hash(tool, hash)]))
      if (values) {
        generation = values[0]?.toString('latin1') ?? '0'
        const hit = await this.hashListHit(tool, hash, generation, values[1] ?? null)
        if (hit) return hit
        this.options.onResult?.('miss')
      }
    } else {
      this.options.onResult?.('miss')
    }
    // The generation was read before the store: a write in between makes this list invalid at once.
    const entries = await this.inner.findByHash(tool, hash)
    if (generation !== null && this.guard.usable) {
      const list = Buffer.from(JSON.stringify({ generation, ids: entries.map((e) => e.id) }), 'utf8')
      await this.attempt('fill', () => this.cache.set(this.keys.hash(tool, hash), list, this.options.ttlSeconds))
      for (const e of entries) await this.fill(e)
    }
    return entries
  }

  override async create(entry: MemoryEntry, options: CreateOptions): Promise<CreateResult> {
    const result = await this.inner.create(entry, options)
    if (result.created) await this.written(result.entry)
    else await this.fill(result.entry)
    return result
  }

  override async update(entry: MemoryEntry, options?: WriteOptions): Promise<MemoryEntry> {
    const updated = await this.inner.update(entry, options)
    await this.written(updated)
    return updated
  }

  override async upsertByKey(entry: MemoryEntry & { key: string }, options?: WriteOptions): Promise<CreateResult> {
    const result = await this.inner.upsertByKey(entry, options)
    await this.written(result.entry)
    return result
  }

  override async writeWithinBudget(write: BudgetedWrite, budget: TokenBudget): Promise<BudgetedResult> {
    const result = await this.inner.writeWithinBudget(write, budget)
    if (result.created || write.op !== 'create') await this.written(result.entry)
    else await this.fill(result.entry)
    for (const t of result.evicted) await this.writeTombstone(t.tool, t.id, t.version)
    return result
  }

  override async delete(tool: string, id: string, options?: WriteOptions) {
    const tombstone = await this.inner.delete(tool, id, options)
    if (tombstone) await this.writeTombstone(tool, id, tombstone.version)
    return tombstone
  }

  override async applyMirror(record: MirrorRecord) {
    // A mirrored entry may displace another row holding its key or keyless content (the primary
    // already resolved that conflict); find those first so their cached copies can be retired.
    const displaced = record.kind === 'entry' ? await this.holdersOf(record.entry) : []
    const result = await this.inner.applyMirror(record)
    if (result === 'applied') {
      if (record.kind === 'entry') await this.written(record.entry)
      else await this.writeTombstone(record.tombstone.tool, record.tombstone.id, record.tombstone.version)
      for (const other of displaced) await this.writeTombstone(other.tool, other.id, other.version + 1)
    }
    return result
  }

  /**
   * Access statistics go to the store, then into cached copies (same version, same fill time, so
   * neither the version guard nor the staleness bound is affected). Best effort: a copy the cache
   * cannot update keeps older figures until it is refilled.
   */
  override async recordAccess(records: AccessRecord[]): Promise<void> {
    await this.inner.recordAccess(records)
    if (!this.guard.usable) return
    for (const r of records) {
      const key = this.keys.entry(r.tool, r.id)
      const [value] = (await this.attempt('fill', () => this.cache.getMany([key]))) ?? []
      const record = value ? await decodeRecord(value).catch(() => null) : null
      if (record?.kind !== 'entry') continue
      const entry = record.entry
      entry.accessCount += r.count
      if (!entry.lastAccessedAt || entry.lastAccessedAt < r.lastAccessedAt) entry.lastAccessedAt = new Date(r.lastAccessedAt)
      const encoded = await encodeEntry(entry, record.filledAt, this.options.compression)
      await this.attempt('fill', () => this.cache.setIfNotOlder(key, entry.version, encoded.value, this.options.ttlSeconds))
    }
  }

  /** Whether the cache answers now (for readiness details and tests). */
  async cachePing(): Promise<boolean> {
    return (await this.attempt('ping', () => this.cache.ping().then(() => true))) ?? false
  }

  override async close(): Promise<void> {
    this.guard.stop()
    await this.cache.close()
    await this.inner.close()
  }

  /**
   * The entry from the cache: an entry, null (a cached tombstone or an expired entry), or
   * undefined when the cache cannot answer (miss, stale, error, bypassed).
   */
  private async readEntry(tool: string, id: string, count = true): Promise<MemoryEntry | null | undefined> {
    const report = (result: CacheResult) => {
      if (count) this.options.onResult?.(result)
    }
    if (!this.guard.usable) {
      report('miss')
      return undefined
    }
    const value = await this.attempt('get', () => this.cache.getAndTouch(this.keys.entry(tool, id), this.options.ttlSeconds), count)
    if (value === undefined) return undefined
    const record = value ? await decodeRecord(value).catch(() => null) : null
    const now = this.now()
    if (!record || now - record.filledAt > this.options.maxStalenessMs) {
      report('miss')
      return undefined
    }
    report('hit')
    if (record.kind === 'tombstone' || isExpired(record.entry, now)) return null
    return record.entry
  }

  private async hashListHit(tool: string, hash: string, generation: string, list: Buffer | null): Promise<MemoryEntry[] | null> {
    if (!list) return null
    const parsed = JSON.parse(list.toString('utf8')) as { generation: string; ids: string[] }
    if (parsed.generation !== generation) return null
    const entries: MemoryEntry[] = []
    for (const id of parsed.ids) {
      const entry = await this.readEntry(tool, id, false)
      if (entry === undefined) return null
      if (entry && entry.contentHash === hash) entries.push(entry)
    }
    this.options.onResult?.('hit')
    return entries
  }

  /** Other live entries holding the key, or the keyless (type, content), of `entry`. */
  private async holdersOf(entry: MemoryEntry): Promise<MemoryEntry[]> {
    const holders = entry.key !== null
      ? [await this.inner.findByKey(entry.tool, entry.key)]
      : (await this.inner.findByHash(entry.tool, entry.contentHash)).filter((e) => e.key === null && e.type === entry.type)
    return holders.filter((e): e is MemoryEntry => e !== null && e.id !== entry.id)
  }

  /** Fill after a read: only while the cache is trusted, version-guarded. */
  private async fill(entry: MemoryEntry): Promise<void> {
    if (!this.guard.usable) return
    const encoded = await encodeEntry(entry, this.now(), this.options.compression)
    if (encoded.ratio !== null) this.options.onCompressed?.(encoded.savedBytes, encoded.ratio)
    await this.attempt('fill', async () => {
      await this.cache.setIfNotOlder(this.keys.entry(entry.tool, entry.id), entry.version, encoded.value, this.options.ttlSeconds)
      if (entry.key !== null) await this.cache.set(this.keys.key(entry.tool, entry.key), Buffer.from(entry.id, 'utf8'), this.options.ttlSeconds)
    })
  }

  /** After a committed write: cache the new version and bump the tool generation, or remember to invalidate. */
  private async written(entry: MemoryEntry): Promise<void> {
    const entryKey = this.keys.entry(entry.tool, entry.id)
    const generationKey = this.keys.generation(entry.tool)
    const encoded = await encodeEntry(entry, this.now(), this.options.compression)
    if (encoded.ratio !== null) this.options.onCompressed?.(encoded.savedBytes, encoded.ratio)
    const ok = await this.attempt('write', async () => {
      await this.cache.incr(generationKey, this.options.ttlSeconds)
      await this.cache.setIfNotOlder(entryKey, entry.version, encoded.value, this.options.ttlSeconds)
      if (entry.key !== null) await this.cache.set(this.keys.key(entry.tool, entry.key), Buffer.from(entry.id, 'utf8'), this.options.ttlSeconds)
      return true
    })
    if (!ok) this.guard.lost([entryKey], [generationKey])
  }

  private async writeTombstone(tool: string, id: string, version: number): Promise<void> {
    const entryKey = this.keys.entry(tool, id)
    const generationKey = this.keys.generation(tool)
    const ok = await this.attempt('write', async () => {
      await this.cache.incr(generationKey, this.options.ttlSeconds)
      await this.cache.setIfNotOlder(entryKey, version, encodeTombstone(version, this.now()), this.options.ttlSeconds)
      return true
    })
    if (!ok) this.guard.lost([entryKey], [generationKey])
  }

  /** Run a cache call; on failure count it (reads only), feed the breaker and return undefined. */
  private async attempt<T>(op: string, fn: () => Promise<T>, countError = op !== 'write' && op !== 'fill'): Promise<T | undefined> {
    try {
      const result = await fn()
      this.guard.succeeded()
      return result
    } catch (err) {
      this.guard.failed(err, op)
      if (countError) this.options.onResult?.('error')
      return undefined
    }
  }
}
