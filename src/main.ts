import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Registry } from 'prom-client'
import { type Attestor, createAttestor } from './attest/attestationLog.js'
import { withIdempotentOutcomes } from './attest/idempotentOutcomes.js'
import { openTransparencyLog } from './attest/transparencyLog.js'
import { createAuditReader } from './audit/auditReader.js'
import { loadChainAddresses } from './chain/addresses.js'
import { type ChainIdentity, createChainIdentity } from './chain/chainIdentity.js'
import { createChainMetrics } from './chain/chainMetrics.js'
import { createChainClients } from './chain/createChainClients.js'
import { createServedChain, type ServedChain } from './chain/servedChain.js'
import { ConfigError } from './config/loadConfig.js'
import type { Config } from './config/schema.js'
import { createReadinessProbe, type ReadinessReport } from './health/readiness.js'
import { answerClientError } from './http/answerClientError.js'
import { mountConsole } from './http/console/consoleRoutes.js'
import { createConsoleDeps } from './http/console/createConsoleDeps.js'
import { createApp } from './http/createApp.js'
import { policyBundlePath } from './http/routes/admin/policy.js'
import { policyReplayPath } from './http/routes/admin/replayPolicy.js'
import { type GatewayServices, mountGatewayRoutes } from './http/routes/gatewayRoutes.js'
import { createLimitUsageReader } from './limits/limitUsage.js'
import { createGuardedFetch } from './net/guardedFetch.js'
import { createDecisionRates } from './observability/decisionRates.js'
import { createLogger, type Logger } from './observability/logger.js'
import { createMetrics, type Metrics } from './observability/metrics.js'
import { registerStateGauges } from './observability/stateGauges.js'
import { loadBuiltinPolicy } from './policy/loadBuiltinPolicy.js'
import { createPolicyStore, type LoadedPolicy, type PolicyStore } from './policy/policyStore.js'
import { createShadowedPolicyStore } from './policy/shadowPolicy.js'
import { reconcileInflight } from './reconcile/reconcileInflight.js'
import { createRedisClient } from './redis/createRedisClient.js'
import { createRedisKeys } from './redis/keys.js'
import { createRelayerPool, type RelayerPool } from './relay/relayerPool.js'
import { createRelayMetrics } from './relay/relayMetrics.js'
import { createRelayQueues, type RelayQueues } from './relay/relayQueue.js'
import { createRelayWorker, type RelayWorker } from './relay/relayWorker.js'
import { createLocalKeySigner } from './relay/signer.js'
import { buildGatewayServices } from './services.js'

/**
 * What a process does: `api` answers HTTP and enqueues approved requests; `worker` relays queued
 * requests and follows them to the end (its HTTP server has only health and metrics); `all` both.
 */
export type GatewayRole = 'api' | 'worker' | 'all'

export type RunningGateway = {
  /** Base URL the HTTP server listens on. */
  url: string
  logger: Logger
  /** The domain services behind the routes, for in-process callers such as dev seeding and tests. */
  services: GatewayServices
  /** The relay worker, in the worker and all roles. */
  relay: RelayWorker | undefined
  /** The Prometheus registry /metrics exposes. */
  registry: Registry
  /**
   * Closes the HTTP server (waiting for in-flight requests), then the relay workers, the queues,
   * the log, and Redis, in that order. Safe to call twice.
   */
  stop(): Promise<void>
}

/**
 * The composition root: checks the keys the config must carry, opens every adapter (Redis, the
 * transparency log, the policy, the chains), builds the services and starts listening. Nothing
 * is created at import time.
 */
