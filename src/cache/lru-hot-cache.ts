/**
 * In-process HotCache over lru-cache, bounded by entry count (`CACHE_MAX_ENTRIES`), for the
 * embedded default where there is no Redis. Least recently used entries leave first; a read
 * refreshes the TTL as Redis GETEX does. Per process: not shared between replicas.
 */
import { LRUCache } from 'lru-cache'
import { valueVersion, type HotCache } from './hot-cache.js'

export interface LruHotCacheOptions {
  /** @default 10000 */
  maxEntries?: number
}

/**
 * A copy with memory of its own: small Buffers are slices of Node's shared 8 KiB pool, and keeping
 * such a slice in a long-lived cache would keep the whole pool chunk alive (measured: ~4× the data).
 */
function owned(value: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(value.length)
  value.copy(copy)
  return copy
}

export function createLruHotCache(options: LruHotCacheOptions = {}): HotCache {
  const lru = new LRUCache<string, Buffer>({ max: options.maxEntries ?? 10_000, ttlAutopurge: false })
  return {
    kind: 'lru',
    async getAndTouch(key, ttlSeconds) {
      const value = lru.get(key)
      if (value === undefined) return null
      lru.set(key, value, { ttl: ttlSeconds * 1000 })
      return value
    },
    async getMany(keys) {
      return keys.map((k) => lru.get(k) ?? null)
    },
    async setIfNotOlder(key, version, value, ttlSeconds) {
      const held = lru.get(key)
      if (held !== undefined && valueVersion(held) > version) return false
      lru.set(key, owned(value), { ttl: ttlSeconds * 1000 })
      return true
    },
    async set(key, value, ttlSeconds) {
      lru.set(key, owned(value), { ttl: ttlSeconds * 1000 })
    },
    async incr(key, ttlSeconds) {
      const next = Number(lru.get(key)?.toString('latin1') ?? '0') + 1
      lru.set(key, Buffer.from(String(next), 'latin1'), { ttl: ttlSeconds * 1000 })
      return next
    },
    async delete(keys) {
      for (const k of keys) lru.delete(k)
    },
    async connect() {},
    async ping() {},
    async close() {
      lru.clear()
    },
  }
}
