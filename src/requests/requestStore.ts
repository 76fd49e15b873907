import type { Redis } from 'ioredis'
import type { ErrorCode, Reason } from '../errors/index.js'
import type { IntentKind } from '../intents/intent.js'
import { holderId, type NonceClaim } from '../limits/reserveLimits.js'
import { luaScript } from '../redis/luaScript.js'
import type { RelayJob, UserOperationJob } from '../relay/relayJob.js'

/** A logged attestation as clients see it: its log index and the signed envelope. */
export type AttestationRef = { logIndex: number; envelope: unknown }

type RequestCommon = {
  /** The request digest. */
  id: string
  kind: IntentKind
  chainId: number
  instanceId: string
  templateId: string
  sender: string
  createdAt: string
  decision: { allow: boolean; reasons: { code: string; message: string }[] }
  decisionAttestation: AttestationRef
  /** The answer given, given again for the same digest. */
  answer: StoredAnswer
  /** For a sponsored user operation: what the paymaster signed, and its on-chain identity. */
  userOperation?: SponsoredUserOperationRecord
  /** For a request the policy held for operator approval: the approvals, while it waits and after. */
  approval?: RequestApproval
}

/** A held request's approval as its record shows it (src/approvals/ keeps the live count). */
export type RequestApproval = {
  /** How many distinct operators must approve. */
  required: number
  /** The policy's reason for holding it. */
  reason: string
  /** Unix seconds: not approved by then, it expires. */
  expiresAt: number
  /** The operators counted so far, in order, each with the log index of its approval's attestation. */
  approvals: { by: string; at: string; logIndex: number }[]
  /** When it was approved, or ended unapproved, ISO 8601. */
  decidedAt?: string
}

/**
 * What a held user operation is sponsored with once approved: the op in its JSON-RPC form, with
 * this gateway's paymaster and gas limits, exactly as the held decision saw it.
 */
export type HeldUserOperation = {
  userOp: Record<string, string>
  /** Ids of the gasWei limits it reserved, reconciled to the actual gas cost once it settles. */
  gasWeiLimits: string[]
  /** SHA-256 of the held decision's log entry, 0x-prefixed: what the paymaster will emit on chain. */
  decisionDigest: string
}

/** What the gateway signed for a user operation, kept to check it at eth_sendUserOperation and track it on chain. */
export type SponsoredUserOperationRecord = {
  /** The EntryPoint's hash of the sponsored operation (paymasterAndData included), lowercase. */
  userOpHash: string
  entryPoint: string
  paymaster: string
  paymasterVerificationGasLimit: string
  paymasterPostOpGasLimit: string
  paymasterData: string
  /** Unix seconds; the paymaster signature's window ends here. */
  validUntil: number
  /** SHA-256 of the decision's log entry, 0x-prefixed: what the paymaster emits on chain. */
  decisionDigest: string
  /** Block from which the UserOperationEvent is looked for. */
  fromBlock: string
  /** The sender nonce claim this op holds (see RequestStore.claimNonce), given back if it expires unused. */
  nonceKey: string
  /** Ids of the gasWei limits it reserved, reconciled to the actual gas cost once it settles. */
  gasWeiLimits: string[]
  /** When eth_sendUserOperation forwarded it through this gateway, ISO 8601. */
  submittedAt?: string
  /** Self-bundling: the latest bundle transaction the relayer broadcast with it. */
  bundle?: { txHash: string; relayer: string; nonce: number }
  /**
   * Self-bundling: the cancel that took its bundle's nonce, once mined deep enough (a 0-value
   * self-transfer at the relayer's cost). No bundle of the op follows it, and the op's outcome,
   * attested when its window ends, names it.
   */
  cancel?: BundleCancel
}

/** A mined cancel of a self-bundled op's bundle: what the relayer paid, and why it cancelled. */
export type BundleCancel = {
  txHash: string
  blockNumber: string
  gasUsed: string
  /** gasUsed × effective gas price, decimal wei. */
  actualCostWei: string
  /** Why no bundle went out at that nonce any more. */
  reason: Reason
}

/** An answer as it can be given again: an acceptance body, or a refusal with its code and attestation. */
export type StoredAnswer =
  | { kind: 'accepted'; status: 202; body: Record<string, unknown> }
  | { kind: 'refused'; code: ErrorCode; shortMessage: string; details?: string; reasons: Reason[] }

/** What the relay knows of a request's transaction once it is on chain. */
export type RelayedOutcome = {
  txHash: string
  blockNumber?: string
  gasUsed?: string
  /** gasUsed × effective gas price, decimal wei: what the relayer paid. */
  actualCostWei?: string
  outcomeAttestation: AttestationRef
}

