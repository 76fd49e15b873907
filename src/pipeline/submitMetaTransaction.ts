import { randomBytes } from 'node:crypto'
import { type Hex, keccak256 } from 'viem'
import type { AppSession } from '../auth/authorizeApp.js'
import type { CapabilityClaims } from '../auth/capabilityToken.js'
import { type ServedChain, servedChainOrThrow } from '../chain/servedChain.js'
import { recoverSigner } from '../crypto/recoverAddress.js'
import type { Reason } from '../errors/index.js'
import type { ForwardRequestBody, ForwardRequestData } from '../intents/forwardRequest.js'
import { buildPolicyInput } from '../policy/buildPolicyInput.js'
import type { Decision } from '../policy/decision.js'
import { buildRelayJob } from '../relay/relayJob.js'
import { authorizeSubject, recheckSubject } from './authorizeSubject.js'
import { ApprovalNotRecordedError, accept, refuse } from './concludeDecision.js'
import { HoldNotRecordedError, holdForApproval } from './holdForApproval.js'
import { normalizeMetaTransaction } from './normalizeMetaTransaction.js'
import type { DecisionContext, PipelineDeps } from './pipelineDeps.js'
import { answerAgain, recordedWithin, waitForRecordedAnswer } from './replayAnswer.js'

export type MetaTransactionAnswer = { status: 202; body: Record<string, unknown> }

/**
 * `POST /v1/meta-transactions`, through the whole pipeline: normalize; check the instance and
 * template are still good; verify the signature (for this chain, forwarder and nonce) and the
 * deadline; simulate; decide; reserve; attest; record as queued, or as awaiting_approval when the
 * policy holds it for operators. Every outcome after normalization is attested, and the same
 * signed request always gets the same answer.
 */
export async function submitMetaTransaction(
  deps: PipelineDeps,
  parameters: { claims: CapabilityClaims; body: ForwardRequestBody },
): Promise<MetaTransactionAnswer> {
  const { claims, body } = parameters
  const chain = servedChainOrThrow(deps.chains, body.chainId)
  const signatureHash = keccak256(body.signature)
  const seen = await deps.requests.findBySignature(signatureHash)
  if (seen) return answerAgain(deps, seen, claims.sub)

  const prepared = { ...(await normalizeMetaTransaction(chain, body)), now: deps.now() }
  if (await deps.requests.get(prepared.intent.requestDigest)) {
    return answerAgain(deps, prepared.intent.requestDigest, claims.sub)
  }
  // The request digest is the EIP-712 hash of exactly what the user signed: no need to hash twice.
  const signer = recoverSigner(prepared.intent.requestDigest, body.signature)
  // Only a signature that verified is indexed for replays: indexing a forged one would let whoever
  // saw a user's signature first pin a refusal on the user's real request.
  const signatureVerified = signer?.toLowerCase() === body.from.toLowerCase()

  const checked = await authorizeSubject(deps, claims, chain.chainId)
  const context: DecisionContext = { subject: checked.subject, intent: prepared.intent, now: prepared.now }
  const trusted = signatureVerified && checked.ok
  const refuseWith = refuser(deps, context, trusted ? signatureHash : undefined)

  if (!checked.ok) {
    const { error } = checked
    return refuseWith(error.code, error.shortMessage, reasonsOf(error), error.details)
  }
  if (!signatureVerified) {
    return refuseWith('REQUEST_SIGNATURE_INVALID', 'Signature does not match the request', [
      {
        code: 'REQUEST_SIGNATURE_INVALID',
        message: 'not signed by from for this chain, forwarder and nonce',
      },
    ])
  }
  if (context.intent.validUntil <= context.now) {
    return refuseWith('REQUEST_EXPIRED', 'Request expired', [
      {
        code: 'REQUEST_EXPIRED',
        message: `deadline ${context.intent.validUntil} is not after ${context.now}`,
      },
    ])
  }
  const simulation = await chain.simulateForwardRequest(prepared.request, prepared.executeData)
  if (!simulation.ok) {
    return refuseWith(
      'SIMULATION_REVERTED',
      'Simulation reverted',
      [{ code: 'SIMULATION_REVERTED', message: simulation.reason }],
      simulation.reason,
    )
  }

  // One snapshot of the policy decides and is attested, even if a swap lands meanwhile.
  const policy = deps.policies.current()
  const decision = policy.policy.evaluate(policyInputFor(checked.session, context))
  // A request held for operator approval goes on like an approved one (nonce claimed, limits
  // reserved) and stops before the relay.
  if (!decision.allow && !decision.approvals) {
    return refuser(
      deps,
      context,
      signatureHash,
      policy,
    )('POLICY_DENIED', 'Denied by policy', decision.reasons)
  }
  return commit(deps, context, {
    claims,
    session: checked.session,
    decision,
    policy,
    chain,
    nonce: prepared.nonce,
    signatureHash,
    request: prepared.request,
  })
}

