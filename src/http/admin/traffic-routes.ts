/**
 * `GET /admin/traffic` (admin key): the blue/green state an operator needs during a migration —
 * configured settings and their source, the effective stage and dials after the kill switch and
 * the guard, the guard's latch and last window figures, the last rejected reload, outbox depth and
 * age, and each side's health.
 */
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { TrafficView } from '../../compose-traffic.js'

export interface TrafficAdminOptions {
  view: () => Promise<TrafficView>
  authorize: (request: FastifyRequest) => void
}

export default fp<TrafficAdminOptions>(
  async (app, { view, authorize }) => {
    app.get(
      '/admin/traffic',
      {
        schema: { tags: ['operations'], summary: 'Blue/green traffic state (admin)', hide: true },
        onRequest: async (request) => authorize(request),
      },
      async (_request, reply) => {
        void reply.header('cache-control', 'no-store')
        return view()
      },
    )
  },
  { name: 'traffic-admin' },
)