/**
 * A request's lifecycle, discriminated on `status`. The pipeline creates `denied`, `queued` and
 * `awaiting_approval` records. Approval (src/approvals/) moves a held request on:
 *
 *   awaiting_approval -> queued (a meta-transaction) | sponsored (a user operation)   k approvals
 *   awaiting_approval -> cancelled                     rejected, expired, or its instance revoked
 *
 * The relay moves queued meta-transactions on:
 *
 *   queued -> submitted -> confirmed | reverted | cancelled
 *   queued | submitted -> failed          (it can no longer land: deadline passed, nonce used)
 *   submitted -> queued                   (its relayer nonce went to another transaction: relay again)
 *
 * A user operation is `sponsored` once its paymaster data is signed, then `confirmed` or
 * `reverted` from its UserOperationEvent, or `cancelled` when its sponsorship expired unused.
 * Bundling it (upstream or self-bundled) does not change its status: only the chain settles it.
 */
export type RequestRecord =
  | (RequestCommon & { status: 'denied' })
  | (RequestCommon & { status: 'queued'; relayJob?: RelayJob })
  | (RequestCommon & {
      status: 'sponsored'
      userOperation: SponsoredUserOperationRecord
      /** Self-bundling: the job that bundles it, queued again if its bundle transaction never lands. */
      bundleJob?: UserOperationJob
    })
  | (RequestCommon & {
      status: 'awaiting_approval'
      approval: RequestApproval
      /** The sender nonce claim it holds while it waits, given back if it never goes through. */
      nonceKey: string
      /** A meta-transaction's relay job, enqueued once it is approved. */
      relayJob?: RelayJob
      /** A user operation's op, sponsored once it is approved. */
      heldUserOperation?: HeldUserOperation
    })
  | (RequestCommon & {
      status: 'submitted'
      relayJob?: RelayJob
      txHash: string
      relayer: string
      nonce: number
    })
  | (RequestCommon & { status: 'confirmed' | 'reverted' } & RelayedOutcome)
  | (RequestCommon & { status: 'cancelled'; reason?: Reason } & Partial<RelayedOutcome>)
  | (RequestCommon & { status: 'failed'; reason: Reason; outcomeAttestation: AttestationRef })

export type RequestStatus = RequestRecord['status']

export type RequestStore = {
  /**
   * Stores the decided request, unless one with this id exists; returns whether this call stored
   * it. With `inbox`, the request is first noted in its chain's relay inbox (ZADD NX), whether or
   * not it was stored, in the same atomic step: what RelayQueues.hold does, without its own trip.
   */
  record(
    record: RequestRecord,
    options: { signatureHash?: string; inbox?: { key: string; score: number } },
  ): Promise<boolean>
  get(id: string): Promise<RequestRecord | undefined>
  /**
   * The record with the exact bytes it was read as: handed to {@link RequestStore.update}, it is
   * the first guess of the compare-and-set, so a change made right after the read costs no
   * second read.
   */
  read(id: string): Promise<VersionedRequest | undefined>
  /** The id of the request that carried exactly this signature, if one was decided. */
  findBySignature(signatureHash: string): Promise<string | undefined>
  /**
   * Claims a sender nonce for one request, so two different requests signed for the same nonce
   * cannot both be approved. Returns the id already holding it (which may be `id` itself, when
   * another copy of the same request got there first), or undefined once claimed.
   */
  claimNonce(nonceKey: string, id: string, ttlSeconds: number, attempt?: string): Promise<string | undefined>
  /**
   * The same claim as {@link RequestStore.claimNonce}, for LimitStore.reserve to make in the
   * reservation's own script (one round trip for both). Builds it only; writes nothing.
   */
  nonceClaim(nonceKey: string, id: string, ttlSeconds: number, attempt: string): NonceClaim
  /**
   * Gives a nonce claim back, only if `id` still holds it; with `attempt`, only if that very
   * attempt made the claim (so a call whose claim timed out never frees a copy's claim).
   */
  releaseNonce(nonceKey: string, id: string, attempt?: string): Promise<void>
  /**
   * Makes `attempt` the holder of a claim that another call of the same request `id` left (it
   * died, or lost Redis, between claiming and reserving). Never takes a claim of another request.
   */
  takeOverNonce(nonceKey: string, id: string, attempt: string, ttlSeconds: number): Promise<boolean>
  /**
   * Moves a request on: `change` sees the current record and returns the next one, or undefined
   * to leave it. Compare-and-set, so two workers can never both move the same request; returns
   * the record written, or undefined when there was none or `change` left it.
   */
  update(
    id: string,
    change: (record: RequestRecord) => RequestRecord | undefined,
    /** The record as last read; when it changed since, the update reads it again. */
    known?: VersionedRequest,
  ): Promise<RequestRecord | undefined>
}

/** A request record and the stored JSON it was parsed from (its version for compare-and-set). */
export type VersionedRequest = { record: RequestRecord; version: string }