/**
 * Re-checks revocation, claims the sender nonce and reserves every limit (one script), then attests the approval,
 * or, for a request the policy held, the hold (see holdForApproval).
 */
async function commit(
  deps: PipelineDeps,
  context: DecisionContext,
  approved: {
    claims: CapabilityClaims
    session: AppSession
    decision: Decision
    policy: ReturnType<PipelineDeps['policies']['current']>
    chain: ServedChain
    nonce: bigint
    signatureHash: Hex
    request: ForwardRequestData
  },
): Promise<MetaTransactionAnswer> {
  const { intent, now } = context
  const { claims, session, decision, policy, chain, nonce, signatureHash, request } = approved
  const refuseWith = refuser(deps, context, signatureHash, policy)

  // A revocation or kill switch that landed while this request was being decided still stops it.
  const recheck = await recheckSubject(deps, session, chain.chainId)
  if (!recheck.ok) return refuseWith(recheck.error.code, recheck.error.shortMessage, reasonsOf(recheck.error))

  const nonceKey = `${chain.chainId}:${chain.addresses.forwarder}:${intent.sender}:${nonce}`
  const holdFor = Math.max(60, intent.validUntil - now) + 3_600
  // This call's own mark on the claim: should the claim's answer be lost (a Redis timeout; the
  // command may still run), the give-back sent after it on the same connection frees only it.
  const attempt = randomBytes(6).toString('hex')
  const giveBackClaim = async (error: unknown): Promise<never> => {
    await deps.requests.releaseNonce(nonceKey, intent.requestDigest, attempt).catch(() => undefined)
    throw error
  }

  const limits = decision.limits
  const relayJob = buildRelayJob({
    requestDigest: intent.requestDigest,
    chainId: chain.chainId,
    forwarder: chain.addresses.forwarder,
    request,
    capPerGas: intent.gas.maxFeePerGas,
    limits,
    acceptedAt: now,
  })
  // Kept with the reservation: if this process dies before the request is recorded, whoever
  // reconciles it finds the job to relay (when the approval was logged) or what to give back.
  const pending = { gatewayId: deps.gatewayId, nonceKey, signatureHash, relayJob }
  // The sender nonce is claimed in the reservation's own script: a nonce held already stops it
  // before anything is counted, and a request refused by a limit never holds the nonce.
  const claim = deps.requests.nonceClaim(nonceKey, intent.requestDigest, holdFor, attempt)
  let reserved = await deps.limits
    .reserve(intent.requestDigest, limits, now, pending, claim)
    .catch(giveBackClaim)
  let tookOver = false
  if (!reserved.ok && reserved.reason === 'nonce-held') {
    if (reserved.holder !== intent.requestDigest) {
      return refuseWith('NONCE_CONFLICT', 'Nonce already taken', [
        {
          code: 'NONCE_CONFLICT',
          message: `nonce ${nonce} of ${intent.sender} is held by another approved request`,
        },
      ])
    }
    // Another call of this very request holds the nonce: its answer is this one's too. A holder
    // that never reserved within the wait died (or lost Redis) after claiming: take its claim over.
    if (await recordedWithin(deps, intent.requestDigest))
      return answerAgain(deps, intent.requestDigest, claims.sub)
    tookOver =
      !(await deps.limits.reservation(intent.requestDigest)) &&
      (await deps.requests.takeOverNonce(nonceKey, intent.requestDigest, attempt, holdFor))
    if (!tookOver) return waitForRecordedAnswer(deps, intent.requestDigest, claims.sub)
    reserved = await deps.limits.reserve(intent.requestDigest, limits, now, pending).catch(giveBackClaim)
  }
  if (!reserved.ok) {
    // Only this request holds the nonce here (a copy would have stopped at the claim), so a
    // duplicate reservation means it was decided meanwhile: keep the claim, give its answer. (The
    // reservation after a takeover asks no claim, so it is never refused for one.)
    if (reserved.reason !== 'limit') return waitForRecordedAnswer(deps, intent.requestDigest, claims.sub)
    // A claim taken over is this call's to give back; one asked with the reservation was not made.
    if (tookOver) await deps.requests.releaseNonce(nonceKey, intent.requestDigest, attempt)
    const { limit, used } = reserved
    const message = `${limit.id}: ${used} used + ${limit.amount} would pass ${limit.max} (${limit.scope} ${limit.metric})`
    return refuseWith('LIMIT_EXCEEDED', 'Limit reached', [{ code: 'LIMIT_EXCEEDED', message }], limit.id)
  }

  deps.failpoint?.('after-reserve')
  try {
    if (decision.approvals) {
      const { reasons, approvals } = decision
      const held = await holdForApproval(deps, context, {
        decision: { reasons, limits, approvals },
        policy,
        nonceKey,
        notAfter: intent.validUntil,
        signatureHash,
        relayJob,
      })
      return { status: held.status, body: held.body }
    }
    const answer = await accept(
      deps,
      context,
      { reservation: reserved.reservation, limits, signatureHash, relayJob },
      policy,
    )
    return { status: answer.status, body: answer.body }
  } catch (error) {
    // Attested but not recorded: it stands, and the reconciler records it from the log (the
    // approval sweep, for a hold).
    if (error instanceof ApprovalNotRecordedError || error instanceof HoldNotRecordedError) throw error
    // Nothing is approved unless its approval is attested: give everything back.
    await Promise.allSettled([
      deps.limits.release(intent.requestDigest),
      deps.requests.releaseNonce(nonceKey, intent.requestDigest, attempt),
    ])
    throw error
  }
}

