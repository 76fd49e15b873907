import type { Redis } from 'ioredis'
import type { Attestor } from '../attest/attestationLog.js'
import type { AdminPrincipal } from '../auth/adminKeys.js'
import type { Logger } from '../observability/logger.js'
import type { RedisKeys } from '../redis/keys.js'

/** One thing an operator did, with who did it. The attestation log records these too, later. */
export type AdminAction = {
  actor: AdminPrincipal
  action: string
  target: string
  detail?: Record<string, unknown>
  /**
   * The log entry of a statement of its own that already attests the action (an approval event's
   * approval/v1). It is then not attested a second time: the stream entry points at that one.
   */
  attested?: { logIndex: number }
}

export type RecordAdminAction = (action: AdminAction) => Promise<void>

/** The most admin actions kept in the Redis stream; older ones stay in the logs. */
const streamLength = 100_000

/**
 * Records admin actions three ways: a signed attestation in the transparency log (unless the
 * action brings its own), a capped Redis stream for quick listing that names the attestation's
 * log index, and the process log. Both writes are awaited, so an action whose record cannot be
 * written is reported as failed rather than done silently.
 */
export function createAdminActionRecorder(parameters: {
  redis: Redis
  keys: RedisKeys
  logger: Logger
  attestor: Pick<Attestor, 'attestAdminAction'>
}): RecordAdminAction {
  const { redis, keys, logger, attestor } = parameters
  return async function recordAdminAction({ actor, action, target, detail, attested }) {
    logger.info({ actor: actor.name, role: actor.role, action, target, detail }, 'admin action')
    const logIndex =
      attested?.logIndex ??
      (await attestor.attestAdminAction({ actor, action, target, detail: detail ?? {} })).index
    await redis.xadd(
      keys.adminActions(),
      'MAXLEN',
      '~',
      streamLength,
      '*',
      'actor',
      actor.name,
      'role',
      actor.role,
      'action',
      action,
      'target',
      target,
      'detail',
      JSON.stringify(detail ?? {}),
      'logIndex',
      String(logIndex),
      'at',
      new Date().toISOString(),
    )
  }
}