export async function startGateway(
  config: Config,
  options: { logger?: Logger; role?: GatewayRole } = {},
): Promise<RunningGateway> {
  const role = options.role ?? 'all'
  const { tokenKey, attestationKey, logKey } = requiredKeys(config)
  const logger = options.logger ?? createLogger({ level: config.logging.level })
  const registry = new Registry()
  const metrics = createMetrics(registry)
  const relayMetrics = createRelayMetrics(registry)
  const decisionRates = createDecisionRates()
  // Policies first: a bundle that does not verify stops boot before any connection is opened.
  const policies = createPolicyStore({
    initial: await loadBuiltinPolicy(config.policy),
    verification: {
      keys: await readBundleKeys(config.policy.bundleKeys),
      maxBytes: config.policy.bundleMaxBytes,
    },
  })
  const livePolicies = await shadowIfConfigured(config, policies, { metrics, logger })
  const redis = createRedisClient({
    url: config.redis.url.reveal(),
    logger,
    commandTimeoutMs: config.redis.commandTimeoutMs,
    autoPipelining: true,
  })
  const subscriber = createRedisClient({
    url: config.redis.url.reveal(),
    logger,
    connectionName: 'intentgate-sub',
  })
  // BullMQ defines its forty-odd Lua commands on the connection it is given, and ioredis copies
  // every defined command into each pipeline it builds: on the request connection that made
  // every pipeline cost as much as a policy evaluation. The queues get a connection of their own.
  const queueRedis = createRedisClient({
    url: config.redis.url.reveal(),
    logger,
    connectionName: 'intentgate-queue',
    // The inbox and the enqueue are on the approval path: a paused Redis must fail them too.
    commandTimeoutMs: config.redis.commandTimeoutMs,
  })
  const connections = [redis, subscriber, queueRedis]
  // Boot waits a moment for Redis but never fails on it: without Redis the gateway starts,
  // reports not ready, and fails closed until Redis answers.
  await Promise.all(connections.map((client) => waitForRedis(client, config.dependencyTimeoutMs)))

  const log = await openTransparencyLog({
    dir: config.log.dir,
    origin: config.log.origin,
    signingKey: { name: config.log.origin, key: logKey },
    logger,
  })
  // Outcomes are attested once per log: a settle re-run after a crash finds the one it logged.
  const audit = createAuditReader({ log, attestationKeys: [attestationKey] })
  const attestor = withIdempotentOutcomes(
    createAttestor({ log, key: attestationKey, gatewayId: config.gatewayId }),
    audit,
  )
  const guardedFetch = createGuardedFetch(config.outbound)
  const chainMetrics = createChainMetrics(registry)
  const clients = createChainClients(config.chains, {
    retry: { ...config.chainRpc.retry, attemptTimeoutMs: config.dependencyTimeoutMs },
    batchMax: config.chainRpc.batchMax,
    outbound: config.outbound,
    onRetry: (chainId, reason) => chainMetrics.rpcRetries.inc({ chain: String(chainId), reason }),
  })
  const addresses = await loadChainAddresses(config.chainAddressesFile)
  const keys = createRedisKeys(config.redis.keyPrefix)
  const identities = new Map<number, ChainIdentity>(
    clients.map(({ chainId, client }) => [
      chainId,
      createChainIdentity({
        chainId,
        client,
        redis,
        key: keys.chainGenesis(chainId),
        intervalMs: config.chainRpc.identityCheckMs,
        logger,
        onChange: (state) =>
          chainMetrics.identityChanged.set({ chain: String(chainId) }, state.status === 'changed' ? 1 : 0),
      }),
    ]),
  )
  // Read before serving: a gateway started against a replaced chain never signs for it.
  await Promise.all([...identities.values()].map((identity) => identity.check()))
  for (const identity of identities.values()) identity.start()
  const served = new Map<number, ServedChain>(
    clients
      .filter((chain) => chain.chainId === addresses.chainId)
      .map((chain) => [
        chain.chainId,
        createServedChain({
          ...chain,
          addresses,
          feeHeadroom: config.relay.feeHeadroom,
          ...optionalIdentity(identities.get(chain.chainId)),
        }),
      ]),
  )
  const queues = createRelayQueues({
    connection: queueRedis,
    prefix: keys.prefix,
    chainIds: [...served.keys()],
  })
  const pools = new Map<number, RelayerPool>(
    [...served.keys()].map((chainId) => [
      chainId,
      createRelayerPool({
        redis,
        prefix: keys.prefix,
        chainId,
        signers: config.relay.keys
          .filter((key) => key.chainId === chainId)
          .map((key) => createLocalKeySigner(key.privateKey)),
      }),
    ]),
  )
  const services = buildGatewayServices(config, {
    redis,
    subscriber,
    keys,
    logger,
    tokenKey,
    log,
    attestor,
    attestationKey,
    policies,
    livePolicies,
    chains: served,
    relay: queues,
    fetchFn: guardedFetch,
    chainIdentities: identities,
    audit,
    observe: { metrics, rates: decisionRates },
    gasSpent: relayMetrics.gasSpent,
    relayerAddresses: new Map(
      [...pools.values()].map((pool) => [pool.chainId, pool.keys.map((key) => key.signer.address)]),
    ),
  })
  const queueDepths = { chainIds: [...served.keys()], depth: (chainId: number) => queues.depth(chainId) }
  const limitUsage = createLimitUsageReader({ redis, prefix: keys.prefix, instances: services.instances })
  registerStateGauges(registry, { policies, log, queues: queueDepths, limitUsage })
  await services.killSwitch.start()
  const reconciler =
    role === 'worker' ? undefined : startReconciler(config, services, { attestor, queues, logger })
  await reconciler?.first
  const relay =
    role === 'api'
      ? undefined
      : createRelayWorker({
          redisUrl: config.redis.url.reveal(),
          redis,
          prefix: keys.prefix,
          chains: [...served.values()].flatMap((chain) => {
            const pool = pools.get(chain.chainId)
            return pool && pool.keys.length > 0
              ? [{ chainId: chain.chainId, client: chain.client, pool, ...optionalIdentity(chain.identity) }]
              : []
          }),
          queues,
          attestor,
          requests: services.requests,
          limits: services.limits,
          killSwitch: services.killSwitch,
          instances: services.instances,
          registry: services.registry,
          settings: config.relay,
          logger: logger.child({ role: 'worker' }),
          metrics: relayMetrics,
        })
  await relay?.start()
  services.settler?.start()
  // Held requests are an API concern: approvals come in over HTTP, and expire where they are served.
  if (role !== 'worker') services.approvalSweeper.start()

  const readiness = createReadinessProbe({
    redis,
    chains: clients,
    timeoutMs: config.dependencyTimeoutMs,
    addresses: { source: config.chainAddressesFile, chainId: addresses.chainId },
    describe: () => describeState(services, log),
    relayers: () => describeRelayers(pools, served, BigInt(config.relay.minBalanceWei)),
    identities: [...identities.values()],
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
    mountRoutes: (app) => {
      if (role === 'worker') return
      mountGatewayRoutes(app, services)
      mountConsole(
        app,
        createConsoleDeps({
          ...{ config, redis, keys, services, rates: decisionRates, relayMetrics },
          ...{ queues: queueDepths, limitUsage },
        }),
      )
    },
  })
  const { server, url } = await listen(app.fetch, config.http)
  logger.info({ url, role, policy: policies.current().revision, log: log.origin }, 'gateway listening')

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down')
      await closeServer(server, config.shutdownTimeoutMs)
      await relay?.stop()
      await services.settler?.stop()
      await services.approvalSweeper.stop()
      await queues.close()
      await services.killSwitch.stop()
      reconciler?.stop()
      for (const identity of identities.values()) identity.stop()
      await log.close()
      await Promise.all(connections.map((client) => client.quit().catch(() => client.disconnect())))
      logger.info('stopped')
    })()
    return stopping
  }
  return { url, logger, services, relay, registry, stop }
}

