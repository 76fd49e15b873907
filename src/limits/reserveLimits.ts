import type { Redis } from 'ioredis'
import { luaScript } from '../redis/luaScript.js'
import type { RelayJob } from '../relay/relayJob.js'
import { decimalLua } from './decimalScript.js'
import { type LimitWindowKind, limitCounter } from './limitKeys.js'

/** One limit a decision asks to reserve; produced by the policy (see src/policy/decision.ts). */
export type LimitToReserve = {
  id: string
  scope: string
  keyParts: readonly string[]
  metric: string
  /** Decimal string. */
  amount: string
  /** Decimal string. */
  max: string
  windowSeconds: number
  windowKind: LimitWindowKind
}

/**
 * What a reservation needs to be concluded by someone else if its process dies before the
 * request is recorded (see src/reconcile/reconcileInflight.ts): whose log attests it, the sender
 * nonce it claimed, and, for a meta-transaction, the job that relays it.
 */
export type PendingDecision = {
  gatewayId: string
  nonceKey: string
  signatureHash?: string
  relayJob?: RelayJob
}

/** What was reserved, kept with the request so it can be released or refunded later. */
export type Reservation = {
  limits: { id: string; key: string; amount: string }[]
  at: number
  pending?: PendingDecision
}

/**
 * A sender nonce to claim in the same atomic step as the reservation (see RequestStore.nonceClaim,
 * which builds it): `key` is the claim's Redis key, `holder` the value it takes ("id attempt").
 */
export type NonceClaim = { key: string; holder: string; ttlSeconds: number }

export type ReserveLimitsResult =
  | { ok: true; reservation: Reservation }
  | { ok: false; reason: 'limit'; limit: LimitToReserve; used: string }
  | { ok: false; reason: 'duplicate' }
  /** The nonce claim asked for is held (by the request id `holder`): nothing was reserved. */
  | { ok: false; reason: 'nonce-held'; holder: string }

// KEYS: reservation key, in-flight index, the nonce claim's key when ARGV[6] is not empty, then
// each limit's sum keys (its current bucket last). ARGV: limit count, reservation ttl, reservation
// JSON, time (ms), request digest, claim holder or '', claim ttl or '', then per limit: key count,
// amount, max, ttl. Checks every limit first and writes only if all fit: all or none, in one
// atomic step. The request joins the in-flight index until it is recorded or released.
//
// With a claim, a nonce already held stops everything (its holder is returned); otherwise the
// claim is written when the reservation is, or when the request is already reserved (as a claim
// then a reserve finding the duplicate left it), and never for a request refused by a limit.
const reserveScript = luaScript(`${decimalLua}
local claim = ARGV[6] ~= ''
local k, a = 3, 8
if claim then
  local holder = redis.call('GET', KEYS[3])
  if holder then return {'held', holder} end
  k = 4
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  if claim then redis.call('SET', KEYS[3], ARGV[6], 'EX', ARGV[7]) end
  return {'duplicate'}
end
local count = tonumber(ARGV[1])
local writes = {}
for i = 1, count do
  local keys, amount, max, ttl = tonumber(ARGV[a]), ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local used = '0'
  for j = 0, keys - 1 do
    local value = redis.call('GET', KEYS[k + j])
    if value then used = dec_add(used, value) end
  end
  if dec_cmp(dec_add(used, amount), max) > 0 then return {'limit', tostring(i), used} end
  writes[i] = {KEYS[k + keys - 1], amount, ttl}
  k, a = k + keys, a + 4
end
if claim then redis.call('SET', KEYS[3], ARGV[6], 'EX', ARGV[7]) end
for i = 1, count do
  local key, amount, ttl = writes[i][1], writes[i][2], writes[i][3]
  local current = redis.call('GET', key) or '0'
  redis.call('SET', key, dec_add(current, amount), 'EX', ttl)
end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
return {'ok'}
`)

// KEYS: reservation key, in-flight index. ARGV: request digest, then (key, amount) pairs to
// subtract. Subtracts and forgets the reservation; the request is no longer in flight.
const releaseScript = luaScript(`${decimalLua}
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do
  local current = redis.call('GET', ARGV[i])
  if current then redis.call('SET', ARGV[i], dec_sub_floor(current, ARGV[i + 1]), 'KEEPTTL') end
end
redis.call('DEL', KEYS[1])
return 1
`)

