/**
 * A store that fails (or stalls) on demand, for in-memory behaviour tests of the traffic split:
 * a DelegatingStore over a real store whose calls throw `backend_unavailable` while `failing` is on.
 *
 * - `failing`: every gated call throws `AppError('backend_unavailable')` (before reaching the inner store).
 * - `only`: when set, only these operations are gated (failing, delay, pause); others pass through.
 * - `delayMs`: every gated call waits this long first (failing or not).
 * - `pause()` / `resume()`: gated calls wait until resumed (a deterministic "slow side").
 * - `calls`: every operation name in call order (including `close`), for ordering assertions.
 * `close` is never gated, so a test can always clean up.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { AppError } from '../../src/errors/app-error.js'
import { DelegatingStore } from '../../src/storage/delegating-store.js'
import type { MemoryStore } from '../../src/storage/memory-store.js'

const OPS = [
  'init', 'get', 'getById', 'getMany', 'findByHash', 'findByKey', 'create', 'update', 'upsertByKey', 'delete',
  'applyMirror', 'mirrorRecord', 'outboxAdd', 'outboxClaim', 'outboxRetry', 'outboxRemove', 'outboxStats',
  'query', 'search', 'stats', 'scan', 'purgeExpired', 'recordAccess', 'claimIdempotencyKey',
  'completeIdempotencyKey', 'releaseIdempotencyKey', 'ping', 'writeWithinBudget', 'getTool', 'listTools', 'registerTool',
  'putTool', 'appendAccessLog', 'readAccessLog', 'topEntries',
] as const satisfies ReadonlyArray<keyof MemoryStore>

export type StoreOp = (typeof OPS)[number] | 'close'

export interface FaultyStoreOptions {
  failing?: boolean
  only?: Iterable<StoreOp>
  delayMs?: number
}

export class FaultyStore extends DelegatingStore {
  failing: boolean
  only: Set<StoreOp> | null
  delayMs: number
  readonly calls: StoreOp[] = []
  private paused: { promise: Promise<void>; release: () => void } | null = null

  constructor(inner: MemoryStore, options: FaultyStoreOptions = {}) {
    super(inner)
    this.failing = options.failing ?? false
    this.only = options.only === undefined ? null : new Set(options.only)
    this.delayMs = options.delayMs ?? 0
    for (const op of OPS) {
      const base = DelegatingStore.prototype[op] as (...args: unknown[]) => Promise<unknown>
      Object.defineProperty(this, op, {
        configurable: true,
        writable: true,
        value: async (...args: unknown[]) => {
          this.calls.push(op)
          await this.gate(op)
          return base.apply(this, args)
        },
      })
    }
  }

  /** Gated calls wait from now until `resume()`. */
  pause(): void {
    if (this.paused) return
    let release!: () => void
    const promise = new Promise<void>((resolve) => (release = resolve))
    this.paused = { promise, release }
  }

  resume(): void {
    const paused = this.paused
    this.paused = null
    paused?.release()
  }

  /** How many times `op` was called. */
  callCount(op: StoreOp): number {
    return this.calls.filter((c) => c === op).length
  }

  override close(): Promise<void> {
    this.calls.push('close')
    return this.inner.close()
  }

  private async gate(op: StoreOp): Promise<void> {
    if (this.only !== null && !this.only.has(op)) return
    if (this.paused) await this.paused.promise
    if (this.delayMs > 0) await sleep(this.delayMs)
    if (this.failing) throw new AppError('backend_unavailable', `The ${this.backend} store is failing (test fault: ${op}).`)
  }
}
