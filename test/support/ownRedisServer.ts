import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { type RedisServerInstance, startRedisServer } from '../../src/devtools/redisServer.js'

/**
 * A redis-server of the test file's own, started before its tests and stopped after them, for
 * tests that count the commands Redis ran or flush its script cache: the shared one must neither
 * show them other files' commands nor lose its scripts.
 */
export function ownRedisServer() {
  let server: RedisServerInstance | undefined
  let connection: Redis | undefined
  beforeAll(async () => {
    server = await startRedisServer()
    connection = new Redis(server.url)
  })
  afterAll(async () => {
    connection?.disconnect()
    await server?.stop()
  })
  const redis = (): Redis => {
    if (!connection) throw new Error('the test redis-server starts in beforeAll')
    return connection
  }
  return {
    redis,
    /** The server's URL, for connections of the test's own making. */
    url(): string {
      if (!server) throw new Error('the test redis-server starts in beforeAll')
      return server.url
    },
    /** How often Redis ran `command` so far (INFO commandstats: commands run by Lua count too). */
    async calls(command: string): Promise<number> {
      const stats = await redis().info('commandstats')
      return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0)
    },
  }
}
