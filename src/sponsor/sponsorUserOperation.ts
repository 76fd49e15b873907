import type { Hex } from 'viem'
import type { AppSession } from '../auth/authorizeApp.js'
import type { CapabilityClaims } from '../auth/capabilityToken.js'
import { type ErrorCode, errorCatalogue, IntentGateError, type Reason } from '../errors/index.js'
import type { UserOperationV07 } from '../intents/userOperation.js'
import type { Reservation } from '../limits/reserveLimits.js'
import { authorizeSubject, recheckSubject } from '../pipeline/authorizeSubject.js'
import { attestDecision, recordBase, refuse } from '../pipeline/concludeDecision.js'
import { approvalRequiredError, HoldNotRecordedError, holdForApproval } from '../pipeline/holdForApproval.js'
import type { DecisionContext } from '../pipeline/pipelineDeps.js'
import { policyInputFor, reasonsOf } from '../pipeline/submitMetaTransaction.js'
import type { Decision } from '../policy/decision.js'
import type { RequestRecord } from '../requests/requestStore.js'
import {
  type PaymasterFields,
  paymasterFieldsOf,
  type SponsorableUserOperation,
  sponsorshipIntentOf,
} from './paymasterFields.js'
import { signSponsorship } from './signSponsorship.js'
import { heldUserOperationOf } from './sponsorApprovedOperation.js'
import { assertInstanceHint, authorizationOf, type SponsorContext } from './sponsorContext.js'
import { assertSponsorTarget, type SponsorDeps, type SponsorTarget } from './sponsorDeps.js'
import { simulateUserOperation } from './userOperationChain.js'

export type SponsorUserOperationParameters = SponsorTarget & {
  userOp: UserOperationV07
  context: SponsorContext
  /** The HTTP Authorization header, if the client could send one. */
  authorization: string | undefined
}

/**
 * pm_getPaymasterData: the whole decision pipeline for a user operation. Normalize (with the
 * account's inner calls decoded), check the instance and template, simulate, decide, claim the
 * sender nonce, reserve every limit, attest, and only then sign paymasterData with the
 * IntentPaymaster key: valid until now plus the window, carrying the decision's log digest.
 * Every outcome after normalization is attested. The sponsorship is tracked until its
 * UserOperationEvent or the end of its window, when an unused one gives its reservation back.
 */
export async function sponsorUserOperation(
  deps: SponsorDeps,
  parameters: SponsorUserOperationParameters,
): Promise<PaymasterFields> {
  const { chain } = deps
  assertSponsorTarget(chain, parameters)
  const claims = deps.authorizer.authenticate(authorizationOf(parameters.authorization, parameters.context))
  assertInstanceHint(parameters.context, claims.sub)

  const now = deps.now()
  const { userOp, intent } = sponsorshipIntentOf(chain, {
    userOp: parameters.userOp,
    now,
    windowSeconds: deps.windowSeconds,
  })
  const recorded = await deps.requests.get(intent.requestDigest)
  const checked = await authorizeSubject(deps, claims, chain.chainId)
  if (recorded) {
    // Signed fields go only to a subject allowed now. An op held for approval gets them here for
    // the first time, once operators approved it: a kill switch or revocation since must stop it.
    if (!checked.ok) throw checked.error
    return sponsorAgain(recorded, { claims, userOp, now })
  }

  const webhookData = parameters.context.webhookData
  const context: DecisionContext = {
    subject: checked.subject,
    intent,
    now,
    ...(webhookData === undefined ? {} : { appData: webhookData }),
  }
  // No refusal is remembered: nothing in an unsigned op proves who sent it, so remembering one
  // would let anyone pin a refusal on someone else's operation.
  const refuseWith = (code: Parameters<typeof refuse>[2]['code'], shortMessage: string, reasons: Reason[]) =>
    refuse(deps, context, { code, shortMessage, reasons, remember: false })

  if (!checked.ok) return refuseWith(checked.error.code, checked.error.shortMessage, reasonsOf(checked.error))
  const simulation = await simulateUserOperation(chain.client, {
    userOp,
    entryPoint: chain.addresses.entryPoint,
  })
  if (!simulation.ok) {
    return refuseWith('SIMULATION_REVERTED', 'Simulation reverted', [
      { code: 'SIMULATION_REVERTED', message: simulation.reason },
    ])
  }
  const policy = deps.policies.current()
  const decision = policy.policy.evaluate(policyInputFor(checked.session, context))
  // Held for operator approval: reserved and attested like a sponsorship, but not signed yet.
  if (!decision.allow && !decision.approvals) {
    return refuse(
      deps,
      context,
      {
        code: 'POLICY_DENIED',
        shortMessage: 'Denied by policy',
        reasons: decision.reasons,
        remember: false,
      },
      policy,
    )
  }
  return commitSponsorship(deps, context, { claims, session: checked.session, userOp, decision, policy })
}

