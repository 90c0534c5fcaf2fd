/**
 * Redis for tests: the shared server (each file uses its own random key prefix and deletes its
 * keys at teardown) and private `redis-server` processes on free ports for outage tests, which
 * must never stop the shared one.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { REQUIRE_SERVICES } from './services.js'

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Null when the shared Redis answers, else the reason to skip. Throws under REQUIRE_SERVICES. */
export async function redisUnavailable(): Promise<string | null> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null })
  redis.on('error', () => {}) // reported through the rejected connect below
  try {
    await redis.connect()
    await redis.ping()
    return null
  } catch (err) {
    const reason = `Redis not reachable at ${REDIS_URL}: ${(err as Error).message}`
    if (REQUIRE_SERVICES) throw new Error(`${reason} (REQUIRE_SERVICES is set)`)
    return reason
  } finally {
    redis.disconnect()
  }
}

/** A cache side name unique to this test file; its keys are deleted at teardown. */
export function testSide(t: Teardown, url = REDIS_URL): string {
  const side = `t${process.pid}x${randomBytes(4).toString('hex')}`
  t.teardown(async () => {
    const redis = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
    redis.on('error', () => {}) // a private server may already be gone
    try {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `mcpmem:${side}*`, 'COUNT', 1000)
        if (keys.length > 0) await redis.del(...keys)
        cursor = next
      } while (cursor !== '0')
    } catch {
      // a private server may already be gone
    } finally {
      redis.disconnect()
    }
  })
  return side
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/**
 * A private redis-server on its own port and data folder, keeping its data across restarts
 * (append-only file, fsync always), so that a restart brings back what it held — the case where
 * a stale value could reappear.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null
  private constructor(readonly port: number, private readonly dir: string) {}

  static async start(t: Teardown): Promise<PrivateRedis> {
    const dir = await mkdtemp(join(tmpdir(), 'mcpmem-redis-'))
    const server = new PrivateRedis(await freePort(), dir)
    t.teardown(async () => {
      await server.kill()
      await rm(dir, { recursive: true, force: true })
    })
    await server.restart()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Start (again) on the same port and data folder; resolves when it answers PING. */
  async restart(): Promise<void> {
    this.child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'always', '--dir', this.dir, '--maxmemory-policy', 'allkeys-lfu',
    ], { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => {}) // refused while the server starts: expected, retried below
      try {
        await probe.connect()
        await probe.ping()
        return
      } catch {
        await new Promise((r) => setTimeout(r, 50))
      } finally {
        probe.disconnect()
      }
    }
    throw new Error('private redis-server did not start')
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child
    this.child = null
    if (!child || child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }
}
