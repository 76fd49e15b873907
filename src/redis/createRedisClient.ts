import { Redis } from 'ioredis'
import type { Logger } from '../observability/logger.js'

/**
 * The gateway's Redis connection for commands on the request path. With the offline queue off,
 * a command fails at once while Redis is down instead of waiting, so requests fail closed with
 * 503 rather than hang. A Redis that still holds the connection but does not answer (paused,
 * overloaded) is caught by `commandTimeoutMs`: the command fails, and the request with it.
 * Reconnection goes on in the background with capped backoff.
 */
export function createRedisClient(parameters: {
  url: string
  logger: Logger
  connectionName?: string
  /** How long one command may wait for its answer; none for a subscriber, which waits by design. */
  commandTimeoutMs?: number
  /**
   * Sends the commands issued in one tick as one pipeline: one socket write for many, in order.
   * For the request connection, where concurrent requests each send their own commands. Not for
   * a connection with commands defined on it (BullMQ's), which ioredis copies into each pipeline.
   */
  autoPipelining?: boolean
}): Redis {
  const { url, logger, connectionName = 'intentgate', commandTimeoutMs, autoPipelining = false } = parameters
  const redis = new Redis(url, {
    connectionName,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: autoPipelining,
    connectTimeout: 2_000,
    ...(commandTimeoutMs ? { commandTimeout: commandTimeoutMs } : {}),
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  })
  let lastError = ''
  redis.on('error', (error: Error) => {
    // ioredis emits the same error on every retry; log each distinct one once.
    if (error.message === lastError) return
    lastError = error.message
    logger.warn({ err: error.message }, 'redis connection error')
  })
  redis.on('ready', () => {
    lastError = ''
    logger.info('redis ready')
  })
  return redis
}
