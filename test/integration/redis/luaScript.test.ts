import { describe, expect, test } from 'vitest'
import { createLogger } from '../../../src/observability/logger.js'
import { createRedisClient } from '../../../src/redis/createRedisClient.js'
import { luaScript } from '../../../src/redis/luaScript.js'
import { ownRedisServer } from '../../support/ownRedisServer.js'

// A redis-server of its own: the test flushes its script cache, which the shared one must keep.
const { redis: connection, url, calls } = ownRedisServer()

describe('luaScript', () => {
  const increment = luaScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")

  test('is named by the SHA-1 of its source, as Redis names it', async () => {
    expect(await connection().script('LOAD', "return redis.call('INCRBY', KEYS[1], ARGV[1])")).toBe(
      increment.sha,
    )
    await connection().script('FLUSH')
  })

  test('a server without the script runs it once from source, then by hash only', async () => {
    const [evalBefore, shaBefore] = [await calls('eval'), await calls('evalsha')]
    expect(await increment.run(connection(), ['counter'], [5])).toBe(5)
    expect(await calls('eval')).toBe(evalBefore + 1)
    for (let index = 0; index < 3; index++) await increment.run(connection(), ['counter'], [1])
    expect(await connection().get('counter')).toBe('8')
    expect(await calls('eval')).toBe(evalBefore + 1)
    // One EVALSHA that found nothing, then one per later call.
    expect(await calls('evalsha')).toBe(shaBefore + 4)
  })

  test('after the cache is flushed the next call still runs exactly once', async () => {
    await connection().set('flushed', '0')
    await connection().script('FLUSH')
    expect(await increment.run(connection(), ['flushed'], [1])).toBe(1)
    expect(await connection().get('flushed')).toBe('1')
  })

  test('an error of the script itself is not retried from source', async () => {
    await connection().hset('a-hash', 'field', '1')
    await increment.run(connection(), ['warm'], [1])
    const evalBefore = await calls('eval')
    await expect(increment.run(connection(), ['a-hash'], [1])).rejects.toThrow(/WRONGTYPE/)
    expect(await calls('eval')).toBe(evalBefore)
  })

  test('on the pipelining request connection, calls of one tick go as one pipeline, each run once with its own reply', async () => {
    const client = createRedisClient({
      url: url(),
      logger: createLogger({ level: 'silent' }),
      autoPipelining: true,
    })
    await client.connect()
    try {
      await connection().script('FLUSH')
      const keys = Array.from({ length: 10 }, (_, index) => `piped-${index}`)
      const replies = keys.map((key, index) => increment.run(client, [key], [index + 1]))
      expect(client.autoPipelineQueueSize).toBe(keys.length)
      // Every EVALSHA of the pipeline found nothing; each call fell back to EVAL on its own.
      expect(await Promise.all(replies)).toStrictEqual(keys.map((_, index) => index + 1))
      expect(await connection().mget(...keys)).toStrictEqual(keys.map((_, index) => String(index + 1)))
    } finally {
      client.disconnect()
    }
  })
})
