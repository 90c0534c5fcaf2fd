/**
 * A read-miss fill that read an old version must never replace a newer version written while it
 * was in flight. The store's `get` is held open (a gate around the real store) so that an update
 * commits and caches version N+1 before the fill of version N reaches the cache; the interleaving
 * is varied on every round, on both cache implementations.
 */
import t from 'tap'
import { CachedStore } from '../../src/cache/cached-store.js'
import { decodeRecord } from '../../src/cache/cache-record.js'
import { CacheKeys } from '../../src/cache/cache-keys.js'
import { createLruHotCache } from '../../src/cache/lru-hot-cache.js'
import { createRedisHotCache } from '../../src/cache/redis-hot-cache.js'
import type { HotCache } from '../../src/cache/hot-cache.js'
import { compressionPolicy } from '../../src/compression/content-codec.js'
import { createInMemoryStore } from '../../src/storage/in-memory/in-memory-store.js'
import type { MemoryStore } from '../../src/storage/memory-store.js'
import type { Assert } from '../conformance/memory-store.suite.js'
import { makeEntry } from '../helpers/entries.js'
import { redisUnavailable, REDIS_URL, testSide } from '../helpers/redis.js'

const ROUNDS = 150

/** The real store, whose `get` results are held until `release()` (a slow read). */
function gatedStore(inner: MemoryStore) {
  let gate: Promise<void> | null = null
  let open: () => void = () => {}
  let arrive: () => void = () => {}
  let arrived: Promise<void> = Promise.resolve()
  const store: MemoryStore = Object.create(inner)
  store.get = async (tool, id) => {
    const result = await inner.get(tool, id)
    if (gate) {
      arrive()
      await gate
    }
    return result
  }
  return {
    store,
    /** Resolves once a held read has its (old) result and waits at the gate. */
    get arrived() {
      return arrived
    },
    hold() {
      gate = new Promise((resolve) => (open = resolve))
      arrived = new Promise((resolve) => (arrive = resolve))
    },
    release() {
      gate = null
      open()
    },
  }
}

async function raceRounds(t: Assert, cache: HotCache, side: string) {
  const inner = createInMemoryStore()
  const gated = gatedStore(inner)
  const cached = new CachedStore(gated.store, cache, { side, ttlSeconds: 60, maxStalenessMs: 60_000, compression: compressionPolicy('none', 0) })
  await cached.init()
  const keys = new CacheKeys(side)
  let stale = 0
  for (let round = 0; round < ROUNDS; round++) {
    const entry = makeEntry({ tool: 'race' })
    await inner.create(entry, { dedupe: false }) // straight to the store: the cache has never seen it
    gated.hold()
    const slowRead = cached.get(entry.tool, entry.id) // misses, reads v1, then waits at the gate
    await gated.arrived
    const writes = 1 + (round % 3)
    let latest = entry
    for (let i = 0; i < writes; i++) latest = await cached.update({ ...latest, content: `round ${round} write ${i}` })
    // Release the stale fill at a varying point relative to the last write's cache update.
    if (round % 2 === 0) await new Promise((r) => setTimeout(r, round % 5))
    gated.release()
    const read = await slowRead
    t.equal(read?.version, 1, 'the slow reader saw the old version, as it should')
    const raw = await cache.getMany([keys.entry(entry.tool, entry.id)])
    const record = raw[0] ? await decodeRecord(raw[0]) : null
    if (record?.version !== latest.version) stale++
    const after = await cached.get(entry.tool, entry.id)
    if (after?.version !== latest.version || after.content !== latest.content) stale++
  }
  t.equal(stale, 0, `no stale cache value in ${ROUNDS} interleavings`)
  await cached.close()
}

t.test('fill race on the in-process LRU', async (t) => {
  await raceRounds(t, createLruHotCache(), 'blue')
})

const skipRedis = await redisUnavailable()
t.test('fill race on Redis (Lua version guard)', { skip: skipRedis ?? false }, async (t) => {
  await raceRounds(t, createRedisHotCache({ url: REDIS_URL }), testSide(t))
})
