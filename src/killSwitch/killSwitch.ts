import type { Redis } from 'ioredis'
import { IntentGateError } from '../errors/index.js'
import type { Logger } from '../observability/logger.js'
import type { RedisKeys } from '../redis/keys.js'

export type KillScope = 'global' | 'template' | 'instance' | 'chain'

/** One engaged switch, as stored and as shown to operators. */
export type KillEntry = { scope: KillScope; target?: string; reason: string; by: string; at: string }

/** What a request is checked against: each field that is set is looked up in its scope. */
export type KillCheck = { templateId?: string; instanceId?: string; chainId?: number }

export type KillSwitch = {
  engage(entry: { scope: KillScope; target?: string; reason: string; by: string }): Promise<KillEntry>
  /** Returns whether the switch was engaged. */
  release(scope: KillScope, target: string | undefined): Promise<boolean>
  /** The engaged switch that stops this request, or undefined. Throws DEPENDENCY_UNAVAILABLE when unsure. */
  check(request: KillCheck): Promise<KillEntry | undefined>
  list(): Promise<KillEntry[]>
  /** Subscribes to change notices. */
  start(): Promise<void>
  stop(): Promise<void>
}

export type CreateKillSwitchParameters = {
  redis: Redis
  /** A dedicated connection: a subscribed ioredis connection can run no other command. */
  subscriber: Redis
  keys: RedisKeys
  /** The oldest a cached view may be before a request re-reads Redis. Bounds propagation time even if a notice is lost. */
  maxStalenessMs: number
  logger: Logger
}

/**
 * The kill switch, shared by every gateway process through Redis.
 *
 * Each process keeps a snapshot of the `kill` hash. A pub/sub notice refreshes it at once; and a
 * request never trusts a snapshot older than `maxStalenessMs`, re-reading Redis instead, so a
 * missed notice can delay a flip by at most that long. If Redis cannot be read, the check throws
 * and the request fails closed.
 */
export function createKillSwitch(parameters: CreateKillSwitchParameters): KillSwitch {
  const { redis, subscriber, keys, maxStalenessMs, logger } = parameters
  let snapshot: { entries: Map<string, KillEntry>; readAt: number } | undefined
  let refreshing: Promise<Map<string, KillEntry>> | undefined
  let generation = 0

  const refresh = (): Promise<Map<string, KillEntry>> => {
    // Single flight: concurrent requests share one read. A notice bumps the generation so a read
    // that started before the change cannot overwrite a newer view.
    refreshing ??= (async () => {
      const started = generation
      const readAt = Date.now()
      try {
        const raw = await redis.hgetall(keys.killSwitch())
        const entries = new Map(
          Object.entries(raw).map(([field, value]) => [field, parseEntry(field, value)]),
        )
        if (started === generation) snapshot = { entries, readAt }
        return entries
      } finally {
        refreshing = undefined
      }
    })()
    return refreshing
  }

  const current = async (): Promise<Map<string, KillEntry>> => {
    if (snapshot && Date.now() - snapshot.readAt <= maxStalenessMs) return snapshot.entries
    try {
      return await refresh()
    } catch (error) {
      throw new IntentGateError('DEPENDENCY_UNAVAILABLE', 'Kill switch state is unreadable', { cause: error })
    }
  }

  const onMessage = (channel: string) => {
    if (channel !== keys.killSwitchChannel()) return
    generation++
    snapshot = undefined
    refresh().catch((error: unknown) =>
      logger.warn({ err: (error as Error).message }, 'kill switch refresh failed'),
    )
  }

  const subscribe = async () => {
    try {
      await subscriber.subscribe(keys.killSwitchChannel())
    } catch (error) {
      logger.warn(
        { err: (error as Error).message },
        'kill switch not subscribed; relying on the staleness bound',
      )
    }
  }

  const notify = () => redis.publish(keys.killSwitchChannel(), String(Date.now()))

  return {
    async engage({ scope, target, reason, by }) {
      const entry: KillEntry = {
        scope,
        ...(target === undefined ? {} : { target }),
        reason,
        by,
        at: new Date().toISOString(),
      }
      await redis.hset(keys.killSwitch(), fieldOf(scope, target), JSON.stringify(entry))
      await notify()
      return entry
    },
    async release(scope, target) {
      const removed = await redis.hdel(keys.killSwitch(), fieldOf(scope, target))
      await notify()
      return removed > 0
    },
    async check({ templateId, instanceId, chainId }) {
      const entries = await current()
      if (entries.size === 0) return undefined
      const fields = ['global']
      if (templateId !== undefined) fields.push(fieldOf('template', templateId))
      if (instanceId !== undefined) fields.push(fieldOf('instance', instanceId))
      if (chainId !== undefined) fields.push(fieldOf('chain', String(chainId)))
      for (const field of fields) {
        const entry = entries.get(field)
        if (entry) return entry
      }
      return undefined
    },
    async list() {
      return [...(await current()).values()].sort((a, b) => a.at.localeCompare(b.at))
    },
    async start() {
      subscriber.on('message', onMessage)
      // Subscribe now and again on every reconnect, so a gateway that booted while Redis was down
      // still gets notices once it is back. A second SUBSCRIBE to the same channel is harmless.
      subscriber.on('ready', subscribe)
      await subscribe()
    },
    async stop() {
      subscriber.off('message', onMessage)
      subscriber.off('ready', subscribe)
      await subscriber.unsubscribe(keys.killSwitchChannel()).catch(() => undefined)
    },
  }
}

/** The hash field of a switch: `global`, or `scope:target`. */
export function fieldOf(scope: KillScope, target: string | undefined): string {
  if (scope === 'global') return 'global'
  if (!target) throw new IntentGateError('INVALID_REQUEST', `A ${scope} kill switch needs a target`)
  return `${scope}:${target}`
}

function parseEntry(field: string, value: string): KillEntry {
  try {
    return JSON.parse(value) as KillEntry
  } catch {
    // An unreadable entry still stops traffic: when in doubt, the switch is on.
    const [scope, ...rest] = field.split(':')
    const target = rest.join(':')
    return {
      scope: scope as KillScope,
      ...(target ? { target } : {}),
      reason: 'unreadable entry',
      by: 'unknown',
      at: '',
    }
  }
}