/** How long a reservation may stay unrecorded before a live process counts it as left behind. */
const inflightGraceMs = 60_000

/**
 * Reconciles this gateway's requests left between reserve and record (see reconcileInflight.ts):
 * everything at start, since nothing of this process can still be in flight then, and after
 * that, every half minute, what has been in flight for over a minute (a Redis outage mid-request).
 */
function startReconciler(
  config: Config,
  services: GatewayServices,
  adapters: { attestor: Attestor; queues: RelayQueues; logger: Logger },
) {
  const deps = {
    gatewayId: config.gatewayId,
    limits: services.limits,
    requests: services.requests,
    audit: services.audit,
    attestor: adapters.attestor,
    relay: adapters.queues,
    logger: adapters.logger,
  }
  const run = (beforeMs: number) =>
    reconcileInflight(deps, { beforeMs }).catch((error: unknown) => {
      adapters.logger.warn(
        { err: (error as Error).message },
        'reconciling in-flight requests failed; will retry',
      )
      return undefined
    })
  const first = run(Date.now())
  const timer = setInterval(() => void run(Date.now() - inflightGraceMs), inflightGraceMs / 2)
  timer.unref()
  return { first, stop: () => clearInterval(timer) }
}

function optionalIdentity<T>(identity: T | undefined): { identity: T } | Record<string, never> {
  return identity ? { identity } : {}
}