/**
 * Refusals for one request. A refusal is remembered under the request digest (same answer next
 * time, signature indexed for replays) exactly when `verifiedSignatureHash` is given: only a
 * request whose signature verified for an authorized instance may pin an answer on its digest.
 */
function refuser(
  deps: PipelineDeps,
  context: DecisionContext,
  verifiedSignatureHash: Hex | undefined,
  policy?: ReturnType<PipelineDeps['policies']['current']>,
) {
  return (
    code: Parameters<typeof refuse>[2]['code'],
    shortMessage: string,
    reasons: Reason[],
    details?: string,
  ) =>
    refuse(
      deps,
      context,
      {
        code,
        shortMessage,
        reasons,
        remember: verifiedSignatureHash !== undefined,
        ...(verifiedSignatureHash ? { signatureHash: verifiedSignatureHash } : {}),
        ...(details ? { details } : {}),
      },
      policy,
    )
}

/** The reasons of a refusal raised as an error: its own, or one made of its code and message. */
export function reasonsOf(error: { code: string; shortMessage: string; reasons: Reason[] }): Reason[] {
  return error.reasons.length > 0 ? error.reasons : [{ code: error.code, message: error.shortMessage }]
}

/** The policy input of a request decided on behalf of an authorized session. */
export function policyInputFor(session: AppSession, context: DecisionContext) {
  return buildPolicyInput({
    intent: context.intent,
    template: {
      id: session.template.id,
      digest: session.template.digest,
      verificationLevel: session.template.verificationLevel,
      capabilities: session.claims.cap,
      intent: session.instance.intent,
    },
    instance: { id: session.instance.id },
    now: context.now,
  })
}
