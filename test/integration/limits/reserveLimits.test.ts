import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { decimalLua } from '../../../src/limits/decimalScript.js'
import { createLimitStore, type LimitStore, type LimitToReserve } from '../../../src/limits/reserveLimits.js'
import { openRedis } from '../../support/redisClient.js'

let redis: Redis
let store: LimitStore
const prefix = `${inject('redisKeyPrefix')}limits-${randomBytes(3).toString('hex')}:`
const now = Math.floor(Date.now() / 1000)

beforeAll(async () => {
  redis = (await openRedis()).redis
  store = createLimitStore({ redis, prefix })
})
afterAll(() => redis.disconnect())

const digest = () => `0x${randomBytes(32).toString('hex')}`

function limit(overrides: Partial<LimitToReserve> = {}): LimitToReserve {
  return {
    id: `l${randomBytes(3).toString('hex')}`,
    scope: 'instance',
    keyParts: ['inst_a'],
    metric: 'count',
    amount: '1',
    max: '50',
    windowSeconds: 86_400,
    windowKind: 'utc-day',
    ...overrides,
  }
}

describe('reserve', () => {
  test('500 concurrent reservations against a cap of 50 give exactly 50, and the counter reads 50', async () => {
    const cap = limit()
    const results = await Promise.all(Array.from({ length: 500 }, () => store.reserve(digest(), [cap], now)))
    expect(results.filter((result) => result.ok)).toHaveLength(50)
    expect(results.filter((result) => !result.ok && result.reason === 'limit')).toHaveLength(450)
    const ok = results.find((result) => result.ok)
    if (!ok?.ok) throw new Error('no reservation succeeded')
    expect(await redis.get(ok.reservation.limits[0]?.key ?? '')).toBe('50')
  })

  test('all or none: when the second limit is full, the first is not incremented', async () => {
    const roomy = limit({ max: '10' })
    const full = limit({ max: '0' })
    const result = await store.reserve(digest(), [roomy, full], now)
    expect(result).toStrictEqual({ ok: false, reason: 'limit', limit: full, used: '0' })
    const probe = await store.reserve(digest(), [roomy], now)
    if (!probe.ok) throw new Error('roomy limit should have room')
    expect(await redis.get(probe.reservation.limits[0]?.key ?? '')).toBe('1')
  })

  test('the same request digest never counts twice', async () => {
    const cap = limit()
    const request = digest()
    expect((await store.reserve(request, [cap], now)).ok).toBe(true)
    expect(await store.reserve(request, [cap], now)).toStrictEqual({ ok: false, reason: 'duplicate' })
    const other = await store.reserve(digest(), [cap], now)
    if (!other.ok) throw new Error('expected room')
    expect(await redis.get(other.reservation.limits[0]?.key ?? '')).toBe('2')
  })

  test('with a nonce claim: claimed with the reservation, or, held already, nothing reserved and the holder named', async () => {
    const cap = limit({ max: '2' })
    const claimKey = `${prefix}nonce:${randomBytes(4).toString('hex')}`
    const first = digest()
    const claim = (id: string, attempt: string) => ({
      key: claimKey,
      holder: `${id} ${attempt}`,
      ttlSeconds: 60,
    })
    const reserved = await store.reserve(first, [cap], now, undefined, claim(first, 'a1'))
    if (!reserved.ok) throw new Error('expected room')
    expect(await redis.get(claimKey)).toBe(`${first} a1`)
    expect(await redis.ttl(claimKey)).toBeGreaterThan(50)

    // Another request for the same nonce: refused at the claim, its limits untouched.
    const second = digest()
    expect(await store.reserve(second, [cap], now, undefined, claim(second, 'b1'))).toStrictEqual({
      ok: false,
      reason: 'nonce-held',
      holder: first,
    })
    expect(await redis.get(reserved.reservation.limits[0]?.key ?? '')).toBe('1')
    expect(await store.reservation(second)).toBeUndefined()
    expect(await redis.get(claimKey)).toBe(`${first} a1`)
  })

  test('with a nonce claim: a request refused by a limit does not claim; one already reserved does', async () => {
    const full = limit({ max: '0' })
    const claimKey = `${prefix}nonce:${randomBytes(4).toString('hex')}`
    const refused = digest()
    const result = await store.reserve(refused, [full], now, undefined, {
      key: claimKey,
      holder: `${refused} r1`,
      ttlSeconds: 60,
    })
    expect(result).toMatchObject({ ok: false, reason: 'limit' })
    expect(await redis.get(claimKey)).toBeNull()

    const cap = limit()
    const request = digest()
    expect((await store.reserve(request, [cap], now)).ok).toBe(true)
    const again = await store.reserve(request, [cap], now, undefined, {
      key: claimKey,
      holder: `${request} d1`,
      ttlSeconds: 60,
    })
    expect(again).toStrictEqual({ ok: false, reason: 'duplicate' })
    expect(await redis.get(claimKey)).toBe(`${request} d1`)
  })

  test('wei amounts far beyond 2^53 are added and compared exactly', async () => {
    const oneEther = '1000000000000000000'
    const wei = limit({ metric: 'valueWei', amount: '333333333333333333', max: oneEther })
    expect((await store.reserve(digest(), [wei], now)).ok).toBe(true)
    expect((await store.reserve(digest(), [wei], now)).ok).toBe(true)
    expect((await store.reserve(digest(), [wei], now)).ok).toBe(true)
    const fourth = await store.reserve(digest(), [{ ...wei, amount: '2' }], now)
    expect(fourth).toMatchObject({ ok: false, reason: 'limit', used: '999999999999999999' })
    expect((await store.reserve(digest(), [{ ...wei, amount: '1' }], now)).ok).toBe(true)
  })

  test('a rolling window forgets what fell out of it', async () => {
    const rolling = limit({ windowKind: 'rolling', windowSeconds: 600, max: '2' })
    expect((await store.reserve(digest(), [rolling], now - 700)).ok).toBe(true)
    expect((await store.reserve(digest(), [rolling], now - 700)).ok).toBe(true)
    expect((await store.reserve(digest(), [rolling], now - 650)).ok).toBe(false)
    expect((await store.reserve(digest(), [rolling], now)).ok).toBe(true)
  })

  test('release gives back all of a reservation, or part of it', async () => {
    const gas = limit({ metric: 'gasWei', amount: '5000', max: '10000' })
    const count = limit()
    const request = digest()
    const reserved = await store.reserve(request, [gas, count], now)
    if (!reserved.ok) throw new Error('expected room')
    expect(await store.release(request, [{ id: gas.id, amount: '3000' }])).toBe(true)
    expect(await redis.get(reserved.reservation.limits[0]?.key ?? '')).toBe('2000')
    expect(await redis.get(reserved.reservation.limits[1]?.key ?? '')).toBe('1')
    expect(await store.release(request)).toBe(false)

    const whole = digest()
    const again = await store.reserve(whole, [count], now)
    if (!again.ok) throw new Error('expected room')
    expect(await store.release(whole)).toBe(true)
    expect(await redis.get(again.reservation.limits[0]?.key ?? '')).toBe('1')
  })
})

describe('decimal arithmetic in Lua', () => {
  const uint = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })
  const script = `${decimalLua}
return {dec_add(ARGV[1], ARGV[2]), tostring(dec_cmp(ARGV[1], ARGV[2])), dec_sub_floor(ARGV[1], ARGV[2])}`

  test('add, compare and floor-subtract agree with BigInt for any uint256 pair', async () => {
    await fc.assert(
      fc.asyncProperty(uint, uint, async (a, b) => {
        const [sum, cmp, difference] = (await redis.eval(script, 0, a.toString(), b.toString())) as string[]
        expect(sum).toBe((a + b).toString())
        expect(Number(cmp)).toBe(a === b ? 0 : a < b ? -1 : 1)
        expect(difference).toBe((a > b ? a - b : 0n).toString())
      }),
      { numRuns: 300 },
    )
  })
})
