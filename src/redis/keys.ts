/**
 * The Redis key schema: every key the gateway writes is built here, under one prefix
 * (REDIS_KEY_PREFIX, default `ig:`), so deployments can share a Redis and tests can clean up.
 *
 * Templates
 *   {p}tpl:ids                    SET     every template id ever published
 *   {p}tpl:versions:{id}          ZSET    digest -> publishedAt (ms); versions side by side
 *   {p}tpl:{digest}               HASH    envelope, manifest, id, version, level, publisher, status
 *                                         (active | deprecated | revoked), expiresAt, publishedAt,
 *                                         publishedBy, signers, statusReason, statusAt, statusBy
 * App instances and their tokens
 *   {p}inst:ids                   ZSET    instance id -> createdAt (ms)
 *   {p}inst:{id}                  HASH    templateDigest, templateId, params, intent (resolved JSON),
 *                                         att, status (active | revoked), createdAt, createdBy,
 *                                         statusReason, statusAt, statusBy
 *   {p}inst:holders:{id}          SET     operators who obtained a token of the instance (created it
 *                                         or issued one): the submitters of its requests
 *   {p}tok:revoked:{jti}          STRING  why; expires when the token would have
 * Kill switch
 *   {p}kill                       HASH    field global | template:{id} | instance:{id} | chain:{id}
 *                                         -> JSON {reason, by, at}; absent field = off
 *   {p}kill:changed               CHANNEL pub/sub nudge after every change
 * Limits and reservations (built by src/limits/limitKeys.ts)
 *   {p}lim:{limitId}:{scope}:{keyParts…}:{metric}:d{window}:{start}   STRING  decimal total, one per UTC-day window
 *   {p}lim:{limitId}:{scope}:{keyParts…}:{metric}:r{bucket}:{n}       STRING  decimal total, rolling sub-bucket
 *   {p}res:{requestDigest}        STRING  JSON of what a request reserved, for release and refunds, and
 *                                         (PendingDecision) what concludes it if its process dies
 *   {p}inflight                   ZSET    request digest -> reserved at (ms); left when the request is
 *                                         recorded or its reservation released (reconcileInflight.ts)
 *   {p}refusals:{instanceId}:{minute}  STRING  refusals of the instance attested in that minute (refusalBudget.ts)
 * Requests
 *   {p}req:{requestDigest}        STRING  JSON RequestRecord: status, decision, attestation, the answer given
 *   {p}sig:{keccak(signature)}    STRING  request digest that carried this signature (replay detection)
 *   {p}nonce:{chain}:{verifier}:{sender}:{nonce}  STRING  "digest attempt" of the call holding this sender nonce
 * Approvals of held requests (owned by src/approvals/approvalStore.ts)
 *   {p}appr:{requestDigest}       HASH    id, kind, status (pending | approved | rejected | expired |
 *                                         cancelled), required, reason, createdAt, expiresAt,
 *                                         submitters (JSON), votes (JSON [{by, at}]), closedBy,
 *                                         closedAt, closeReason, att:vote:{operator}, att:close
 *   {p}appr:unfinished            ZSET    request digest -> expiresAt; pending approvals and decided ones
 *                                         whose follow-up (relay, sponsorship, release) is not done
 *   {p}appr:{requestDigest}:sweep STRING  who works on that approval's follow-up, an operator's call or
 *                                         a sweep (one at a time, so none attests an event twice);
 *                                         renewed while they work, expires on its own if they die
 * Sponsored user operations (owned by src/sponsor/sponsorshipStore.ts)
 *   {p}aa:pending                 ZSET    request digest -> validUntil; sponsored ops not yet settled
 *   {p}aa:uoh:{userOpHash}        STRING  request digest of the sponsored op with this hash
 *   {p}aa:settle:{requestDigest}  STRING  who settles the op's outcome (one process, once)
 * Relayer nonces (owned by src/relay/nonceManager.ts; {address} lower-case)
 *   {p}relay:nonce:{chainId}:{address}:next    STRING  next nonce to hand out; absent until the first reconcile
 *   {p}relay:nonce:{chainId}:{address}:ledger  ZSET    nonce -> txId | gap:{n} (burned or lost) | fill:{n} (filler in flight)
 *   {p}relay:nonce:{chainId}:{address}:mined   STRING  one past the highest confirmed nonce; a floor for reconcile
 * Chains
 *   {p}chain:{chainId}:genesis    STRING  block 0 hash first seen on the chain; a different one halts it
 * Admin audit trail
 *   {p}admin:actions              STREAM  one entry per admin action: actor, role, action, target, detail,
 *                                 logIndex (of its attestation), at
 * Console (owned by src/auth/consoleSessions.ts)
 *   {p}console:session:{sha256 of the session id}  STRING  JSON {principal, csrfToken, createdAt, expiresAt};
 *                                 expires with the session; the cookie's id itself is never stored
 *   {p}console:login:{address}:{window}  STRING  login attempts from one client address in a 15-minute window
 *
 * Multi-key scripts need all their keys in one slot on Redis Cluster; give the prefix a hash tag
 * (for example `{ig}:`) there.
 */
import { inflightIndexKey } from '../limits/reserveLimits.js'

export type RedisKeys = ReturnType<typeof createRedisKeys>

export function createRedisKeys(prefix: string) {
  return {
    prefix,
    templateIds: () => `${prefix}tpl:ids`,
    templateVersions: (templateId: string) => `${prefix}tpl:versions:${templateId}`,
    template: (digest: string) => `${prefix}tpl:${digest}`,
    instanceIds: () => `${prefix}inst:ids`,
    instance: (instanceId: string) => `${prefix}inst:${instanceId}`,
    revokedToken: (jti: string) => `${prefix}tok:revoked:${jti}`,
    killSwitch: () => `${prefix}kill`,
    killSwitchChannel: () => `${prefix}kill:changed`,
    adminActions: () => `${prefix}admin:actions`,
    consoleSession: (idHash: string) => `${prefix}console:session:${idHash}`,
    consoleLoginAttempts: (address: string, window: number) => `${prefix}console:login:${address}:${window}`,
    request: (digest: string) => `${prefix}req:${digest}`,
    signature: (hash: string) => `${prefix}sig:${hash}`,
    nonce: (key: string) => `${prefix}nonce:${key}`,
    instanceTokenHolders: (instanceId: string) => `${prefix}inst:holders:${instanceId}`,
    approval: (digest: string) => `${prefix}appr:${digest}`,
    approvalsUnfinished: () => `${prefix}appr:unfinished`,
    // Still named :sweep, as when only sweeps took it: old and new processes exclude each other.
    approvalClaim: (digest: string) => `${prefix}appr:${digest}:sweep`,
    sponsorPending: () => `${prefix}aa:pending`,
    userOpHash: (hash: string) => `${prefix}aa:uoh:${hash}`,
    sponsorSettle: (digest: string) => `${prefix}aa:settle:${digest}`,
    inflight: () => inflightIndexKey(prefix),
    refusals: (instanceId: string, minute: number) => `${prefix}refusals:${instanceId}:${minute}`,
    chainGenesis: (chainId: number) => `${prefix}chain:${chainId}:genesis`,
  }
}
