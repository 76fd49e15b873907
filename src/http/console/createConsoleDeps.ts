import type { Redis } from 'ioredis'
import { createConsoleSessionStore, createLoginRateLimiter } from '../../auth/consoleSessions.js'
import type { Config } from '../../config/schema.js'
import type { LimitUsage } from '../../limits/limitUsage.js'
import type { DecisionRates } from '../../observability/decisionRates.js'
import type { RedisKeys } from '../../redis/keys.js'
import type { RelayMetrics } from '../../relay/relayMetrics.js'
import type { GatewayServices } from '../routes/gatewayRoutes.js'
import type { ConsoleDeps } from './consoleEnv.js'

/** Builds what the console needs from the services and adapters main.ts already opened. */
export function createConsoleDeps(parameters: {
  config: Pick<Config, 'console'>
  redis: Redis
  keys: RedisKeys
  services: GatewayServices
  rates: DecisionRates
  relayMetrics: Pick<RelayMetrics, 'relayOutcomes'>
  queues: { chainIds: readonly number[]; depth(chainId: number): Promise<number> }
  limitUsage: () => Promise<LimitUsage[]>
}): ConsoleDeps & { sessionTtlSeconds: number } {
  const { config, redis, keys, services, queues } = parameters
  return {
    verifyAdminKey: services.verifyAdminKey,
    sessions: createConsoleSessionStore({ redis, keys, ttlSeconds: config.console.sessionTtlSeconds }),
    loginLimiter: createLoginRateLimiter({ redis, keys, attemptsPerWindow: config.console.loginAttempts }),
    cookieSecure: config.console.cookieSecure,
    sessionTtlSeconds: config.console.sessionTtlSeconds,
    audit: services.audit,
    registry: services.registry,
    instances: services.instances,
    killSwitch: services.killSwitch,
    approvals: services.approvals,
    recordAdminAction: services.recordAdminAction,
    dryRun: services.dryRun,
    counters: {
      rates: parameters.rates,
      async relayOutcomes() {
        const { values } = await parameters.relayMetrics.relayOutcomes.get()
        return values.map((sample) => ({
          chain: String(sample.labels.chain),
          status: String(sample.labels.status),
          count: sample.value,
        }))
      },
      queueDepth: () =>
        Promise.all(
          queues.chainIds.map(async (chainId) => ({ chainId, depth: await queues.depth(chainId) })),
        ),
      limitUsage: parameters.limitUsage,
    },
  }
}
