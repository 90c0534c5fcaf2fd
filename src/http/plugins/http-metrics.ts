/**
 * HTTP request duration by route template (never the raw URL, so ids don't explode cardinality;
 * unknown routes share one `unmatched` label), and the `/metrics` endpoint.
 */
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Metrics } from '../../metrics/create-metrics.js'

export interface HttpMetricsOptions {
  metrics: Metrics
  /** Refresh scrape-time gauges (stats snapshot, pool counts) before rendering. */
  beforeScrape: () => Promise<void>
  /** Throws when the caller may not read metrics (they name every tool). */
  authorize: (request: FastifyRequest) => void
}

export default fp<HttpMetricsOptions>(
  async (app, { metrics, beforeScrape, authorize }) => {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched'
      if (route === '/metrics') return
      metrics.httpRequestDuration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      )
    })
    app.get('/metrics', { schema: { hide: true }, onRequest: async (request) => authorize(request) }, async (request, reply) => {
      try {
        await beforeScrape()
      } catch (err) {
        // A failing stats query must not blank the whole scrape: serve the last known values.
        request.log.warn({ err }, 'scrape-time gauges not refreshed')
      }
      void reply.type(metrics.registry.contentType)
      return metrics.registry.metrics()
    })
  },
  { name: 'http-metrics' },
)
