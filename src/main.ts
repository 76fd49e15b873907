import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Registry } from 'prom-client'
import { createAttestor } from './attest/attestationLog.js'
import { openTransparencyLog } from './attest/transparencyLog.js'
import { loadChainAddresses } from './chain/addresses.js'
import { createChainClients } from './chain/createChainClients.js'
import { createServedChain, type ServedChain } from './chain/servedChain.js'
import { ConfigError } from './config/loadConfig.js'
import type { Config } from './config/schema.js'
import { createReadinessProbe, type ReadinessReport } from './health/readiness.js'
import { answerClientError } from './http/answerClientError.js'
import { createApp } from './http/createApp.js'
import { policyBundlePath } from './http/routes/admin/policy.js'
import { policyReplayPath } from './http/routes/admin/replayPolicy.js'
import { type GatewayServices, mountGatewayRoutes } from './http/routes/gatewayRoutes.js'
import { createGuardedFetch } from './net/guardedFetch.js'
import { createLogger, type Logger } from './observability/logger.js'
import { createMetrics } from './observability/metrics.js'
import { loadBuiltinPolicy } from './policy/loadBuiltinPolicy.js'
import { createPolicyStore } from './policy/policyStore.js'
import { createRedisClient } from './redis/createRedisClient.js'
import { createRedisKeys } from './redis/keys.js'
import { buildGatewayServices } from './services.js'

export type RunningGateway = {
  /** Base URL the HTTP server listens on. */
  url: string
  logger: Logger
  /** The domain services behind the routes, for in-process callers such as dev seeding and tests. */
  services: GatewayServices
  /** Closes the HTTP server (waiting for in-flight requests), then the log, then Redis. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * The composition root: checks the keys the config must carry, opens every adapter (Redis, the
 * transparency log, the policy, the chains), builds the services and starts listening. Nothing
 * is created at import time.
 */
export async function startGateway(
  config: Config,
  options: { logger?: Logger } = {},
): Promise<RunningGateway> {
  const { tokenKey, attestationKey, logKey } = requiredKeys(config)
  const logger = options.logger ?? createLogger({ level: config.logging.level })
  const metrics = createMetrics(new Registry())
  const redis = createRedisClient({ url: config.redis.url.reveal(), logger })
  const subscriber = createRedisClient({
    url: config.redis.url.reveal(),
    logger,
    connectionName: 'intentgate-sub',
  })
  // Boot waits a moment for Redis but never fails on it: without Redis the gateway starts,
  // reports not ready, and fails closed until Redis answers.
  await Promise.all([redis, subscriber].map((client) => waitForRedis(client, config.dependencyTimeoutMs)))

  const log = await openTransparencyLog({
    dir: config.log.dir,
    origin: config.log.origin,
    signingKey: { name: config.log.origin, key: logKey },
    logger,
  })
  const attestor = createAttestor({ log, key: attestationKey, gatewayId: config.gatewayId })
  const policies = createPolicyStore({
    initial: await loadBuiltinPolicy(config.policy),
    verification: {
      keys: await readBundleKeys(config.policy.bundleKeys),
      maxBytes: config.policy.bundleMaxBytes,
    },
  })
  const clients = createChainClients(config.chains, {
    timeoutMs: config.dependencyTimeoutMs,
    fetchFn: createGuardedFetch(config.outbound),
  })
  const addresses = await loadChainAddresses(config.chainAddressesFile)
  const served = new Map<number, ServedChain>(
    clients
      .filter((chain) => chain.chainId === addresses.chainId)
      .map((chain) => [chain.chainId, createServedChain({ ...chain, addresses })]),
  )
  const services = buildGatewayServices(config, {
    redis,
    subscriber,
    keys: createRedisKeys(config.redis.keyPrefix),
    logger,
    tokenKey,
    log,
    attestor,
    attestationKey,
    policies,
    chains: served,
  })
  await services.killSwitch.start()
  services.settler?.start()

  const readiness = createReadinessProbe({
    redis,
    chains: clients,
    timeoutMs: config.dependencyTimeoutMs,
    addresses: { source: config.chainAddressesFile, chainId: addresses.chainId },
    describe: () => describeState(services, log),
  })
  const app = createApp({
    logger,
    metrics,
    readiness,
    bodyLimitBytes: config.http.bodyLimitBytes,
    bodyLimitsByPath: {
      [policyBundlePath]: config.policy.bundleMaxBytes,
      [policyReplayPath]: config.policy.bundleMaxBytes,
    },
    mountRoutes: (app) => mountGatewayRoutes(app, services),
  })
  const { server, url } = await listen(app.fetch, config.http)
  logger.info({ url, policy: policies.current().revision, log: log.origin }, 'gateway listening')

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down')
      await closeServer(server, config.shutdownTimeoutMs)
      await services.settler?.stop()
      await services.killSwitch.stop()
      await log.close()
      await Promise.all([redis, subscriber].map((client) => client.quit().catch(() => client.disconnect())))
      logger.info('stopped')
    })()
    return stopping
  }
  return { url, logger, services, stop }
}

/** Reads the public keys trusted for policy bundles; a missing file stops boot with its path named. */
async function readBundleKeys(keys: Config['policy']['bundleKeys']): Promise<Record<string, string>> {
  const entries = await Promise.all(
    keys.map(async ({ keyId, file }) => {
      try {
        return [keyId, await readFile(file, 'utf8')] as const
      } catch {
        throw new ConfigError([`POLICY_BUNDLE_KEYS: cannot read ${file} for key ${keyId}`])
      }
    }),
  )
  return Object.fromEntries(entries)
}

/** The keys a running gateway cannot do without; their absence stops boot with the setting named. */
function requiredKeys(config: Config) {
  const tokenKey = config.tokens.signingKey?.reveal()
  const attestationKey = config.attestationKey?.reveal()
  const logKey = config.log.signingKey?.reveal()
  const missing = [
    tokenKey ? undefined : 'TOKEN_SIGNING_KEY: required to issue and check capability tokens',
    attestationKey ? undefined : 'ATTESTATION_SIGNING_KEY: required to sign attestations',
    logKey ? undefined : 'LOG_SIGNING_KEY: required to sign log checkpoints',
  ].filter((issue): issue is string => issue !== undefined)
  if (!tokenKey || !attestationKey || !logKey) throw new ConfigError(missing)
  return { tokenKey, attestationKey, logKey }
}

function describeState(
  services: GatewayServices,
  log: GatewayServices['log'],
): Pick<ReadinessReport, 'policy' | 'log'> {
  const { revision, digest } = services.policies.current()
  return { policy: { revision, digest }, log: { origin: log.origin, size: log.size() } }
}

async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  http: Config['http'],
): Promise<{ server: ReturnType<typeof serve>; url: string }> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch, port: http.port, hostname: http.host }, () => resolve(listening))
    listening.once('error', reject)
  })
  server.on('clientError', answerClientError)
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return { server, url: `http://${host}:${address.port}` }
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
