import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Capability } from '../auth/capabilityToken.js'
import { IntentGateError } from '../errors/index.js'
import type { RedisKeys } from '../redis/keys.js'
import type { TemplateRegistry } from './registry.js'
import { type ResolvedIntent, resolveInstanceIntent } from './resolveInstanceIntent.js'

export type InstanceStatus = 'active' | 'revoked'

/** An app instance: one deployment of a template with concrete params and a resolved intent. */
export type InstanceRecord = {
  id: string
  templateDigest: string
  templateId: string
  params: Record<string, unknown>
  intent: ResolvedIntent
  att?: string
  status: InstanceStatus
  createdAt: string
  createdBy: string
  statusReason?: string
  statusAt?: string
  statusBy?: string
}

/** Issues a capability token for an instance; built in main.ts from the gateway's token key. */
export type IssueToken = (request: {
  instanceId: string
  templateDigest: string
  capabilities: Capability[]
  att?: string
  ttlSeconds?: number
}) => { token: string; claims: { jti: string; exp: number } }

export type InstanceStore = {
  create(
    request: { templateDigest: string; params: unknown; att?: string; tokenTtlSeconds?: number },
    actor: string,
  ): Promise<{ instance: InstanceRecord; token: string; tokenClaims: { jti: string; exp: number } }>
  get(instanceId: string): Promise<InstanceRecord | undefined>
  list(options: { limit: number }): Promise<InstanceRecord[]>
  revoke(instanceId: string, actor: string, reason: string): Promise<InstanceRecord>
  /** Issues another token; `actor`, who receives it, becomes one of the instance's token holders. */
  issueToken(
    instanceId: string,
    options: { ttlSeconds?: number },
    actor: string,
  ): Promise<{ token: string; tokenClaims: { jti: string; exp: number } }>
  /**
   * Every operator who ever obtained a capability token of the instance: its creator and whoever
   * issued it another. Any of them could have sent one of its requests, so none may approve them.
   */
  tokenHolders(instanceId: string): Promise<string[]>
  /** Revokes one token by jti, for as long as any token can live. */
  revokeToken(jti: string, actor: string, reason: string): Promise<void>
}

const revokeScript = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return 'missing' end
if current ~= 'revoked' then
  redis.call('HSET', KEYS[1], 'status', 'revoked', 'statusReason', ARGV[1], 'statusAt', ARGV[2], 'statusBy', ARGV[3])
