/**
 * The hot tier chosen by the config: Redis when REDIS_URL is set, an in-process LRU otherwise,
 * none when CACHE_MAX_ENTRIES is 0 and there is no Redis.
 */
import type { Config } from '../config/config.schema.js'
import type { HotCache } from './hot-cache.js'
import { createLruHotCache } from './lru-hot-cache.js'
import { createRedisHotCache } from './redis-hot-cache.js'

export function createHotCache(
  config: Pick<Config, 'REDIS_URL' | 'CACHE_MAX_ENTRIES' | 'CACHE_COMMAND_TIMEOUT_MS'>,
  onError: (err: Error) => void,
): HotCache | null {
  if (config.REDIS_URL) {
    return createRedisHotCache({ url: config.REDIS_URL, commandTimeoutMs: config.CACHE_COMMAND_TIMEOUT_MS, onError })
  }
  return config.CACHE_MAX_ENTRIES > 0 ? createLruHotCache({ maxEntries: config.CACHE_MAX_ENTRIES }) : null
}