// Records are written once; later status changes go through the relay's own transitions. A
// recorded request is no longer in flight (KEYS[2]: see reconcileInflight.ts).
// KEYS: record, in-flight index, then the signature index when ARGV[4] is 'sig', then the relay
// inbox when ARGV[5] (its score) is not empty. ARGV: record JSON, ttl, id, 'sig' or '', score or ''.
// The inbox entry goes in before the record, as RelayQueues.hold before RequestStore.record would.
const recordScript = luaScript(`
local k = 3
local signature
if ARGV[4] == 'sig' then signature, k = KEYS[3], 4 end
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[k], 'NX', ARGV[5], ARGV[3]) end
redis.call('ZREM', KEYS[2], ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if signature then redis.call('SET', signature, ARGV[3], 'EX', ARGV[2]) end
return 1
`)
// Not re-entrant: a second copy of the same request learns it is a copy, and never goes on to
// release the first copy's claim. The value is "id attempt": the holder's id, and which call of
// it claimed, so a call that lost its answer (a Redis timeout) can give back its own claim only.
const claimScript = luaScript(`
local holder = redis.call('GET', KEYS[1])
if holder then return holder end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
`)
// Only a claim of the same request id changes hands.
const takeOverScript = luaScript(`
local holder = redis.call('GET', KEYS[1])
if not holder then return 0 end
if holder ~= ARGV[1] and string.sub(holder, 1, #ARGV[1] + 1) ~= ARGV[1] .. ' ' then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'EX', ARGV[3])
return 1
`)
// Compare-and-set of the whole record: the write happens only if nobody changed it since it was read.
const swapScript = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`)
// ARGV[1] is the claim's exact value ("id attempt") or, with ARGV[2] = 'any', just the id.
const releaseScript = luaScript(`
local holder = redis.call('GET', KEYS[1])
if not holder then return 1 end
if holder == ARGV[1] or (ARGV[2] == 'any' and string.sub(holder, 1, #ARGV[1] + 1) == ARGV[1] .. ' ') then
  redis.call('DEL', KEYS[1])
end
return 1
`)

/** Requests in Redis, keyed by digest (see src/redis/keys.ts). */
export function createRequestStore(parameters: {
  redis: Redis
  keys: {
    request(id: string): string
    signature(hash: string): string
    nonce(key: string): string
    inflight(): string
  }
  /** How long decided requests are kept for status queries and idempotency. */
  retentionSeconds: number
}): RequestStore {
  const { redis, keys, retentionSeconds } = parameters
  return {
    async record(record, { signatureHash, inbox }) {
      const keyList = [
        keys.request(record.id),
        keys.inflight(),
        ...(signatureHash ? [keys.signature(signatureHash)] : []),
        ...(inbox ? [inbox.key] : []),
      ]
      const stored = await recordScript.run(redis, keyList, [
        JSON.stringify(record),
        retentionSeconds,
        record.id,
        signatureHash ? 'sig' : '',
        inbox ? inbox.score : '',
      ])
      return stored === 1
    },
    async get(id) {
      const raw = await redis.get(keys.request(id))
      return raw ? (JSON.parse(raw) as RequestRecord) : undefined
    },
    async read(id) {
      const raw = await redis.get(keys.request(id))
      return raw ? { record: JSON.parse(raw) as RequestRecord, version: raw } : undefined
    },
    async findBySignature(signatureHash) {
      return (await redis.get(keys.signature(signatureHash))) ?? undefined
    },
    async claimNonce(nonceKey, id, ttlSeconds, attempt) {
      const value = attempt ? `${id} ${attempt}` : id
      const holder = (await claimScript.run(redis, [keys.nonce(nonceKey)], [value, ttlSeconds])) as
        | string
        | null
      return holder ? holderId(holder) : undefined
    },
    nonceClaim(nonceKey, id, ttlSeconds, attempt) {
      return { key: keys.nonce(nonceKey), holder: `${id} ${attempt}`, ttlSeconds }
    },
    async releaseNonce(nonceKey, id, attempt) {
      const nonce = [keys.nonce(nonceKey)]
      if (attempt) await releaseScript.run(redis, nonce, [`${id} ${attempt}`, 'exact'])
      else await releaseScript.run(redis, nonce, [id, 'any'])
    },
    async takeOverNonce(nonceKey, id, attempt, ttlSeconds) {
      return (await takeOverScript.run(redis, [keys.nonce(nonceKey)], [id, attempt, ttlSeconds])) === 1
    },
    async update(id, change, known) {
      let guess = known
      for (let attempt = 0; attempt < 16; attempt++) {
        const raw = guess?.version ?? (await redis.get(keys.request(id)))
        if (!raw) return undefined
        const next = change(guess?.record ?? (JSON.parse(raw) as RequestRecord))
        const guessed = guess !== undefined
        guess = undefined
        // Left alone on a guess: the stored record decides, not what was read before.
        if (!next && guessed) continue
        if (!next) return undefined
        const written = JSON.stringify(next)
        if ((await swapScript.run(redis, [keys.request(id)], [raw, written])) === 1) return next
      }
      throw new Error(`request ${id} kept changing under 16 updates in a row`)
    },
  }
}