/** Re-checks the instance, claims the nonce, reserves, attests, signs, records and tracks. */
async function commitSponsorship(
  deps: SponsorDeps,
  context: DecisionContext,
  approved: {
    claims: CapabilityClaims
    session: AppSession
    userOp: SponsorableUserOperation
    decision: Decision
    policy: ReturnType<SponsorDeps['policies']['current']>
  },
): Promise<PaymasterFields> {
  const { chain } = deps
  const { intent, now } = context
  const { claims, session, userOp, decision, policy } = approved
  const refuseWith = (code: Parameters<typeof refuse>[2]['code'], shortMessage: string, reasons: Reason[]) =>
    refuse(deps, context, { code, shortMessage, reasons, remember: false }, policy)

  const recheck = await recheckSubject(deps, session, chain.chainId)
  if (!recheck.ok) return refuseWith(recheck.error.code, recheck.error.shortMessage, reasonsOf(recheck.error))
  await deps.assertPaymasterTrustsSigner()

  // Only one op per sender nonce can ever execute, so only one is sponsored (and counted). A held
  // op keeps the nonce while operators decide, and for its sponsorship window after.
  const nonceKey = `${chain.chainId}:${chain.addresses.entryPoint}:${intent.sender}:${intent.nonce}`
  const holdFor = deps.windowSeconds + 3_600 + (decision.approvals ? deps.hold.windowSeconds : 0)
  const holder = await deps.requests.claimNonce(nonceKey, intent.requestDigest, holdFor)
  if (holder === intent.requestDigest)
    return waitForSponsorship(deps, intent.requestDigest, { claims, userOp, now })
  if (holder) {
    return refuseWith('NONCE_CONFLICT', 'Nonce already taken', [
      {
        code: 'NONCE_CONFLICT',
        message: `nonce ${intent.nonce} of ${intent.sender} is held by another sponsored operation`,
      },
    ])
  }
  const giveBack = () =>
    Promise.allSettled([
      deps.limits.release(intent.requestDigest),
      deps.requests.releaseNonce(nonceKey, intent.requestDigest),
      deps.sponsorships.untrack(intent.requestDigest),
    ])

  let reservation: Reservation
  try {
    const reserved = await deps.limits.reserve(intent.requestDigest, decision.limits, now, {
      gatewayId: deps.gatewayId,
      nonceKey,
    })
    // No nonce claim is asked of the reservation here, so a refusal not for a limit is a duplicate.
    if (!reserved.ok && reserved.reason !== 'limit') {
      return waitForSponsorship(deps, intent.requestDigest, { claims, userOp, now })
    }
    if (!reserved.ok) {
      await deps.requests.releaseNonce(nonceKey, intent.requestDigest)
      const { limit, used } = reserved
      const message = `${limit.id}: ${used} used + ${limit.amount} would pass ${limit.max} (${limit.scope} ${limit.metric})`
      return refuseWith('LIMIT_EXCEEDED', 'Limit reached', [{ code: 'LIMIT_EXCEEDED', message }])
    }
    reservation = reserved.reservation
  } catch (error) {
    await giveBack()
    throw error
  }

  const gasWeiLimits = decision.limits.filter((limit) => limit.metric === 'gasWei').map((limit) => limit.id)
  let attested = false
  try {
    if (decision.approvals) {
      const { reasons, approvals } = decision
      const held = await holdForApproval(deps, context, {
        decision: { reasons, limits: decision.limits, approvals },
        policy,
        nonceKey,
        heldUserOperation: { userOp: heldUserOperationOf(userOp), gasWeiLimits },
      })
      throw approvalRequiredError(held.body, reasons)
    }
    const { envelopeDigest, ...attestation } = await attestDecision(
      deps,
      context,
      { allow: true, reasons: [] },
      decision.limits,
      policy,
    )
    attested = true
    const signed = await signSponsorship(deps, {
      userOp,
      validUntil: intent.validUntil,
      decisionDigest: `0x${envelopeDigest}`,
      nonceKey,
      gasWeiLimits,
    })
    const { fields, userOperation } = signed
    const answer = {
      kind: 'accepted' as const,
      status: 202 as const,
      body: { id: intent.requestDigest, status: 'sponsored', attestation, paymaster: fields },
    }
    const record: RequestRecord = {
      ...recordBase(context, { allow: true, reasons: [] }, attestation, answer),
      status: 'sponsored',
      userOperation,
    }
    // Tracked before it is recorded: a record nobody tracks would hold its reservation forever.
    await deps.sponsorships.track({
      requestDigest: intent.requestDigest,
      userOpHash: userOperation.userOpHash,
      validUntil: intent.validUntil,
    })
    await deps.requests.record(record, {})
    deps.logger.debug(
      { requestDigest: intent.requestDigest, userOpHash: userOperation.userOpHash, reservation },
      'user operation sponsored',
    )
    return fields
  } catch (error) {
    // Held: everything stays reserved while operators decide; the client is told to ask again.
    // A hold logged but maybe not recorded keeps it too, until the approval sweep concludes it.
    if (error instanceof IntentGateError && error.code === 'APPROVAL_REQUIRED') throw error
    if (error instanceof HoldNotRecordedError) throw error
    // Nothing is sponsored unless its approval is attested and recorded: give everything back.
    // Once attested, the reconciler concludes it from the log instead (an outcome against the
    // logged approval), since a write that timed out may still land.
    if (!attested) await giveBack()
    throw error
  }
}

