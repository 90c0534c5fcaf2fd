/**
 * HotCache on Redis through ioredis. Built to degrade, not to wait: commands time out after
 * `commandTimeoutMs`, nothing is queued while disconnected (a request must not hang on a dead
 * Redis), and ioredis reconnects by itself with capped backoff, so the cache resumes on its own.
 * The version-guarded set is a Lua script kept in ./lua (loaded once, run by EVALSHA).
 */
import { readFileSync } from 'node:fs'
import { Redis, type RedisOptions } from 'ioredis'
import type { HotCache } from './hot-cache.js'

const SET_IF_NOT_OLDER = readFileSync(new URL('./lua/set-if-not-older-1.lua', import.meta.url), 'utf8')

export interface RedisHotCacheOptions {
  url: string
  /** Per-command deadline. @default 100 */
  commandTimeoutMs?: number
  /** Called on connection errors (they are frequent while Redis is down: log at debug/warn). */
  onError?: (err: Error) => void
}

type GuardedRedis = Redis & {
  setIfNotOlder(key: string, version: number, value: Buffer, ttl: number): Promise<number>
}

export function createRedisHotCache(options: RedisHotCacheOptions): HotCache {
  const redisOptions: RedisOptions = {
    commandTimeout: options.commandTimeoutMs ?? 100,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    lazyConnect: false,
  }
  const redis = new Redis(options.url, redisOptions) as GuardedRedis
  redis.on('error', (err: Error) => options.onError?.(err))
  redis.defineCommand('setIfNotOlder', { numberOfKeys: 1, lua: SET_IF_NOT_OLDER })
  let closed = false

  return {
    kind: 'redis',
    async getAndTouch(key, ttlSeconds) {
      return redis.getexBuffer(key, 'EX', ttlSeconds)
    },
    async getMany(keys) {
      return keys.length === 0 ? [] : redis.mgetBuffer(...keys)
    },
    async setIfNotOlder(key, version, value, ttlSeconds) {
      return (await redis.setIfNotOlder(key, version, value, ttlSeconds)) === 1
    },
    async set(key, value, ttlSeconds) {
      await redis.set(key, value, 'EX', ttlSeconds)
    },
    async incr(key, ttlSeconds) {
      const results = await redis.multi().incr(key).expire(key, ttlSeconds).exec()
      if (!results) throw new Error('INCR transaction aborted')
      for (const [err] of results) if (err) throw err
      return Number(results[0]?.[1])
    },
    async delete(keys) {
      if (keys.length > 0) await redis.del(...keys)
    },
    async connect(timeoutMs) {
      if (redis.status === 'ready') return
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          redis.off('ready', done)
          resolve()
        }
        const timer = setTimeout(done, timeoutMs)
        redis.once('ready', done)
      })
    },
    async ping() {
      await redis.ping()
    },
    async close() {
      if (closed) return
      closed = true
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
