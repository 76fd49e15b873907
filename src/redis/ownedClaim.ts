import type { Redis } from 'ioredis'
import { luaScript } from './luaScript.js'

// KEYS: the claim. ARGV: the owner giving it back.
const releaseScript = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`)

/**
 * Takes `key` for `owner` for `ttlSeconds` unless someone holds it: one process at a time does
 * the work it guards, and a holder that dies lets go when the time runs out.
 */
export async function claimKey(
  redis: Pick<Redis, 'set'>,
  key: string,
  owner: string,
  ttlSeconds: number,
): Promise<boolean> {
  return (await redis.set(key, owner, 'EX', ttlSeconds, 'NX')) === 'OK'
}

/** Gives a claim back early, if `owner` still holds it: never one another process took since. */
export async function releaseClaim(
  redis: Pick<Redis, 'eval' | 'evalsha'>,
  key: string,
  owner: string,
): Promise<void> {
  await releaseScript.run(redis, [key], [owner])
}
