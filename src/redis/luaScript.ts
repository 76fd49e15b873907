import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

export type LuaScript = {
  /** SHA-1 of the source, as Redis names a cached script. */
  readonly sha: string
  /** Runs the script with these keys and arguments; resolves with its reply. */
  run(
    redis: Pick<Redis, 'eval' | 'evalsha'>,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown>
}

/**
 * A Lua script sent by its SHA-1 (EVALSHA) rather than its source on every call: a call then
 * costs 40 bytes instead of the whole script, and Redis does not hash the source again. A server
 * that does not hold the script yet (first call, restart, SCRIPT FLUSH) answers NOSCRIPT without
 * running anything, and the call is made once more with the source (EVAL), which also caches it.
 */
export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex')
  return {
    sha,
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args)
      } catch (error) {
        if (!isNoScript(error)) throw error
        return redis.eval(source, keys.length, ...keys, ...args)
      }
    },
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}
