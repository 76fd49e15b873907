import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RedisKeys } from '../redis/keys.js'
import type { AdminPrincipal } from './adminKeys.js'

/**
 * Console sessions: a login with an admin key becomes a random session id in an HttpOnly cookie,
 * and the session itself (who, which role, its CSRF token) lives in Redis until it expires or the
 * user logs out. Redis holds only the SHA-256 of each id, so a dump of it cannot be replayed as a
 * cookie; the admin key is never stored at all.
 */
export type ConsoleSession = {
  principal: AdminPrincipal
  /** Sent back in every form; a change is refused unless it matches. Bound to this session only. */
  csrfToken: string
  createdAt: string
  expiresAt: string
}

export type ConsoleSessionStore = {
  create(principal: AdminPrincipal): Promise<{ id: string; session: ConsoleSession }>
  /** The session of a cookie's id, or undefined when it is unknown, malformed or expired. */
  get(id: string): Promise<ConsoleSession | undefined>
  destroy(id: string): Promise<void>
}

/** 32 random bytes, base64url: the shape of every session id and CSRF token. */
const tokenPattern = /^[A-Za-z0-9_-]{43}$/

export function createConsoleSessionStore(parameters: {
  redis: Pick<Redis, 'set' | 'get' | 'del'>
  keys: Pick<RedisKeys, 'consoleSession'>
  ttlSeconds: number
  now?: () => number
}): ConsoleSessionStore {
  const { redis, keys, ttlSeconds } = parameters
  const now = parameters.now ?? Date.now
  const keyOf = (id: string) => keys.consoleSession(createHash('sha256').update(id).digest('hex'))
  return {
    async create(principal) {
      const id = randomToken()
      const at = now()
      const session: ConsoleSession = {
        principal: { name: principal.name, role: principal.role },
        csrfToken: randomToken(),
        createdAt: new Date(at).toISOString(),
        expiresAt: new Date(at + ttlSeconds * 1000).toISOString(),
      }
      await redis.set(keyOf(id), JSON.stringify(session), 'EX', ttlSeconds)
      return { id, session }
    },
    async get(id) {
      if (!tokenPattern.test(id)) return undefined
      const raw = await redis.get(keyOf(id))
      if (!raw) return undefined
      const session = JSON.parse(raw) as ConsoleSession
      // Redis expires the key; the stored time also holds if a key outlived its TTL somehow.
      return Date.parse(session.expiresAt) > now() ? session : undefined
    },
    async destroy(id) {
      if (tokenPattern.test(id)) await redis.del(keyOf(id))
    },
  }
}

/** Whether a submitted CSRF token is the session's, compared in constant time. */
export function csrfTokenMatches(session: ConsoleSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || !tokenPattern.test(submitted)) return false
  return timingSafeEqual(Buffer.from(submitted), Buffer.from(session.csrfToken))
}

export type LoginRateLimiter = {
  /** Counts one attempt from `address`; refused once the window's allowance is used up. */
  attempt(address: string): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>
}

/** Window of the login limit. */
export const loginWindowSeconds = 15 * 60

/**
 * Console logins per client address: a fixed 15-minute window counted in Redis, so every gateway
 * process shares one count. An admin key has 256 bits, so the limit is not what keeps it safe; it
 * keeps a guesser from turning the login form into load, and makes one visible.
 */
export function createLoginRateLimiter(parameters: {
  redis: Pick<Redis, 'multi'>
  keys: Pick<RedisKeys, 'consoleLoginAttempts'>
  attemptsPerWindow: number
  now?: () => number
}): LoginRateLimiter {
  const { redis, keys, attemptsPerWindow } = parameters
  const now = parameters.now ?? Date.now
  return {
    async attempt(address) {
      const seconds = Math.floor(now() / 1000)
      const window = Math.floor(seconds / loginWindowSeconds)
      const key = keys.consoleLoginAttempts(address, window)
      const replies = await redis.multi().incr(key).expire(key, loginWindowSeconds).exec()
      const count = Number(replies?.[0]?.[1])
      if (Number.isFinite(count) && count <= attemptsPerWindow) return { allowed: true }
      return { allowed: false, retryAfterSeconds: (window + 1) * loginWindowSeconds - seconds }
    },
  }
}

function randomToken(): string {
  return randomBytes(32).toString('base64url')
}
