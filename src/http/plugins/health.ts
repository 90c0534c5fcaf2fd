/**
 * `/healthz`: the process serves requests. `/readyz`: the store of record answers a ping; the hot
 * cache is reported (`up`, `down`, `none`) but never makes the service unready.
 */
import fp from 'fastify-plugin'
import { AppError } from '../../errors/app-error.js'
import type { Metrics } from '../../metrics/create-metrics.js'
import type { MemoryStore } from '../../storage/memory-store.js'

export interface HealthOptions {
  store: MemoryStore
  metrics: Metrics
  /** Reports whether the hot cache answers; the cache is optional, so this never fails readiness. */
  cachePing: (() => Promise<boolean>) | null
  /**
   * Under a traffic split: whether green answers. Reported, never a reason to be unready, since
   * green's failures fall back to blue (the store of record until `complete`, which `store.ping` covers).
   */
  greenPing?: (() => Promise<boolean>) | null
}

export default fp<HealthOptions>(
  async (app, { store, metrics, cachePing, greenPing }) => {
    app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }))
    // Under a traffic split the store of record is reported as `blue`.
    const name = greenPing ? 'blue' : store.backend
    app.get('/readyz', { schema: { tags: ['operations'], summary: 'Readiness: the store is reachable' } }, async () => {
      try {
        await store.ping()
        metrics.backendUp.set({ backend: name }, 1)
        const cache = cachePing ? ((await cachePing()) ? 'up' : 'down') : 'none'
        if (!greenPing) return { status: 'ready', backends: { [name]: 'up' }, cache }
        return { status: 'ready', backends: { [name]: 'up', green: (await greenPing()) ? 'up' : 'down' }, cache }
      } catch (err) {
        metrics.backendUp.set({ backend: name }, 0)
        throw new AppError('backend_unavailable', `the ${name} store is not reachable`, { cause: err })
      }
    })
  },
  { name: 'health' },
)
