import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { Redis } from 'ioredis'
import type {} from 'vitest'
import type { TestProject } from 'vitest/node'
import { startAnvil } from '../../src/devtools/anvil.js'
import { redisAnswers } from '../../src/devtools/redisServer.js'
import { fixtureStatePath } from './paths.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON-RPC URL of the Anvil loaded from anvil-fixtures/state.json, shared by the whole run. */
    anvilUrl: string
    redisUrl: string
    /** Every Redis key a test writes starts with this, so runs never collide and teardown can clean up. */
    redisKeyPrefix: string
  }
}

/**
 * Integration global setup: fail fast when Redis is down, start one Anvil from the fixture state,
 * and hand both to the tests through `inject`.
 */
export default async function setup(project: TestProject) {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const redisKeyPrefix = `igtest:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`
  await assertRedisReachable(redisUrl)

  if (!existsSync(fixtureStatePath)) {
    throw new Error(`missing ${fixtureStatePath}: run \`npm run fixtures:build\``)
  }
  const anvil = await startAnvil({ stateFile: fixtureStatePath })

  project.provide('anvilUrl', anvil.url)
  project.provide('redisUrl', redisUrl)
  project.provide('redisKeyPrefix', redisKeyPrefix)

  return async () => {
    await anvil.stop()
    await deleteKeysWithPrefix(redisUrl, redisKeyPrefix)
  }
}

async function assertRedisReachable(url: string): Promise<void> {
  if (await redisAnswers(url, 2_000)) return
  throw new Error(
    `Redis is not reachable at ${url}: start it with \`redis-server --daemonize yes --save "" --appendonly no\` or set REDIS_URL`,
  )
}

async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}
