import type { Redis } from 'ioredis'
import type { DsseEnvelope } from '../crypto/dsse.js'
import { IntentGateError } from '../errors/index.js'
import type { RedisKeys } from '../redis/keys.js'
import { parseTemplateManifest, type TemplateManifest } from './manifest.js'
import type { verifyTemplateEnvelope } from './verifyTemplate.js'

export type TemplateStatus = 'active' | 'deprecated' | 'revoked'

/** A published template version as the registry keeps it. */
export type TemplateRecord = {
  digest: string
  id: string
  version: string
  verificationLevel: number
  publisher: string
  status: TemplateStatus
  expiresAt: string
  publishedAt: string
  publishedBy: string
  signers: string[]
  statusReason?: string
  statusAt?: string
  statusBy?: string
  manifest: TemplateManifest
  envelope: DsseEnvelope
}

export type TemplateSummary = Omit<TemplateRecord, 'manifest' | 'envelope'>

/** The fields the request path needs, read without the envelope. */
export type TemplateState = Pick<
  TemplateRecord,
  'digest' | 'id' | 'status' | 'expiresAt' | 'verificationLevel'
>

export type TemplateRegistry = {
  /** Verifies and stores a signed template. Publishing the same digest again returns the stored record. */
  publish(envelope: unknown, actor: string): Promise<{ record: TemplateRecord; created: boolean }>
  get(digest: string): Promise<TemplateRecord | undefined>
  state(digest: string): Promise<TemplateState | undefined>
  list(): Promise<{ id: string; versions: TemplateSummary[] }[]>
  deprecate(digest: string, actor: string, reason: string): Promise<TemplateRecord>
  revoke(digest: string, actor: string, reason: string): Promise<TemplateRecord>
}

export type VerifyTemplate = (envelope: unknown) => ReturnType<typeof verifyTemplateEnvelope>

// Publishing is one script so a half-written record can never exist, and a second publish of the
// same digest never overwrites the first one's status: a revoked template stays revoked.
// KEYS: template hash, id set, versions zset. ARGV: id, score, digest, then field/value pairs.
const publishScript = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1
`

// A status change is one script so a racing deprecate can never resurrect a revoked template,
// and the change and its reason land together.
const setStatusScript = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return 'missing' end
if current == 'revoked' then return 'revoked' end
if current == ARGV[1] then return 'unchanged' end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'statusReason', ARGV[2], 'statusAt', ARGV[3], 'statusBy', ARGV[4])
return 'ok'
`

/** The template registry in Redis: verified, signed templates, versions side by side. */
export function createTemplateRegistry(parameters: {
  redis: Redis
  keys: RedisKeys
  verify: VerifyTemplate
}): TemplateRegistry {
  const { redis, keys, verify } = parameters

  const get = async (digest: string): Promise<TemplateRecord | undefined> => {
    const raw = await redis.hgetall(keys.template(digest))
    return raw.status ? recordFromHash(digest, raw) : undefined
  }

  const getOrThrow = async (digest: string): Promise<TemplateRecord> => {
    const record = await get(digest)
    if (!record) throw new IntentGateError('TEMPLATE_NOT_FOUND', 'No such template', { details: digest })
    return record
  }

  const setStatus = async (digest: string, status: TemplateStatus, actor: string, reason: string) => {
    const outcome = await redis.eval(
      setStatusScript,
      1,
      keys.template(digest),
      status,
      reason,
      new Date().toISOString(),
      actor,
    )
    if (outcome === 'missing') return getOrThrow(digest)
    if (outcome === 'revoked' && status !== 'revoked') {
      throw new IntentGateError('TEMPLATE_REVOKED', 'Template is revoked', { details: digest })
    }
    return getOrThrow(digest)
  }

  return {
    async publish(envelope, actor) {
      const verified = verify(envelope)
      if (!verified.ok) {
        throw new IntentGateError(verified.code, 'Template refused', {
          details: verified.message,
          reasons: (verified.issues ?? []).map((issue) => ({
            code: verified.code,
            message: `${issue.path}: ${issue.message}`,
          })),
        })
      }
      const { manifest, digest, signers } = verified
      const fields: Record<string, string> = {
        envelope: JSON.stringify(envelope),
        manifest: JSON.stringify(verified.manifestJson),
        id: manifest.id,
        version: manifest.version,
        level: String(manifest.verificationLevel),
        publisher: manifest.publisher,
        status: 'active',
        expiresAt: manifest.expiresAt,
        publishedAt: new Date().toISOString(),
        publishedBy: actor,
        signers: JSON.stringify(signers),
      }
      const created = await redis.eval(
        publishScript,
        3,
        keys.template(digest),
        keys.templateIds(),
        keys.templateVersions(manifest.id),
        manifest.id,
        String(Date.now()),
        digest,
        ...Object.entries(fields).flat(),
      )
      return { record: await getOrThrow(digest), created: created === 1 }
    },

    get,

    async state(digest) {
      const [id, status, expiresAt, level] = await redis.hmget(
        keys.template(digest),
        'id',
        'status',
        'expiresAt',
        'level',
      )
      if (!id || !status || !expiresAt) return undefined
      return { digest, id, status: status as TemplateStatus, expiresAt, verificationLevel: Number(level) }
    },

    async list() {
      const ids = (await redis.smembers(keys.templateIds())).sort()
      return Promise.all(
        ids.map(async (id) => {
          const digests = await redis.zrange(keys.templateVersions(id), 0, -1)
          const records = await Promise.all(digests.map(get))
          const versions = records
            .filter((record): record is TemplateRecord => record !== undefined)
            .map(({ manifest: _manifest, envelope: _envelope, ...summary }) => summary)
          return { id, versions }
        }),
      )
    },

    deprecate: (digest, actor, reason) => setStatus(digest, 'deprecated', actor, reason),
    revoke: (digest, actor, reason) => setStatus(digest, 'revoked', actor, reason),
  }
}

/** Manifests are stored as signed; they were valid when published, so a parse failure is corruption. */
function storedManifest(digest: string, json: string | undefined): TemplateManifest {
  const parsed = parseTemplateManifest(JSON.parse(json ?? 'null'))
  if (!parsed.ok) throw new Error(`stored manifest of ${digest} no longer parses: ${parsed.message}`)
  return parsed.manifest
}

function recordFromHash(digest: string, raw: Record<string, string>): TemplateRecord {
  return {
    digest,
    id: raw.id ?? '',
    version: raw.version ?? '',
    verificationLevel: Number(raw.level),
    publisher: raw.publisher ?? '',
    status: (raw.status ?? 'revoked') as TemplateStatus,
    expiresAt: raw.expiresAt ?? '',
    publishedAt: raw.publishedAt ?? '',
    publishedBy: raw.publishedBy ?? '',
    signers: JSON.parse(raw.signers ?? '[]') as string[],
    ...(raw.statusReason
      ? { statusReason: raw.statusReason, statusAt: raw.statusAt, statusBy: raw.statusBy }
      : {}),
    manifest: storedManifest(digest, raw.manifest),
    envelope: JSON.parse(raw.envelope ?? 'null') as DsseEnvelope,
  }
}