export type LimitStore = {
  /**
   * Checks every limit and, only if all fit, adds every amount, in one atomic step. A request
   * digest reserves at most once: a second call reports a duplicate and counts nothing. With
   * `claim`, the sender nonce is claimed in the same step: held already, nothing is reserved.
   */
  reserve(
    requestDigest: string,
    limits: readonly LimitToReserve[],
    now: number,
    pending?: PendingDecision,
    claim?: NonceClaim,
  ): Promise<ReserveLimitsResult>
  /** Gives back part or all of a reservation, e.g. the unused part of a gas reservation, or all of it on expiry. */
  release(requestDigest: string, amounts?: { id: string; amount: string }[]): Promise<boolean>
  /** The current reservation of a request, if any. */
  reservation(requestDigest: string): Promise<Reservation | undefined>
  /** Requests reserved before `beforeMs` (ms since the epoch) and neither recorded nor released yet. */
  inflight(beforeMs: number, limit: number): Promise<string[]>
  /** Takes a request out of the in-flight index (it was recorded, or its reservation is gone). */
  settled(requestDigest: string): Promise<void>
}

/** Limits in Redis; keys are documented in src/redis/keys.ts and built by limitKeys.ts. */
export function createLimitStore(parameters: { redis: Redis; prefix: string }): LimitStore {
  const { redis, prefix } = parameters
  const reservationKey = (digest: string) => `${prefix}res:${digest}`
  const inflightKey = inflightIndexKey(prefix)

  const reservation = async (digest: string): Promise<Reservation | undefined> => {
    const raw = await redis.get(reservationKey(digest))
    return raw ? (JSON.parse(raw) as Reservation) : undefined
  }

  return {
    async reserve(requestDigest, limits, now, pending, claim) {
      const counters = limits.map((limit) => limitCounter({ prefix, ...limit, now }))
      const held: Reservation = {
        limits: limits.map((limit, index) => ({
          id: limit.id,
          key: counters[index]?.sumKeys.at(-1) ?? '',
          amount: limit.amount,
        })),
        at: now,
        ...(pending ? { pending } : {}),
      }
      const reservationTtl = Math.max(3_600, ...counters.map((counter) => counter.ttlSeconds))
      const args: (string | number)[] = [
        limits.length,
        reservationTtl,
        JSON.stringify(held),
        Date.now(),
        requestDigest,
        claim ? claim.holder : '',
        claim ? claim.ttlSeconds : '',
      ]
      limits.forEach((limit, index) => {
        const counter = counters[index]
        if (counter) args.push(counter.sumKeys.length, limit.amount, limit.max, counter.ttlSeconds)
      })
      const keys = [
        reservationKey(requestDigest),
        inflightKey,
        ...(claim ? [claim.key] : []),
        ...counters.flatMap((counter) => counter.sumKeys),
      ]
      const outcome = (await reserveScript.run(redis, keys, args)) as string[]
      if (outcome[0] === 'duplicate') return { ok: false, reason: 'duplicate' }
      if (outcome[0] === 'held') return { ok: false, reason: 'nonce-held', holder: holderId(outcome[1]) }
      if (outcome[0] === 'limit') {
        const limit = limits[Number(outcome[1]) - 1]
        if (!limit) throw new Error(`reserve script named limit ${outcome[1]} of ${limits.length}`)
        return { ok: false, reason: 'limit', limit, used: outcome[2] ?? '0' }
      }
      return { ok: true, reservation: held }
    },

    async release(requestDigest, amounts) {
      const held = await reservation(requestDigest)
      if (!held) {
        await redis.zrem(inflightKey, requestDigest)
        return false
      }
      const pairs = held.limits.flatMap((entry) => {
        const override = amounts?.find((amount) => amount.id === entry.id)
        if (amounts && !override) return []
        return [entry.key, override ? override.amount : entry.amount]
      })
      const keys = [reservationKey(requestDigest), inflightKey]
      return (await releaseScript.run(redis, keys, [requestDigest, ...pairs])) === 1
    },

    reservation,

    async inflight(beforeMs, limit) {
      return redis.zrangebyscore(inflightKey, '-inf', beforeMs, 'LIMIT', 0, limit)
    },

    async settled(requestDigest) {
      await redis.zrem(inflightKey, requestDigest)
    },
  }
}

/** The request id of a nonce claim's value, "id attempt" or (claimed without an attempt) "id". */
export function holderId(value: string | null | undefined): string {
  return value?.split(' ')[0] ?? ''
}

/** The in-flight index: reserved requests not yet recorded or released (see src/redis/keys.ts). */
export function inflightIndexKey(prefix: string): string {
  return `${prefix}inflight`
}
