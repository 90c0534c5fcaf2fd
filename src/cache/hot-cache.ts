/**
 * The HotCache port: only the operations CachedStore uses. Two implementations — Redis
 * (`redis-hot-cache.ts`, shared by replicas) and an in-process LRU (`lru-hot-cache.ts`, the
 * embedded default). Values are opaque buffers whose first 10 bytes are the ASCII version of the
 * entry they hold (see cache-record.ts), which is what `setIfNotOlder` compares.
 *
 * Error policy: the cache may fail (network, timeout). Methods then reject; CachedStore counts the
 * error and serves from the store. Nothing here retries.
 */
export interface HotCache {
  /** `redis` or `lru`: a metrics label. */
  readonly kind: 'redis' | 'lru'

  /** The value at `key`, resetting its time-to-live to `ttlSeconds` (a read keeps an entry hot). */
  getAndTouch(key: string, ttlSeconds: number): Promise<Buffer | null>

  /** Values of `keys` in order (null where absent); no TTL change. Keys share one hash slot. */
  getMany(keys: string[]): Promise<(Buffer | null)[]>

  /**
   * Store `value` at `key` for `ttlSeconds` unless the value held there has a greater version
   * (equal versions are the same content and may be refreshed). Atomic. True when stored.
   */
  setIfNotOlder(key: string, version: number, value: Buffer, ttlSeconds: number): Promise<boolean>

  /** Unconditional set with a time-to-live (pointers and lists that carry their own validity). */
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void>

  /** Increment the integer at `key` (missing = 0) and set its TTL; returns the new value. */
  incr(key: string, ttlSeconds: number): Promise<number>

  /** Remove `keys` (which share one hash slot). */
  delete(keys: string[]): Promise<void>

  /** Wait (at most `timeoutMs`) for the first connection; never throws: a cache that is down stays optional. */
  connect(timeoutMs: number): Promise<void>

  /** Throws when the cache cannot be reached. */
  ping(): Promise<void>

  /** Release the connection. Idempotent. */
  close(): Promise<void>
}

/** The version a cache value carries in its first 10 bytes (ASCII digits). */
export function valueVersion(value: Buffer): number {
  return Number(value.subarray(0, 10).toString('latin1'))
}
