/** problem+json for every error and for unknown routes (RFC 9457). */
import fp from 'fastify-plugin'
import { AppError } from '../../errors/app-error.js'
import { toAppError, toProblem } from '../../errors/to-http.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export default fp(
  async (app) => {
    app.setErrorHandler((err, request, reply) => {
      const error = toAppError(err)
      if (error.status >= 500) request.log.error({ err }, 'request failed')
      else request.log.info({ code: error.code, detail: error.detail }, 'request rejected')
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
