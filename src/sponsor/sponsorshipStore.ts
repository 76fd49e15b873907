import type { Redis } from 'ioredis'
import type { RedisKeys } from '../redis/keys.js'
import { claimKey, releaseClaim } from '../redis/ownedClaim.js'
import type { RequestRecord, RequestStatus } from '../requests/requestStore.js'

/** Sponsored user operations that still need settling, and the index from userOpHash to request. */
export type SponsorshipStore = {
  /** Starts tracking a sponsored op until its UserOperationEvent is seen or its window ends. */
  track(entry: { requestDigest: string; userOpHash: string; validUntil: number }): Promise<void>
  /** Digests of tracked ops, soonest validUntil first. */
  pending(limit: number): Promise<string[]>
  untrack(requestDigest: string): Promise<void>
  /** The validUntil a tracked op was tracked with. */
  validUntilOf(requestDigest: string): Promise<number | undefined>
  /** The request digest of a sponsored op, by the EntryPoint's userOpHash. */
  requestOf(userOpHash: string): Promise<string | undefined>
  /**
   * Replaces a request record only if its status is still one of `from`: the one place a user
   * operation's record changes, so two processes never both move it on. Returns whether it did.
   */
  transition(next: RequestRecord, from: readonly RequestStatus[]): Promise<boolean>
  /** Claims the settling of one op for `ttlSeconds`, so one process attests its outcome. */
  claimSettlement(requestDigest: string, owner: string, ttlSeconds: number): Promise<boolean>
  /** Gives a claim back early (a pass that failed part-way), if `owner` still holds it. */
  releaseSettlement(requestDigest: string, owner: string): Promise<void>
}

// KEYS: the request record. ARGV: next record JSON, then the statuses it may move from.
const transitionScript = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local status = cjson.decode(raw).status
for i = 2, #ARGV do
  if status == ARGV[i] then
    redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
    return 1
  end
end
return 0
`

/** The sponsorship bookkeeping in Redis (keys documented in src/redis/keys.ts). */
export function createSponsorshipStore(parameters: {
  redis: Redis
  keys: Pick<RedisKeys, 'request' | 'sponsorPending' | 'userOpHash' | 'sponsorSettle'>
  retentionSeconds: number
}): SponsorshipStore {
  const { redis, keys, retentionSeconds } = parameters
  return {
    async track({ requestDigest, userOpHash, validUntil }) {
      await redis
        .multi()
        .set(keys.userOpHash(userOpHash.toLowerCase()), requestDigest, 'EX', retentionSeconds)
        .zadd(keys.sponsorPending(), validUntil, requestDigest)
        .exec()
    },
    pending(limit) {
      return redis.zrange(keys.sponsorPending(), 0, limit - 1)
    },
    async untrack(requestDigest) {
      await redis.zrem(keys.sponsorPending(), requestDigest)
    },
    async validUntilOf(requestDigest) {
      const score = await redis.zscore(keys.sponsorPending(), requestDigest)
      return score === null ? undefined : Number(score)
    },
    async requestOf(userOpHash) {
      return (await redis.get(keys.userOpHash(userOpHash.toLowerCase()))) ?? undefined
    },
    async transition(next, from) {
      const moved = await redis.eval(
        transitionScript,
        1,
        keys.request(next.id),
        JSON.stringify(next),
        ...from,
      )
      return moved === 1
    },
    claimSettlement(requestDigest, owner, ttlSeconds) {
      return claimKey(redis, keys.sponsorSettle(requestDigest), owner, ttlSeconds)
    },
    releaseSettlement(requestDigest, owner) {
      return releaseClaim(redis, keys.sponsorSettle(requestDigest), owner)
    },
  }
}
