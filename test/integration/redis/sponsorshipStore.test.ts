import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, test } from 'vitest'
import { createRedisKeys } from '../../../src/redis/keys.js'
import { createSponsorshipStore } from '../../../src/sponsor/sponsorshipStore.js'

const redis = new Redis('redis://127.0.0.1:6379')
const keys = createRedisKeys(`test:sponsorships:${randomUUID()}:`)
const store = createSponsorshipStore({ redis, keys, retentionSeconds: 60 })
afterAll(async () => {
  const left = await redis.keys(`${keys.sponsorSettle('')}*`)
  if (left.length > 0) await redis.del(...left)
  redis.disconnect()
})

describe('the settle claim of a sponsored op', () => {
  test('is held by one owner at a time', async () => {
    const digest = `0x${'a1'.repeat(32)}`
    expect(await store.claimSettlement(digest, 'gateway-1', 60)).toBe(true)
    expect(await store.claimSettlement(digest, 'gateway-2', 60)).toBe(false)
    expect(await store.claimSettlement(digest, 'gateway-1', 60)).toBe(false)
  })

  test('given back by its owner after a failed pass, it can be claimed again at once', async () => {
    const digest = `0x${'b2'.repeat(32)}`
    expect(await store.claimSettlement(digest, 'gateway-1', 60)).toBe(true)
    await store.releaseSettlement(digest, 'gateway-1')
    expect(await store.claimSettlement(digest, 'gateway-2', 60)).toBe(true)
  })

  test('is not given back by a process that does not hold it', async () => {
    const digest = `0x${'c3'.repeat(32)}`
    expect(await store.claimSettlement(digest, 'gateway-1', 60)).toBe(true)
    await store.releaseSettlement(digest, 'gateway-2')
    expect(await store.claimSettlement(digest, 'gateway-2', 60)).toBe(false)
    expect(await redis.get(keys.sponsorSettle(digest))).toBe('gateway-1')
  })
})
