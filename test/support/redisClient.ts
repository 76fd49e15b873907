import { Redis } from 'ioredis'
import { inject } from 'vitest'

/** A plain Redis connection to the run's Redis, for tests that look at or change raw state. */
export async function openRedis(): Promise<{ redis: Redis }> {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 })
  await redis.ping()
  return { redis }
}
