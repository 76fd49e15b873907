import type { Redis } from 'ioredis'
import { IntentGateError } from '../errors/index.js'
import type { KillSwitch } from '../killSwitch/killSwitch.js'
import type { RedisKeys } from '../redis/keys.js'
import { luaScript } from '../redis/luaScript.js'
import { type InstanceRecord, instanceFromHash } from '../templates/instances.js'
import type { TemplateState, TemplateStatus } from '../templates/registry.js'
import { bearerToken, type CapabilityClaims, type verifyCapabilityToken } from './capabilityToken.js'

/** Who is asking, on the authority of which template: the first stage of the decision pipeline. */
export type AppSession = {
  claims: CapabilityClaims
  instance: InstanceRecord
  template: TemplateState
}

export type VerifyToken = (token: string) => ReturnType<typeof verifyCapabilityToken>

export type AppAuthorizer = {
  /** Checks the bearer token and, in one Redis round trip, every revocation, expiry and kill switch. */
  authorize(authorization: string | undefined, context?: { chainId?: number }): Promise<AppSession>
  /** Checks only the token itself: signature, audience, issuer, lifetime. No Redis. */
  authenticate(authorization: string | undefined): CapabilityClaims
  /** Checks the revocable state behind verified claims: revocations, expiry and kill switches. */
  authorizeClaims(claims: CapabilityClaims, context?: { chainId?: number }): Promise<AppSession>
  /**
   * Re-reads the revocable state of an already authorized session: the same checks as
   * `authorizeClaims`, reading of the instance only its status and template. Called again just
   * before a decision is committed, so a revocation that lands while a request is in flight still
   * stops it.
   */
  recheck(session: AppSession, context?: { chainId?: number }): Promise<AppSession>
}

// KEYS: the token's revocation flag, the instance hash, the template hash. ARGV[1]: 'all' for the
// whole instance hash (HGETALL, flat), else only its status and templateDigest. The template's
// id, status, expiresAt and level, in that order.
const stateScript = luaScript(`
local instance
if ARGV[1] == 'all' then
  instance = redis.call('HGETALL', KEYS[2])
else
  instance = redis.call('HMGET', KEYS[2], 'status', 'templateDigest')
end
return {redis.call('GET', KEYS[1]), instance, redis.call('HMGET', KEYS[3], 'id', 'status', 'expiresAt', 'level')}
`)

/** Builds the authorizer for micro-app requests. Every failure is an IntentGateError with a stable code. */
export function createAppAuthorizer(parameters: {
  redis: Redis
  keys: RedisKeys
  verifyToken: VerifyToken
  killSwitch: KillSwitch
}): AppAuthorizer {
  const { redis, keys, verifyToken, killSwitch } = parameters

  /**
   * Reads the revocable state behind `claims` in one script (one command, on the request
   * connection's auto-pipeline): the token's revocation, the instance, and the template's fields.
   * For a session already loaded (`known`), only the two instance fields that can change under it,
   * its status and template, are read again and laid over it: an instance's params and resolved
   * intent are written once, at creation, so the recheck before a commit does not read and parse
   * them a second time.
   */
  const readState = async (claims: CapabilityClaims, known: InstanceRecord | undefined) => {
    const [revokedToken, instanceFields, templateValues] = (await stateScript.run(
      redis,
      [keys.revokedToken(claims.jti), keys.instance(claims.sub), keys.template(claims.tdg)],
      [known ? 'status' : 'all'],
    )) as [string | null, (string | null)[], (string | null)[]]
    let instance: InstanceRecord | undefined
    if (!known) {
      const hash: Record<string, string> = {}
      for (let index = 0; index + 1 < instanceFields.length; index += 2)
        hash[instanceFields[index] as string] = instanceFields[index + 1] as string
      instance = hash.status ? instanceFromHash(claims.sub, hash) : undefined
    } else {
      const [status, templateDigest] = instanceFields
      instance = status
        ? { ...known, status: status as InstanceRecord['status'], templateDigest: templateDigest ?? '' }
        : undefined
    }
    return { revokedToken, instance, template: templateValues }
  }

  const loadState = async (
    claims: CapabilityClaims,
    chainId: number | undefined,
    known?: InstanceRecord,
  ): Promise<AppSession> => {
    const {
      revokedToken,
      instance: found,
      template: [templateId, templateStatus, expiresAt, level],
    } = await readState(claims, known).catch((error: unknown) => {
      throw new IntentGateError('DEPENDENCY_UNAVAILABLE', 'Redis did not answer', { cause: error })
    })

    if (revokedToken) throw new IntentGateError('TOKEN_REVOKED', 'Capability token is revoked')
    if (!found) throw new IntentGateError('TOKEN_INVALID', 'Capability token names no known instance')
    const instance = found
    if (instance.templateDigest !== claims.tdg) {
      throw new IntentGateError('TOKEN_INVALID', 'Capability token does not match its instance')
    }
    if (instance.status === 'revoked') {
      // The operator's reason is for operators and auditors; the app only learns that it was revoked.
      throw new IntentGateError('INSTANCE_REVOKED', 'Instance is revoked')
    }
    if (!templateId || !templateStatus || !expiresAt) {
      throw new IntentGateError('TEMPLATE_REVOKED', 'Template record is missing')
    }
    if (templateStatus === 'revoked') throw new IntentGateError('TEMPLATE_REVOKED', 'Template is revoked')
    if (Date.parse(expiresAt) <= Date.now()) {
      throw new IntentGateError('TEMPLATE_EXPIRED', 'Template has expired', { details: expiresAt })
    }

    const engaged = await killSwitch.check({
      templateId,
      instanceId: instance.id,
      ...(chainId ? { chainId } : {}),
    })
    if (engaged) {
      const scope = engaged.target ? `${engaged.scope} ${engaged.target}` : engaged.scope
      throw new IntentGateError('KILL_SWITCH', 'Kill switch engaged', {
        details: scope,
        reasons: [{ code: 'KILL_SWITCH', message: `${scope}: kill switch engaged` }],
      })
    }
    return {
      claims,
      instance,
      template: {
        digest: claims.tdg,
        id: templateId,
        status: templateStatus as TemplateStatus,
        expiresAt,
        verificationLevel: Number(level),
      },
    }
  }

  const authenticate = (authorization: string | undefined): CapabilityClaims => {
    const bearer = bearerToken(authorization)
    if (!bearer.ok) throw new IntentGateError(bearer.code, bearer.message)
    const verified = verifyToken(bearer.token)
    if (!verified.ok) throw new IntentGateError(verified.code, verified.message)
    return verified.claims
  }

  return {
    authorize(authorization, context = {}) {
      return loadState(authenticate(authorization), context.chainId)
    },
    authenticate,
    authorizeClaims(claims, context = {}) {
      return loadState(claims, context.chainId)
    },
    recheck(session, context = {}) {
      return loadState(session.claims, context.chainId, session.instance)
    },
  }
}
