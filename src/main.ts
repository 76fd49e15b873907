import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Registry } from 'prom-client'
import { createAdminActionRecorder } from './admin/adminActions.js'
import { createAdminKeyVerifier } from './auth/adminKeys.js'
import { createAppAuthorizer } from './auth/authorizeApp.js'
import { issueCapabilityToken, verifyCapabilityToken } from './auth/capabilityToken.js'
import { createChainClients } from './chain/createChainClients.js'
import { ConfigError } from './config/loadConfig.js'
import type { Config } from './config/schema.js'
import { createReadinessProbe, type ReadinessReport } from './health/readiness.js'
import { createApp } from './http/createApp.js'
import { type GatewayServices, mountGatewayRoutes } from './http/routes/gatewayRoutes.js'
import { createKillSwitch } from './killSwitch/killSwitch.js'
import { createLogger, type Logger } from './observability/logger.js'
import { createMetrics } from './observability/metrics.js'
import { createRedisClient } from './redis/createRedisClient.js'
import { createRedisKeys } from './redis/keys.js'
import { createInstanceStore } from './templates/instances.js'
import { createTemplateRegistry } from './templates/registry.js'
import { verifyTemplateEnvelope } from './templates/verifyTemplate.js'

export type RunningGateway = {
  /** Base URL the HTTP server listens on. */
  url: string
  logger: Logger
  /** The domain services behind the routes, for in-process callers such as dev seeding and tests. */
  services: GatewayServices
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
  const tokenKey = config.tokens.signingKey?.reveal()
  if (!tokenKey) throw new ConfigError(['TOKEN_SIGNING_KEY: required to issue and check capability tokens'])
  const logger = options.logger ?? createLogger({ level: config.log.level })
  const metrics = createMetrics(new Registry())
  const redis = createRedisClient({ url: config.redis.url.reveal(), logger })
  const subscriber = createRedisClient({
    url: config.redis.url.reveal(),
    logger,
    connectionName: 'intentgate-sub',
  })
  // Boot waits a moment for Redis but never fails on it: without Redis the gateway starts,
  // reports not ready, and fails closed until Redis answers.
  await Promise.all([
    waitForRedis(redis, config.dependencyTimeoutMs),
    waitForRedis(subscriber, config.dependencyTimeoutMs),
  ])
  const keys = createRedisKeys(config.redis.keyPrefix)

  const registry = createTemplateRegistry({
    redis,
    keys,
    verify: (envelope) =>
      verifyTemplateEnvelope(envelope, {
        authorities: config.templates.authorities,
        requiredSignatures: (level) => config.templates.signatureThresholds[level],
        now: new Date(),
      }),
  })
  const instances = createInstanceStore({
    redis,
    keys,
    registry,
    maxTokenTtlSeconds: config.tokens.maxTtlSeconds,
    issueToken: (request) =>
      issueCapabilityToken({
        key: tokenKey,
        issuer: config.tokens.issuer,
        audience: config.tokens.audience,
        instanceId: request.instanceId,
        templateDigest: request.templateDigest,
        capabilities: request.capabilities,
        ...(request.att ? { att: request.att } : {}),
        ttlSeconds: Math.min(request.ttlSeconds ?? config.tokens.ttlSeconds, config.tokens.maxTtlSeconds),
        maxTtlSeconds: config.tokens.maxTtlSeconds,
        now: new Date(),
      }),
  })
  const killSwitch = createKillSwitch({
    redis,
    subscriber,
    keys,
    maxStalenessMs: config.killSwitch.maxStalenessMs,
    logger,
  })
  await killSwitch.start()
  const tokenKeys = [tokenKey, ...config.tokens.verificationKeys]
  const authorizer = createAppAuthorizer({
    redis,
    keys,
    killSwitch,
    verifyToken: (token) =>
      verifyCapabilityToken(token, {
        keys: tokenKeys,
        issuer: config.tokens.issuer,
        audience: config.tokens.audience,
        maxTtlSeconds: config.tokens.maxTtlSeconds,
        now: new Date(),
      }),
  })
  const services: GatewayServices = {
    verifyAdminKey: createAdminKeyVerifier(config.adminKeys),
    recordAdminAction: createAdminActionRecorder({ redis, keys, logger }),
    registry,
    instances,
    killSwitch,
    authorizer,
  }

  const chains = createChainClients(config.chains, { timeoutMs: config.dependencyTimeoutMs })

  const readiness = createReadinessProbe({
    redis,
    chains,
    timeoutMs: config.dependencyTimeoutMs,
    addresses: describeAddresses(config.chainAddressesFile, logger),
  })
  const app = createApp({
    logger,
    metrics,
    readiness,
    bodyLimitBytes: config.http.bodyLimitBytes,
    mountRoutes: (app) => mountGatewayRoutes(app, services),
  })

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
      await killSwitch.stop()
      await Promise.all([redis, subscriber].map((client) => client.quit().catch(() => client.disconnect())))
      logger.info('stopped')
    })()
    return stopping
  }
  return { url, logger, services, stop }
}

async function waitForRedis(redis: ReturnType<typeof createRedisClient>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    redis.connect().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
    }),
  ])
  clearTimeout(timer)
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
