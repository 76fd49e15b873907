import type { Redis } from 'ioredis'
import type { Reason } from '../errors/index.js'
import type { IntentKind } from '../intents/intent.js'
import type { RedisKeys } from '../redis/keys.js'
import { luaScript } from '../redis/luaScript.js'
import { claimKey, holdsClaim, releaseClaim, renewClaim } from '../redis/ownedClaim.js'

/**
 * Where a held request stands. `pending` until k distinct operators approve (`approved`), one
 * rejects (`rejected`), its window ends (`expired`), or its instance or template is revoked while
 * it waits (`cancelled`). Only `pending` moves, and only once: the one transition out of it is
 * made by a Lua script, so two operators (or an operator and the expiry sweep) can never both
 * make it.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled'

export type ApprovalVote = { by: string; at: number }

/** The attestation of one approval event: where it is in the log, its entry digest, and the envelope. */
export type ApprovalAttestationRef = { logIndex: number; envelopeDigest: string; envelope: unknown }

export type ApprovalEntry = {
  /** The request digest. */
  id: string
  kind: IntentKind
  status: ApprovalStatus
  /** How many distinct operators must approve. */
  required: number
  /** The policy's reason for holding it. */
  reason: string
  /** Unix seconds. */
  createdAt: number
  /** Unix seconds: from then on it can only expire. */
  expiresAt: number
  /** Operators who may never approve it (see holdForApproval). */
  submitters: string[]
  /** The sender nonce claim the held request holds, given back should its record never land. */
  nonceKey?: string
  /** Distinct operators who approved, in the order they were counted. */
  votes: ApprovalVote[]
  /** Who ended it (an operator, or the gateway), when, and why; set once it leaves pending. */
  closedBy?: string
  closedAt?: number
  closeReason?: Reason
  /** The attestation of each counted approval, by operator. */
  voteAttestations: Record<string, ApprovalAttestationRef>
  /** The attestation of the rejection, expiry or cancellation. */
  closeAttestation?: ApprovalAttestationRef
}

export type OpenApproval = Pick<
  ApprovalEntry,
  'id' | 'kind' | 'required' | 'reason' | 'createdAt' | 'expiresAt' | 'submitters' | 'nonceKey'
>

export type VoteResult =
  /** Counted; `status` is `approved` when this was the k-th distinct approval. */
  | { kind: 'counted'; count: number; status: 'pending' | 'approved' }
  /** This operator's approval was already counted: it counts once. */
  | { kind: 'duplicate'; count: number }
  | { kind: 'submitter' }
  /** Past its window but not yet marked expired: the caller expires it. */
  | { kind: 'expired' }
  | { kind: 'closed'; status: ApprovalStatus }
  | { kind: 'missing' }

export type CloseResult =
  | { kind: 'closed' }
  | { kind: 'expired' }
  | { kind: 'not-due' }
  | { kind: 'closed-already'; status: ApprovalStatus }
  | { kind: 'missing' }

export type ApprovalStore = {
  /** Opens a held request's approval; false if one is already open for this digest. */
  open(entry: OpenApproval): Promise<boolean>
  get(id: string): Promise<ApprovalEntry | undefined>
  /** Counts one operator's approval, atomically. */
  vote(id: string, operator: string, now: number): Promise<VoteResult>
  /**
   * Ends a pending approval as `rejected` (refused once its window has passed: it expires instead),
   * `expired` (only once its window has passed) or `cancelled`, atomically.
   */
  close(
    id: string,
    change: { status: 'rejected' | 'expired' | 'cancelled'; by: string; reason: Reason; now: number },
  ): Promise<CloseResult>
  /** Records the attestation of an approval (`vote:{operator}`) or of the close (`close`). */
  noteAttestation(id: string, event: `vote:${string}` | 'close', ref: ApprovalAttestationRef): Promise<void>
  /**
   * Digests whose approval is not finished: pending ones, and ones that left pending but whose
   * follow-up (relay, sponsorship, release) is not done yet. Soonest expiry first.
   */
  unfinished(limit: number, offset?: number): Promise<string[]>
  /** How many approvals are unfinished. */
  unfinishedCount(): Promise<number>
  /** Marks the follow-up of a decided approval done: it leaves the unfinished list. */
  finish(id: string): Promise<void>
  /** Forgets an approval whose held decision could not be attested: it never existed for anyone. */
  discard(id: string): Promise<void>
  /**
   * Claims the follow-up work on one approval (attesting its events, relaying, sponsoring or
   * releasing) for `ttlSeconds`: of the operators' calls and the sweeps of every process, one at a
   * time works on it, so no approval event is attested twice. False if another holds it. Taken
   * through withApprovalClaim (src/approvals/approvalClaim.ts), which renews and releases it.
   */
  claim(id: string, owner: string, ttlSeconds: number): Promise<boolean>
  /** Extends `owner`'s claim to `ttlSeconds` from now; false if `owner` no longer holds it. */
  renewClaim(id: string, owner: string, ttlSeconds: number): Promise<boolean>
  /** Whether `owner` holds the claim now. */
  holdsClaim(id: string, owner: string): Promise<boolean>
  /** Gives a claim back, if `owner` still holds it. */
  releaseClaim(id: string, owner: string): Promise<void>
}

