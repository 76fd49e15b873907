import type { Redis } from 'ioredis'
import { luaScript } from '../redis/luaScript.js'

/**
 * A bound on how many refusals one app instance gets attested per minute. Every refusal after
 * normalization is attested, so without it a token whose instance was revoked or killed (or an
 * app sending garbage signatures) could write to the transparency log as fast as it can send.
 * Past the bound, refusals are still answered with their code, but are neither signed nor logged
 * until the next minute. Approvals are never affected.
 */
export type RefusalBudget = {
  /** Counts one attested refusal of the instance; false once its minute's budget is spent. */
  take(instanceId: string): Promise<boolean>
  /** The budget per instance and minute. */
  readonly perMinute: number
}

// KEYS: the instance's counter for this minute. ARGV: ttl (s). One atomic count and expiry.
const takeScript = luaScript(`
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
`)

export function createRefusalBudget(parameters: {
  redis: Pick<Redis, 'eval' | 'evalsha'>
  /** `{p}refusals:{instanceId}:{minute}` (see src/redis/keys.ts). */
  key: (instanceId: string, minute: number) => string
  perMinute: number
  now?: () => number
  /** Told once per instance and minute, when the budget runs out. */
  onExhausted?: (instanceId: string) => void
}): RefusalBudget {
  const { redis, key, perMinute, onExhausted } = parameters
  const now = parameters.now ?? Date.now
  return {
    perMinute,
    async take(instanceId) {
      const minute = Math.floor(now() / 60_000)
      const count = Number(await takeScript.run(redis, [key(instanceId, minute)], [120]))
      if (count === perMinute + 1) onExhausted?.(instanceId)
      return count <= perMinute
    },
  }
}
