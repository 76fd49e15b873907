import { type HeldRequestInfo, IntentGateError } from '../errors/index.js'
import type { LimitToReserve } from '../limits/reserveLimits.js'
import type { ApprovalRequest, Reason } from '../policy/decision.js'
import type { RelayJob } from '../relay/relayJob.js'
import type { AttestationRef, HeldUserOperation, RequestApproval } from '../requests/requestStore.js'
import { attestDecision, recordBase } from './concludeDecision.js'
import type { DecisionContext, PipelineDeps } from './pipelineDeps.js'

type HoldParameters = {
  /** The policy's held answer: its APPROVAL_REQUIRED reasons, the limits already reserved, and k. */
  decision: { reasons: Reason[]; limits: readonly LimitToReserve[]; approvals: ApprovalRequest }
  policy: ReturnType<PipelineDeps['policies']['current']>
  /** The sender nonce claim the request holds while it waits. */
  nonceKey: string
  /** The latest time it may still be approved: a meta-transaction's deadline. */
  notAfter?: number
  signatureHash?: string
  relayJob?: RelayJob
  heldUserOperation?: Omit<HeldUserOperation, 'decisionDigest'>
}

export type HeldAnswer = {
  status: 202
  body: { id: string; status: 'awaiting_approval'; attestation: AttestationRef } & Pick<
    HeldRequestInfo,
    'approval'
  >
}

/**
 * Ends the pipeline of a request the policy held for k-of-n operator approval, once its nonce is
 * claimed and its limits reserved (all or none, as for an approval): opens its approval, attests the
 * held decision (a deny carrying `approval`), and records it `awaiting_approval` with what it will
 * need once approved (the relay job, or the op to sponsor). The approval opens before the decision
 * is attested, so a held request is never logged without operators being able to act on it;
 * should the attestation fail, the approval is discarded and the caller gives everything back,
 * and should only the record fail, a HoldNotRecordedError tells the caller to keep it all.
 *
 * The submitters, who may never approve it, are every operator who obtained a capability token of
 * the requesting instance: any of them could have sent it.
 */
export async function holdForApproval(
  deps: Pick<PipelineDeps, 'attestor' | 'requests' | 'policies' | 'hold'>,
  context: DecisionContext,
  held: HoldParameters,
): Promise<HeldAnswer & { decisionDigest: string }> {
  const { intent, now, subject } = context
  const { approvals } = held.decision
  const expiresAt = Math.min(now + deps.hold.windowSeconds, held.notAfter ?? Number.POSITIVE_INFINITY)
  const submitters = await deps.hold.tokenHolders(subject.instanceId)
  const opened = await deps.hold.approvals.open({
    id: intent.requestDigest,
    kind: intent.kind,
    required: approvals.required,
    reason: approvals.reason,
    createdAt: now,
    expiresAt,
    submitters,
    nonceKey: held.nonceKey,
  })
  // The nonce claim and the reservation admit one copy of a request this far, and only once.
  if (!opened) throw new Error(`request ${intent.requestDigest} already has an approval open`)
  let attested = false
  try {
    const { envelopeDigest, ...attestation } = await attestDecision(
      deps,
      context,
      { allow: false, reasons: held.decision.reasons, approval: approvals },
      held.decision.limits,
      held.policy,
    )
    attested = true
    const approval: RequestApproval = {
      required: approvals.required,
      reason: approvals.reason,
      expiresAt,
      approvals: [],
    }
    const answer: HeldAnswer = {
      status: 202,
      body: {
        id: intent.requestDigest,
        status: 'awaiting_approval',
        attestation,
        approval: { required: approvals.required, approvals: 0, reason: approvals.reason, expiresAt },
      },
    }
    const decisionDigest = `0x${envelopeDigest}`
    await deps.requests.record(
      {
        ...recordBase(context, { allow: false, reasons: held.decision.reasons }, attestation, {
          kind: 'accepted',
          ...answer,
        }),
        status: 'awaiting_approval',
        approval,
        nonceKey: held.nonceKey,
        ...(held.relayJob ? { relayJob: held.relayJob } : {}),
        ...(held.heldUserOperation
          ? { heldUserOperation: { ...held.heldUserOperation, decisionDigest } }
          : {}),
      },
      held.signatureHash ? { signatureHash: held.signatureHash } : {},
    )
    return { ...answer, decisionDigest }
  } catch (error) {
    if (attested) throw new HoldNotRecordedError(intent.requestDigest, error)
    await deps.hold.approvals.discard(intent.requestDigest)
    throw error
  }
}

/**
 * The hold is logged but its record may not have been written (a Redis write that timed out may
 * still land): the caller keeps the reservation and the nonce claim. If the record never lands,
 * the approval sweep discards the approval and gives both back; if it does, operators see it.
 */
export class HoldNotRecordedError extends IntentGateError {
  constructor(requestDigest: string, cause: unknown) {
    super('DEPENDENCY_UNAVAILABLE', 'A dependency is unavailable', {
      details: `request ${requestDigest} is held for approval; recording it failed`,
      cause,
    })
  }
}

/**
 * The error a held user operation is answered with (pm_getPaymasterData): JSON-RPC -33202 with the
 * request id, so the app can follow it (GET /v1/requests/:id) and ask again once it is approved.
 */
export function approvalRequiredError(
  held: Pick<HeldAnswer['body'], 'id' | 'attestation' | 'approval'>,
  reasons: Reason[],
): IntentGateError {
  const { approval } = held
  return new IntentGateError('APPROVAL_REQUIRED', 'Held for operator approval', {
    details: `${approval.approvals} of ${approval.required} approvals; ask again once it is approved (request ${held.id})`,
    reasons,
    attestation: held.attestation,
    request: {
      id: held.id,
      approval: {
        required: approval.required,
        approvals: approval.approvals,
        reason: approval.reason,
        expiresAt: approval.expiresAt,
      },
    },
  })
}