// KEYS: the approval hash, the unfinished index. ARGV: the entry's fields as JSON, then its ttl.
const openScript = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local entry = cjson.decode(ARGV[1])
redis.call('HSET', KEYS[1], 'id', entry.id, 'kind', entry.kind, 'status', 'pending',
  'required', entry.required, 'reason', entry.reason, 'createdAt', entry.createdAt,
  'expiresAt', entry.expiresAt, 'submitters', ARGV[2], 'votes', '[]', 'nonceKey', entry.nonceKey)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], entry.expiresAt, entry.id)
return 1
`)

// KEYS: the approval hash. ARGV: operator, now.
// Everything that decides whether an approval counts is read and written in this one script:
// the status, the window, the submitters and the operators already counted. The k-th distinct
// approval flips the status in the same step, so no two approvals can both be the k-th.
const voteScript = luaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status ~= 'pending' then return {'closed', status} end
local now = tonumber(ARGV[2])
if now >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then return {'expired'} end
for _, name in ipairs(cjson.decode(redis.call('HGET', KEYS[1], 'submitters'))) do
  if name == ARGV[1] then return {'submitter'} end
end
local votes = cjson.decode(redis.call('HGET', KEYS[1], 'votes'))
for _, vote in ipairs(votes) do
  if vote.by == ARGV[1] then return {'duplicate', tostring(#votes)} end
end
votes[#votes + 1] = {by = ARGV[1], at = now}
redis.call('HSET', KEYS[1], 'votes', cjson.encode(votes))
if #votes >= tonumber(redis.call('HGET', KEYS[1], 'required')) then
  redis.call('HSET', KEYS[1], 'status', 'approved', 'closedAt', ARGV[2])
  return {'counted', tostring(#votes), 'approved'}
end
return {'counted', tostring(#votes), 'pending'}
`)