/**
 * The same op asked for again while operators decide on it (APPROVAL_REQUIRED again, with the
 * approvals so far), or after they refused it or it expired unapproved (why, by its code).
 */
function assertNotHeld(record: RequestRecord): void {
  if (record.status === 'awaiting_approval') {
    const { approval } = record
    throw approvalRequiredError(
      {
        id: record.id,
        attestation: record.decisionAttestation,
        approval: { ...approval, approvals: approval.approvals.length },
      },
      record.decision.reasons,
    )
  }
  if (record.status === 'cancelled' && record.approval && record.reason) {
    const { code, message } = record.reason
    throw new IntentGateError(
      code in errorCatalogue ? (code as ErrorCode) : 'REQUEST_REPLAYED',
      'This user operation will not be sponsored',
      { details: message, reasons: [record.reason] },
    )
  }
}

/**
 * The same op asked for again: the signed answer already given, while its window lasts. Only the
 * instance that was sponsored gets it, and only for the same paymaster gas limits, which the
 * request digest does not cover but the signature does.
 */
function sponsorAgain(
  record: RequestRecord,
  asked: { claims: CapabilityClaims; userOp: SponsorableUserOperation; now: number },
): PaymasterFields {
  if (record.instanceId === asked.claims.sub) assertNotHeld(record)
  if (record.instanceId !== asked.claims.sub || record.status !== 'sponsored') {
    throw new IntentGateError('REQUEST_REPLAYED', 'This user operation was already sponsored', {
      details: 'change the operation (its fees, say) to ask for a new sponsorship',
    })
  }
  const sponsored = record.userOperation
  const sameLimits =
    sponsored.paymasterVerificationGasLimit === String(asked.userOp.paymasterVerificationGasLimit) &&
    sponsored.paymasterPostOpGasLimit === String(asked.userOp.paymasterPostOpGasLimit)
  if (!sameLimits) {
    throw new IntentGateError(
      'REQUEST_REPLAYED',
      'This user operation was sponsored with other paymaster gas limits',
    )
  }
  if (sponsored.validUntil <= asked.now) {
    throw new IntentGateError('SPONSORSHIP_EXPIRED', 'The sponsorship of this user operation expired', {
      details: 'change the operation (its fees, say) to ask for a new sponsorship',
    })
  }
  return paymasterFieldsOf(asked.userOp, sponsored.paymasterData as Hex)
}

/** Another call is sponsoring this very op: give its answer once it is recorded. */
async function waitForSponsorship(
  deps: Pick<SponsorDeps, 'requests'>,
  id: string,
  asked: { claims: CapabilityClaims; userOp: SponsorableUserOperation; now: number },
): Promise<PaymasterFields> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const record = await deps.requests.get(id)
    if (record) return sponsorAgain(record, asked)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new IntentGateError('REQUEST_REPLAYED', 'This user operation is being sponsored by another call')
}
