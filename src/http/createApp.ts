import { Hono } from 'hono'
import type { ReadinessProbe } from '../health/readiness.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { notFound, onError } from './errorResponse.js'
import { limitBody } from './middleware/limitBody.js'
import { type RequestContextVariables, requestContext } from './middleware/requestContext.js'
import { healthzRoute } from './routes/healthz.js'
import { metricsRoute } from './routes/metrics.js'
import { readyzRoute } from './routes/readyz.js'

export type AppEnv = { Variables: RequestContextVariables }

export type CreateAppParameters = {
  logger: Logger
  metrics: Metrics
  readiness: ReadinessProbe
  bodyLimitBytes: number
  /** Larger body limits for specific paths, such as policy bundle uploads. */
  bodyLimitsByPath?: Readonly<Record<string, number>>
  /** Mounts the API routes built by the composition root; health and metrics are always there. */
  mountRoutes?: (app: Hono<AppEnv>) => void
}

/**
 * Builds the HTTP app from its dependencies. Nothing listens here: `main.ts` serves it, and
 * tests call `app.request` directly.
 */
export function createApp(parameters: CreateAppParameters): Hono<AppEnv> {
  const { logger, metrics, readiness, bodyLimitBytes, bodyLimitsByPath, mountRoutes } = parameters
  const app = new Hono<AppEnv>()
  app.use(requestContext({ logger, metrics }))
  app.use(limitBody(bodyLimitBytes, bodyLimitsByPath))
  app.onError(onError)
  app.notFound(notFound)

  app.route('/', healthzRoute())
  app.route('/', readyzRoute({ readiness }))
  app.route('/', metricsRoute({ registry: metrics.registry }))
  mountRoutes?.(app)
  return app
}