// KEYS: the approval hash. ARGV: new status, by, reason, now.
const closeScript = luaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status ~= 'pending' then return {'closed-already', status} end
local due = tonumber(ARGV[4]) >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt'))
if ARGV[1] == 'expired' and not due then return {'not-due'} end
if ARGV[1] == 'rejected' and due then return {'expired'} end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'closedBy', ARGV[2], 'closeReason', ARGV[3], 'closedAt', ARGV[4])
return {'closed'}
`)

// KEYS: the approval hash. ARGV: field, value. Never recreates an approval that is gone.
const noteScript = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

const approvalStatuses: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'cancelled',
]

/** Approvals of held requests in Redis (keys documented in src/redis/keys.ts). */
export function createApprovalStore(parameters: {
  redis: Redis
  keys: Pick<RedisKeys, 'approval' | 'approvalsUnfinished' | 'approvalClaim'>
  /** How long an approval is kept after it is opened: as long as its request record. */
  retentionSeconds: number
}): ApprovalStore {
  const { redis, keys, retentionSeconds } = parameters

  const get = async (id: string): Promise<ApprovalEntry | undefined> => {
    const raw = await redis.hgetall(keys.approval(id))
    return raw.status ? approvalFromHash(raw) : undefined
  }

  return {
    async open(entry) {
      const opened = await openScript.run(
        redis,
        [keys.approval(entry.id), keys.approvalsUnfinished()],
        [
          JSON.stringify({
            id: entry.id,
            kind: entry.kind,
            required: entry.required,
            reason: entry.reason,
            createdAt: entry.createdAt,
            expiresAt: entry.expiresAt,
            nonceKey: entry.nonceKey ?? '',
          }),
          JSON.stringify(entry.submitters),
          retentionSeconds,
        ],
      )
      return opened === 1
    },
    get,
    async vote(id, operator, now): Promise<VoteResult> {
      const [kind, second, third] = (await voteScript.run(redis, [keys.approval(id)], [operator, now])) as [
        string,
        string?,
        string?,
      ]
      if (kind === 'counted')
        return { kind, count: Number(second), status: third === 'approved' ? 'approved' : 'pending' }
      if (kind === 'duplicate') return { kind, count: Number(second) }
      if (kind === 'closed') return { kind, status: asStatus(second) }
      if (kind === 'submitter' || kind === 'expired' || kind === 'missing') return { kind }
      throw new Error(`approval vote script answered ${kind}`)
    },
    async close(id, change): Promise<CloseResult> {
      const [kind, status] = (await closeScript.run(
        redis,
        [keys.approval(id)],
        [change.status, change.by, JSON.stringify(change.reason), change.now],
      )) as [string, string?]
      if (kind === 'closed-already') return { kind, status: asStatus(status) }
      if (kind === 'closed' || kind === 'expired' || kind === 'not-due' || kind === 'missing') return { kind }
      throw new Error(`approval close script answered ${kind}`)
    },
    async noteAttestation(id, event, ref) {
      await noteScript.run(redis, [keys.approval(id)], [`att:${event}`, JSON.stringify(ref)])
    },
    unfinished(limit, offset = 0) {
      return redis.zrange(keys.approvalsUnfinished(), offset, offset + limit - 1)
    },
    unfinishedCount() {
      return redis.zcard(keys.approvalsUnfinished())
    },
    async finish(id) {
      await redis.zrem(keys.approvalsUnfinished(), id)
    },
    async discard(id) {
      await redis.multi().del(keys.approval(id)).zrem(keys.approvalsUnfinished(), id).exec()
    },
    claim(id, owner, ttlSeconds) {
      return claimKey(redis, keys.approvalClaim(id), owner, ttlSeconds)
    },
    renewClaim(id, owner, ttlSeconds) {
      return renewClaim(redis, keys.approvalClaim(id), owner, ttlSeconds)
    },
    holdsClaim(id, owner) {
      return holdsClaim(redis, keys.approvalClaim(id), owner)
    },
    releaseClaim(id, owner) {
      return releaseClaim(redis, keys.approvalClaim(id), owner)
    },
  }
}

function asStatus(value: string | undefined): ApprovalStatus {
  const status = approvalStatuses.find((candidate) => candidate === value)
  if (!status) throw new Error(`approval status ${String(value)} is unknown`)
  return status
}

function approvalFromHash(raw: Record<string, string>): ApprovalEntry {
  const voteAttestations: Record<string, ApprovalAttestationRef> = {}
  for (const [field, value] of Object.entries(raw)) {
    if (field.startsWith('att:vote:'))
      voteAttestations[field.slice('att:vote:'.length)] = JSON.parse(value) as ApprovalAttestationRef
  }
  return {
    id: raw.id ?? '',
    kind: raw.kind === 'user-op' ? 'user-op' : 'meta-tx',
    status: asStatus(raw.status),
    required: Number(raw.required),
    reason: raw.reason ?? '',
    createdAt: Number(raw.createdAt),
    expiresAt: Number(raw.expiresAt),
    submitters: JSON.parse(raw.submitters ?? '[]') as string[],
    votes: JSON.parse(raw.votes ?? '[]') as ApprovalVote[],
    ...(raw.nonceKey ? { nonceKey: raw.nonceKey } : {}),
    ...(raw.closedBy ? { closedBy: raw.closedBy } : {}),
    ...(raw.closedAt === undefined ? {} : { closedAt: Number(raw.closedAt) }),
    ...(raw.closeReason === undefined ? {} : { closeReason: JSON.parse(raw.closeReason) as Reason }),
    voteAttestations,
    ...(raw['att:close'] === undefined
      ? {}
      : { closeAttestation: JSON.parse(raw['att:close']) as ApprovalAttestationRef }),
  }
}
