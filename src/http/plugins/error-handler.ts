/** problem+json for every error and for unknown routes (RFC 9457). */
import fp from 'fastify-plugin'
import { AppError } from '../../errors/app-error.js'
import { toAppError, toProblem } from '../../errors/to-http.js'
import type { FastifyReply, FastifyRequest } from 'fastify'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export default fp(
  async (app) => {
    app.setErrorHandler((err, request, reply) => {
      const error = toAppError(err)
      if (error.status >= 500) request.log.error({ err }, 'request failed')
      else request.log.info({ code: error.code, detail: error.detail }, 'request rejected')
      if (error.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer realm="mcp-memory"')
      void reply
        .code(error.status)
        .type(PROBLEM_CONTENT_TYPE)
        .send(toProblem(error, request.url.split('?')[0]))
    })
    app.setNotFoundHandler((request, reply) => {
      const error = new AppError('route_not_found', `${request.method} ${request.url.split('?')[0]} is not a route of this service`)
      void reply.code(404).type(PROBLEM_CONTENT_TYPE).send(toProblem(error, request.url.split('?')[0]))
    })
  },
  { name: 'error-handler' },
)

/**
 * Errors Fastify answers before routing (a URL with bad percent-escapes, a malformed header),
 * passed as the `frameworkErrors` option so that they are problem+json too.
 */
export function frameworkErrorHandler(err: Error, request: FastifyRequest, reply: FastifyReply): void {
  const code = (err as { code?: string }).code
  const error = code === 'FST_ERR_BAD_URL'
    ? new AppError('validation_failed', 'the URL contains an invalid percent-encoding', { errors: [{ pointer: '/url', message: 'invalid percent-encoding' }] })
    : toAppError(err)
  void reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(toProblem(error))
}
