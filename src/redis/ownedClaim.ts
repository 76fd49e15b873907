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

// KEYS: the claim. ARGV: the owner keeping it, the new ttl in seconds.
const renewScript = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`)

/**
 * Extends `owner`'s claim on `key` to `ttlSeconds` from now, if `owner` still holds it: a holder
 * that is slow but alive keeps its claim. False if the claim lapsed or another process holds it.
 */
export async function renewClaim(
  redis: Pick<Redis, 'eval' | 'evalsha'>,
  key: string,
  owner: string,
  ttlSeconds: number,
): Promise<boolean> {
  return (await renewScript.run(redis, [key], [owner, ttlSeconds])) === 1
}

/** Whether `owner` holds the claim on `key` right now. */
export async function holdsClaim(redis: Pick<Redis, 'get'>, key: string, owner: string): Promise<boolean> {
  return (await redis.get(key)) === owner
}
