/** CachedStore passes the store conformance suite over every backend/cache pairing we ship. */
import t from 'tap'
import { CachedStore } from '../../src/cache/cached-store.js'
import { createLruHotCache } from '../../src/cache/lru-hot-cache.js'
import { createRedisHotCache } from '../../src/cache/redis-hot-cache.js'
import { compressionPolicy } from '../../src/compression/content-codec.js'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import type { MemoryStore } from '../../src/storage/memory-store.js'
import { memoryStoreSuite } from '../conformance/memory-store.suite.js'
import { redisUnavailable, REDIS_URL, testSide } from '../helpers/redis.js'
import { createTestDatabase, postgresUnavailable } from '../helpers/services.js'
import { pgliteSchemaStores, pgSchemaStores } from '../helpers/sql-stores.js'

// Small threshold so that the suite's entries exercise compressed cache values too.
const compression = compressionPolicy('brotli', 64)
const cacheOptions = (side: string, now: () => number) => ({ side, ttlSeconds: 600, maxStalenessMs: 60_000, compression, now })

t.test('CachedStore(in-memory, LRU)', async (t) => {
  memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) =>
    new CachedStore(createInMemoryStore({ now: clock.now }), createLruHotCache(), cacheOptions('blue', clock.now)), { toolPrefix: 'lru' })
})

t.test('CachedStore(PGlite, LRU)', async (t) => {
  const make = await pgliteSchemaStores(t)
  memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock) =>
    new CachedStore(await make(clock), createLruHotCache(), cacheOptions('blue', clock.now)), { toolPrefix: 'pgl' })
})

const skipPg = await postgresUnavailable()
const skipRedis = await redisUnavailable()

t.test('CachedStore(Postgres, Redis)', { skip: skipPg ?? skipRedis ?? false }, async (t) => {
  const url = await createTestDatabase(t, 'cached')
  const make = await pgSchemaStores(t, url)
  let n = 0
  const base = testSide(t)
  memoryStoreSuite((name, fn) => void t.test(name, fn), async (clock): Promise<MemoryStore> =>
    // A side per store: stores of one test (a mirror and its replica) must not share cache keys.
    new CachedStore(await make(clock), createRedisHotCache({ url: REDIS_URL }), cacheOptions(`${base}s${n++}`, clock.now)), { toolPrefix: 'redis' })
})
