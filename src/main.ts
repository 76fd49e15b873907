import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Registry } from 'prom-client'
import { createChainClients } from './chain/createChainClients.js'
import type { Config } from './config/schema.js'
import { createReadinessProbe, type ReadinessReport } from './health/readiness.js'
import { createApp } from './http/createApp.js'
import { createLogger, type Logger } from './observability/logger.js'
import { createMetrics } from './observability/metrics.js'
import { createRedisClient } from './redis/createRedisClient.js'

export type RunningGateway = {
  /** Base URL the HTTP server listens on. */
  url: string
  logger: Logger
  /** Closes the HTTP server (waiting for in-flight requests), then Redis. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * The composition root: builds every adapter from the parsed config, wires the HTTP app and
 * starts listening. Nothing is created at import time.
 */
export async function startGateway(
  config: Config,
  options: { logger?: Logger } = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ level: config.log.level })
  const registry = new Registry()
  const metrics = createMetrics(registry)
  const redis = createRedisClient({ url: config.redis.url.reveal(), logger })
  // Boot does not wait for Redis: the gateway starts, reports not ready, and fails closed until it is.
  redis.connect().catch(() => undefined)
  const chains = createChainClients(config.chains, { timeoutMs: config.dependencyTimeoutMs })

  const readiness = createReadinessProbe({
    redis,
    chains,
    timeoutMs: config.dependencyTimeoutMs,
    addresses: describeAddresses(config.chainAddressesFile, logger),
  })
  const app = createApp({ logger, metrics, readiness, bodyLimitBytes: config.http.bodyLimitBytes })

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, port: config.http.port, hostname: config.http.host }, () =>
      resolve(listening),
    )
    listening.once('error', reject)
  })
  const address = server.address() as AddressInfo
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  logger.info({ url }, 'gateway listening')

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down')
      await closeServer(server, config.shutdownTimeoutMs)
      await redis.quit().catch(() => redis.disconnect())
      logger.info('stopped')
    })()
    return stopping
  }
  return { url, logger, stop }
}

/** Stops accepting connections, lets in-flight requests finish, and cuts the rest after `timeoutMs`. */
function closeServer(server: ReturnType<typeof serve>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections()
    }, timeoutMs)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    if ('closeIdleConnections' in server) server.closeIdleConnections()
  })
}

function describeAddresses(file: string, logger: Logger): ReadinessReport['addresses'] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { chainId?: unknown; fixtureVersion?: unknown }
    if (typeof parsed.chainId !== 'number') return undefined
    const version = typeof parsed.fixtureVersion === 'string' ? `@${parsed.fixtureVersion}` : ''
    return { source: `${file}${version}`, chainId: parsed.chainId }
  } catch (error) {
    logger.warn({ file, err: (error as Error).message }, 'chain addresses file not readable')
    return undefined
  }
}
