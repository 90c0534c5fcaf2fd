/** `/healthz`: the process serves requests. `/readyz`: the store of record answers a ping. */
import fp from 'fastify-plugin'
import { AppError } from '../../errors/app-error.js'
import type { Metrics } from '../../metrics/create-metrics.js'
import type { MemoryStore } from '../../storage/memory-store.js'

export default fp<{ store: MemoryStore; metrics: Metrics }>(
  async (app, { store, metrics }) => {
    app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }))
    app.get('/readyz', { schema: { tags: ['operations'], summary: 'Readiness: the store is reachable' } }, async () => {
      try {
        await store.ping()
        metrics.backendUp.set({ backend: store.backend }, 1)
        return { status: 'ready', backends: { [store.backend]: 'up' } }
      } catch (err) {
        metrics.backendUp.set({ backend: store.backend }, 0)
        throw new AppError('backend_unavailable', `the ${store.backend} store is not reachable`, { cause: err })
      }
    })
  },
  { name: 'health' },
)
