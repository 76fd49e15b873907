import { execFileSync } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { type ManagedProcess, spawnUntilReady } from './childProcess.js'

export type RedisServerInstance = {
  readonly url: string
  readonly port: number
  readonly process: ManagedProcess
  stop(): Promise<void>
}

/** Returns the path of `redis-server` on PATH, or undefined when it is not installed. */
export function findRedisServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

/** Whether a Redis at `url` answers PING within `timeoutMs`; never retries, never throws. */
export async function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

/**
 * Starts a throwaway redis-server that keeps nothing on disk. Used by `npm run dev` when no
 * REDIS_URL answers, and by tests that need to kill or pause their own Redis. With `persistDir`,
 * it keeps an append-only file there, fsynced on every write, so a killed server restarted on the
 * same directory has every write it acknowledged.
 */
export async function startRedisServer(
  parameters: { port?: number; persistDir?: string } = {},
): Promise<RedisServerInstance> {
  const command = findRedisServer()
  if (!command)
    throw new Error(
      'redis-server is not installed: install it (apt-get install redis-server) or set REDIS_URL',
    )
  const port = parameters.port ?? (await freePort())
  const { process: managed } = await spawnUntilReady({
    name: 'redis-server',
    command,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      ...(parameters.persistDir
        ? ['--dir', parameters.persistDir, '--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no']),
      '--daemonize',
      'no',
    ],
    readyWhen: (line) => (/Ready to accept connections/.test(line) ? 'ready' : undefined),
  })
  return { url: `redis://127.0.0.1:${port}`, port, process: managed, stop: () => managed.stop() }
}