end
return 'ok'
`

/** App instances in Redis, created from an active template and revocable as a whole. */
export function createInstanceStore(parameters: {
  redis: Redis
  keys: RedisKeys
  registry: TemplateRegistry
  issueToken: IssueToken
  /** How long a revoked jti is remembered: at least the longest token lifetime. */
  maxTokenTtlSeconds: number
}): InstanceStore {
  const { redis, keys, registry, issueToken, maxTokenTtlSeconds } = parameters

  const get = async (instanceId: string): Promise<InstanceRecord | undefined> => {
    const raw = await redis.hgetall(keys.instance(instanceId))
    return raw.status ? instanceFromHash(instanceId, raw) : undefined
  }

  const getOrThrow = async (instanceId: string): Promise<InstanceRecord> => {
    const instance = await get(instanceId)
    if (!instance)
      throw new IntentGateError('INSTANCE_NOT_FOUND', 'No such instance', { details: instanceId })
    return instance
  }

  const tokenFor = async (instance: InstanceRecord, ttlSeconds: number | undefined) => {
    const template = await registry.get(instance.templateDigest)
    if (!template)
      throw new IntentGateError('TEMPLATE_NOT_FOUND', 'No such template', {
        details: instance.templateDigest,
      })
    const { token, claims } = issueToken({
      instanceId: instance.id,
      templateDigest: instance.templateDigest,
      capabilities: template.manifest.capabilities,
      ...(instance.att ? { att: instance.att } : {}),
      ...(ttlSeconds ? { ttlSeconds } : {}),
    })
    return { token, tokenClaims: { jti: claims.jti, exp: claims.exp } }
  }

  return {
    async create({ templateDigest, params, att, tokenTtlSeconds }, actor) {
      const template = await registry.get(templateDigest)
      if (!template)
        throw new IntentGateError('TEMPLATE_NOT_FOUND', 'No such template', { details: templateDigest })
      if (template.status === 'revoked') {
        throw new IntentGateError('TEMPLATE_REVOKED', 'Template is revoked', {
          details: template.statusReason,
        })
      }
      if (template.status === 'deprecated') {
        throw new IntentGateError('TEMPLATE_DEPRECATED', 'Template is deprecated: no new instances', {
          details: template.statusReason,
        })
      }
      if (Date.parse(template.expiresAt) <= Date.now()) {
        throw new IntentGateError('TEMPLATE_EXPIRED', 'Template has expired', { details: template.expiresAt })
      }
      const resolved = resolveInstanceIntent(template.manifest, params)
      if (!resolved.ok) {
        throw new IntentGateError('PARAMS_INVALID', 'Instance params refused', {
          details: resolved.message,
          reasons: resolved.issues.map((issue) => ({
            code: 'PARAMS_INVALID',
            message: `${issue.path}: ${issue.message}`,
          })),
        })
      }
      const instance: InstanceRecord = {
        id: `inst_${randomBytes(12).toString('base64url')}`,
        templateDigest,
        templateId: template.id,
        params: resolved.params,
        intent: resolved.intent,
        ...(att ? { att } : {}),
        status: 'active',
        createdAt: new Date().toISOString(),
        createdBy: actor,
      }
      await redis
        .multi()
        .hset(keys.instance(instance.id), instanceToHash(instance))
        .zadd(keys.instanceIds(), Date.now(), instance.id)
        .sadd(keys.instanceTokenHolders(instance.id), actor)
        .exec()
      return { instance, ...(await tokenFor(instance, tokenTtlSeconds)) }
    },

    get,

    async list({ limit }) {
      const ids = await redis.zrevrange(keys.instanceIds(), 0, Math.max(0, limit - 1))
      const instances = await Promise.all(ids.map(get))
      return instances.filter((instance): instance is InstanceRecord => instance !== undefined)
    },

    async revoke(instanceId, actor, reason) {
      const outcome = await redis.eval(
        revokeScript,
        1,
        keys.instance(instanceId),
        reason,
        new Date().toISOString(),
        actor,
      )
      if (outcome === 'missing')
        throw new IntentGateError('INSTANCE_NOT_FOUND', 'No such instance', { details: instanceId })
      return getOrThrow(instanceId)
    },

    async issueToken(instanceId, { ttlSeconds }, actor) {
      const instance = await getOrThrow(instanceId)
      if (instance.status === 'revoked') {
        throw new IntentGateError('INSTANCE_REVOKED', 'Instance is revoked', {
          details: instance.statusReason,
        })
      }
      // Noted before the token exists: a holder the gateway does not know of could approve its own request.
      await redis.sadd(keys.instanceTokenHolders(instanceId), actor)
      return tokenFor(instance, ttlSeconds)
    },

    async tokenHolders(instanceId) {
      const [instance, issuers] = await Promise.all([
        get(instanceId),
        redis.smembers(keys.instanceTokenHolders(instanceId)),
      ])
      const holders = new Set(issuers)
      if (instance?.createdBy) holders.add(instance.createdBy)
      return [...holders].sort()
    },

    async revokeToken(jti, actor, reason) {
      await redis.set(
        keys.revokedToken(jti),
        JSON.stringify({ reason, by: actor, at: new Date().toISOString() }),
        'EX',
        maxTokenTtlSeconds,
      )
    },
  }
}

function instanceToHash(instance: InstanceRecord): Record<string, string> {
  return {
    templateDigest: instance.templateDigest,
    templateId: instance.templateId,
    params: JSON.stringify(instance.params),
    intent: JSON.stringify(instance.intent),
    ...(instance.att ? { att: instance.att } : {}),
    status: instance.status,
    createdAt: instance.createdAt,
    createdBy: instance.createdBy,
  }
}

/** Reads an instance hash; also used by the request path, which fetches the same fields in a pipeline. */
export function instanceFromHash(id: string, raw: Record<string, string>): InstanceRecord {
  return {
    id,
    templateDigest: raw.templateDigest ?? '',
    templateId: raw.templateId ?? '',
    params: JSON.parse(raw.params ?? '{}') as Record<string, unknown>,
    intent: JSON.parse(raw.intent ?? 'null') as ResolvedIntent,
    ...(raw.att ? { att: raw.att } : {}),
    status: (raw.status ?? 'revoked') as InstanceStatus,
    createdAt: raw.createdAt ?? '',
    createdBy: raw.createdBy ?? '',
    ...(raw.statusReason
      ? { statusReason: raw.statusReason, statusAt: raw.statusAt, statusBy: raw.statusBy }
      : {}),
  }
}
