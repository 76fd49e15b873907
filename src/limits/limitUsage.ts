import type { Redis } from 'ioredis'
import type { ResolvedLimit } from '../templates/resolveInstanceIntent.js'
import { limitCounter } from './limitKeys.js'

/** How full one counter of an instance's limits is right now. */
export type LimitUsage = {
  instanceId: string
  templateId: string
  limitId: string
  scope: 'instance' | 'template' | 'global'
  metric: string
  /** Decimal strings, as the counters hold them. */
  used: string
  max: string
  /** used / max (1 when max is 0 and something was used). */
  ratio: number
}

type InstanceLimits = { id: string; templateId: string; intent: { limits: readonly ResolvedLimit[] } }

/** What identifies a counter below its limit id, as the policy builds it (policies/intentgate/decision.rego). */
function keyPartsOf(scope: ResolvedLimit['scope'], instance: InstanceLimits): string[] | undefined {
  if (scope === 'instance') return [instance.id]
  if (scope === 'template') return [instance.templateId]
  if (scope === 'global') return []
  // Sender counters are one per user: there is no single figure for an instance.
  return undefined
}

/**
 * Reads how full the instance-, template- and global-scope limits of `instances` are at `now`
 * (unix seconds), in one MGET. Keys come from `limitCounter`, the same function reservations use,
 * so the figures are exactly what the next reservation will be checked against. Read-only.
 */
export async function readLimitUsage(
  redis: Pick<Redis, 'mget'>,
  parameters: { prefix: string; instances: readonly InstanceLimits[]; now: number },
): Promise<LimitUsage[]> {
  const { prefix, instances, now } = parameters
  const counters = instances.flatMap((instance) =>
    instance.intent.limits.flatMap((limit) => {
      const keyParts = keyPartsOf(limit.scope, instance)
      if (!keyParts || limit.scope === 'sender') return []
      const counter = limitCounter({ prefix, ...limit, keyParts, now })
      return [{ instance, limit, scope: limit.scope, sumKeys: counter.sumKeys }]
    }),
  )
  const keys = counters.flatMap((counter) => counter.sumKeys)
  if (keys.length === 0) return []
  const values = await redis.mget(...keys)
  let offset = 0
  return counters.map(({ instance, limit, scope, sumKeys }) => {
    let used = 0n
    for (const value of values.slice(offset, offset + sumKeys.length)) if (value) used += BigInt(value)
    offset += sumKeys.length
    return {
      instanceId: instance.id,
      templateId: instance.templateId,
      limitId: limit.id,
      scope,
      metric: limit.metric,
      used: used.toString(),
      max: limit.max,
      ratio: usageRatio(used, BigInt(limit.max)),
    }
  })
}

/** used / max to four decimal places, computed in integers so wei amounts keep their precision. */
export function usageRatio(used: bigint, max: bigint): number {
  if (max <= 0n) return used > 0n ? 1 : 0
  const scaled = (used * 10_000n) / max
  return Number(scaled) / 10_000
}

/**
 * Reads the usage of the newest `maxInstances` active instances' limits: what the console's
 * busiest-instances table and the utilisation gauge show. Bounded, so a scrape costs the same
 * however many instances exist.
 */
export function createLimitUsageReader(parameters: {
  redis: Pick<Redis, 'mget'>
  prefix: string
  instances: { list(options: { limit: number }): Promise<(InstanceLimits & { status: string })[]> }
  maxInstances?: number
  /** Unix seconds. */
  now?: () => number
}): () => Promise<LimitUsage[]> {
  const { redis, prefix, instances } = parameters
  const maxInstances = parameters.maxInstances ?? 200
  const now = parameters.now ?? (() => Math.floor(Date.now() / 1000))
  return async () => {
    const active = (await instances.list({ limit: maxInstances })).filter(
      (instance) => instance.status === 'active',
    )
    return readLimitUsage(redis, { prefix, instances: active, now: now() })
  }
}
