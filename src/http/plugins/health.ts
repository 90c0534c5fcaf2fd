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
}

export default fp<HealthOptions>(
  async (app, { store, metrics, cachePing }) => {
    app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }))
    app.get('/readyz', { schema: { tags: ['operations'], summary: 'Readiness: the store is reachable' } }, async () => {
      try {
        await store.ping()
        metrics.backendUp.set({ backend: store.backend }, 1)
        const cache = cachePing ? ((await cachePing()) ? 'up' : 'down') : 'none'
        return { status: 'ready', backends: { [store.backend]: 'up' }, cache }
      } catch (err) {
        metrics.backendUp.set({ backend: store.backend }, 0)
        throw new AppError('backend_unavailable', `the ${store.backend} store is not reachable`, { cause: err })
      }
    })
  },
  { name: 'health' },
)