/**
 * Every relayer key's balance, read at probe time. A key below the minimum is a warning (the
 * gateway still relays through the others); a chain whose every key is drained cannot relay.
 */
async function describeRelayers(
  pools: ReadonlyMap<number, RelayerPool>,
  chains: ReadonlyMap<number, ServedChain>,
  minBalanceWei: bigint,
): Promise<NonNullable<ReadinessReport['relayers']>> {
  const reports = await Promise.all(
    [...pools.values()].map(async (pool) => {
      const chain = chains.get(pool.chainId)
      const drained = await pool.drained()
      const keys = await Promise.all(
        pool.keys.map(async ({ signer }) => {
          const balance = await chain?.client.getBalance({ address: signer.address })
          const address = signer.address
          return {
            address,
            balanceWei: balance?.toString() ?? 'unknown',
            low: balance === undefined || balance < minBalanceWei,
            ...(drained[address.toLowerCase()] ? { drained: true } : {}),
          }
        }),
      )
      return { chainId: pool.chainId, keys }
    }),
  )
  const warnings = reports.flatMap((report) => [
    ...(report.keys.length === 0 ? [`chain ${report.chainId}: no relayer keys (RELAYER_KEYS)`] : []),
    ...report.keys
      .filter((key) => key.low)
      .map((key) => `chain ${report.chainId}: relayer ${key.address} is below RELAY_MIN_BALANCE_WEI`),
  ])
  return { chains: reports, warnings }
}

/**
 * Shadow mode: with POLICY_SHADOW_BUNDLE_FILE set, live traffic also runs that candidate, verified
 * like an upload. Each disagreement is counted and logged with both decisions, and never enforced.
 */
async function shadowIfConfigured(
  config: Config,
  policies: PolicyStore,
  observability: { metrics: Metrics; logger: Logger },
): Promise<PolicyStore> {
  const file = config.policy.shadowBundleFile
  if (!file) return policies
  let shadow: LoadedPolicy
  try {
    shadow = await policies.loadCandidate(new Uint8Array(await readFile(file)))
  } catch (error) {
    throw new ConfigError([`POLICY_SHADOW_BUNDLE_FILE: ${file}: ${(error as Error).message}`])
  }
  const { metrics, logger } = observability
  logger.info({ shadow: { revision: shadow.revision, digest: shadow.digest } }, 'shadow policy loaded')
  return createShadowedPolicyStore({
    store: policies,
    shadow,
    observe: (observation) => {
      metrics.policyShadowDecisions.inc({
        change: observation.change,
        active: observation.active.outcome,
        shadow: observation.shadow.outcome,
      })
      if (observation.change !== 'unchanged')
        logger.warn({ shadowPolicy: observation }, 'the shadow policy disagrees')
    },
  })
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
  // Idle connections outlive the client's or proxy's pool timeout, so the client always closes first.
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = http.keepAliveTimeoutMs
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
