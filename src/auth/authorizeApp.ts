import type { Redis } from 'ioredis'
import { IntentGateError } from '../errors/index.js'
import type { KillSwitch } from '../killSwitch/killSwitch.js'
import type { RedisKeys } from '../redis/keys.js'
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

const templateFields = ['id', 'status', 'expiresAt', 'level'] as const

/** Builds the authorizer for micro-app requests. Every failure is an IntentGateError with a stable code. */
export function createAppAuthorizer(parameters: {
  redis: Redis
  keys: RedisKeys
  verifyToken: VerifyToken
  killSwitch: KillSwitch
}): AppAuthorizer {
  const { redis, keys, verifyToken, killSwitch } = parameters

  /**
   * The instance behind `claims`: the whole record, or, for a session already loaded, only the two
   * fields that can change under it (its status and template), read again and laid over `known`.
   * An instance's params and resolved intent are written once, at creation, so the recheck before
   * a commit need not read and parse them a second time.
   */
  const readInstance = async (
    claims: CapabilityClaims,
    known: InstanceRecord | undefined,
  ): Promise<InstanceRecord | undefined> => {
    if (!known) {
      const hash = await redis.hgetall(keys.instance(claims.sub))
      return hash.status ? instanceFromHash(claims.sub, hash) : undefined
    }
    const [status, templateDigest] = await redis.hmget(keys.instance(claims.sub), 'status', 'templateDigest')
    if (!status) return undefined
    return { ...known, status: status as InstanceRecord['status'], templateDigest: templateDigest ?? '' }
  }

  const loadState = async (
    claims: CapabilityClaims,
    chainId: number | undefined,
    known?: InstanceRecord,
  ): Promise<AppSession> => {
    // Three commands sent in one write with whatever else this tick sends (the request connection
    // auto-pipelines), rather than an explicit pipeline, which costs a socket write of its own.
    const [revokedToken, found, [templateId, templateStatus, expiresAt, level]] = await Promise.all([
      redis.get(keys.revokedToken(claims.jti)),
      readInstance(claims, known),
      redis.hmget(keys.template(claims.tdg), ...templateFields),
    ]).catch((error: unknown) => {
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
