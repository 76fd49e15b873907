import { randomUUID } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { Logger } from '../../observability/logger.js'
import type { Metrics } from '../../observability/metrics.js'

/** Context variables set by `requestContext` for every later handler. */
export type RequestContextVariables = {
  requestId: string
  log: Logger
}

const acceptableRequestId = /^[A-Za-z0-9._:-]{1,64}$/

/**
 * Gives each request an id (the caller's X-Request-Id when it is sane), a child logger carrying
 * it, one access log line, and an observation in the duration histogram by route pattern.
 */
export function requestContext(parameters: {
  logger: Logger
  metrics: Metrics
}): MiddlewareHandler<{ Variables: RequestContextVariables }> {
  const { logger, metrics } = parameters
  return async function requestContextMiddleware(c, next) {
    const started = performance.now()
    const incoming = c.req.header('x-request-id')
    const requestId = incoming && acceptableRequestId.test(incoming) ? incoming : randomUUID()
    const log = logger.child({ requestId })
    c.set('requestId', requestId)
    c.set('log', log)
    c.header('X-Request-Id', requestId)

    await next()

    const seconds = (performance.now() - started) / 1000
    const status = c.res.status
    const route = c.req.routePath || 'unmatched'
    metrics.httpRequestDuration.observe({ method: c.req.method, route, status: String(status) }, seconds)
    log.info(
      { method: c.req.method, path: c.req.path, route, status, ms: Math.round(seconds * 1e4) / 10 },
      'request',
    )
  }
}
