import { type ErrorCode, IntentGateError, type Reason } from '../errors/index.js'
import type { LimitToReserve, Reservation } from '../limits/reserveLimits.js'
import type { RelayJob } from '../relay/relayJob.js'
import type { AttestationRef, RequestRecord, StoredAnswer } from '../requests/requestStore.js'
import type { DecisionContext, PipelineDeps } from './pipelineDeps.js'

type ConcludeDeps = Pick<PipelineDeps, 'attestor' | 'requests' | 'policies'> &
  Partial<Pick<PipelineDeps, 'relay' | 'logger' | 'failpoint' | 'refusalBudget'>>

/**
 * Ends a request with a refusal: the denial is attested and logged (durably) first, then, if
 * `remember` is set, recorded so the same digest gets the same answer, then thrown as the
 * documented error with its reasons and attestation.
 *
 * Only requests whose signature verified for an authorized instance are remembered: the digest
 * does not cover the signature or the caller, so remembering anything else would let whoever
 * knows a request's fields pin a refusal on the signer's real request.
 */
export async function refuse(
  deps: ConcludeDeps,
  context: DecisionContext,
  refusal: {
    code: ErrorCode
    shortMessage: string
    details?: string
    reasons: Reason[]
    remember: boolean
    signatureHash?: string
  },
  policy = deps.policies.current(),
): Promise<never> {
  // Past the instance's budget, the refusal is answered but neither signed, logged nor remembered.
  if (deps.refusalBudget && !(await deps.refusalBudget.take(context.subject.instanceId))) {
    const notAttested = {
      code: 'REFUSAL_NOT_ATTESTED',
      message: `this instance passed ${deps.refusalBudget.perMinute} attested refusals this minute (ATTESTED_REFUSALS_PER_MINUTE)`,
    }
    throw new IntentGateError(refusal.code, refusal.shortMessage, {
      ...(refusal.details ? { details: refusal.details } : {}),
      reasons: [...refusal.reasons, notAttested],
    })
  }
  const { envelopeDigest: _digest, ...attestation } = await attestDecision(
    deps,
    context,
    { allow: false, reasons: refusal.reasons },
    [],
    policy,
  )
  const answer: StoredAnswer = {
    kind: 'refused',
    code: refusal.code,
    shortMessage: refusal.shortMessage,
    ...(refusal.details ? { details: refusal.details } : {}),
    reasons: refusal.reasons,
  }
  if (refusal.remember) {
    await deps.requests.record(
      {
        ...recordBase(context, { allow: false, reasons: refusal.reasons }, attestation, answer),
        status: 'denied',
      },
      refusal.signatureHash ? { signatureHash: refusal.signatureHash } : {},
    )
  }
  throw refusalError(answer, attestation)
}

/**
 * Ends a request with an approval: attested and logged before the 202 is built and recorded. A
 * request to relay is held in its chain's inbox and recorded with its job in one atomic step, then
 * enqueued, so the job exists before the 202 goes out; should the enqueue itself fail after the
 * record was written, the worker's inbox sweep enqueues it from the record.
 */
export async function accept(
  deps: ConcludeDeps,
  context: DecisionContext,
  approval: {
    reservation: Reservation
    limits: readonly LimitToReserve[]
    signatureHash?: string
    relayJob?: RelayJob
  },
  policy = deps.policies.current(),
): Promise<Extract<StoredAnswer, { kind: 'accepted' }>> {
  const { relayJob } = approval
  const relay = relayJob ? deps.relay : undefined
  if (relayJob && !relay) throw new Error('an approved meta-transaction needs the relay queue')
  const { envelopeDigest: _digest, ...attestation } = await attestDecision(
    deps,
    context,
    { allow: true, reasons: [] },
    approval.limits,
    policy,
  )
  deps.failpoint?.('after-attest')
  try {
    return await recordApproval(deps, context, approval, attestation)
  } catch (error) {
    throw new ApprovalNotRecordedError(context.intent.requestDigest, error)
  }
}

/**
 * An approval that was attested but whose record, inbox entry or job may not have been written
 * (Redis failed or timed out meanwhile: a timed-out write may still land). Its reservation and
 * nonce claim must stay: the reconciler (src/reconcile/reconcileInflight.ts) concludes it from
 * the log. The client sees 503, and a retry gets the approval once it is recorded.
 */
export class ApprovalNotRecordedError extends IntentGateError {
  constructor(requestDigest: string, cause: unknown) {
    super('DEPENDENCY_UNAVAILABLE', 'A dependency is unavailable', {
      details: `request ${requestDigest} is approved; recording it failed and is retried`,
      cause,
    })
  }
}

async function recordApproval(
  deps: ConcludeDeps,
  context: DecisionContext,
  approval: { signatureHash?: string; relayJob?: RelayJob },
  attestation: AttestationRef,
): Promise<Extract<StoredAnswer, { kind: 'accepted' }>> {
  const { relayJob } = approval
  const relay = relayJob ? deps.relay : undefined
  const answer = {
    kind: 'accepted' as const,
    status: 202 as const,
    body: { id: context.intent.requestDigest, status: 'queued', attestation },
  }
  // Held in the chain's inbox and recorded in one step (the inbox entry first, as a separate hold
  // would): no moment when the request is recorded but not in the inbox.
  await deps.requests.record(
    {
      ...recordBase(context, { allow: true, reasons: [] }, attestation, answer),
      status: 'queued',
      ...(relayJob ? { relayJob } : {}),
    },
    {
      ...(approval.signatureHash ? { signatureHash: approval.signatureHash } : {}),
      ...(relay && relayJob ? { inbox: relay.inboxEntry(relayJob) } : {}),
    },
  )
  deps.failpoint?.('after-record')
  if (relay && relayJob) {
    await relay.enqueue(relayJob).catch((error: unknown) => {
      deps.logger?.warn(
        { id: relayJob.requestDigest, err: (error as Error).message },
        'enqueue failed after the request was recorded; the inbox sweep will enqueue it',
      )
    })
  }
  deps.failpoint?.('after-enqueue')
  return answer
}

/** Turns a stored refusal back into the error the client gets, the first time and every time after. */
export function refusalError(
  answer: Extract<StoredAnswer, { kind: 'refused' }>,
  attestation: AttestationRef,
): IntentGateError {
  return new IntentGateError(answer.code, answer.shortMessage, {
    ...(answer.details ? { details: answer.details } : {}),
    reasons: answer.reasons,
    attestation,
  })
}

/**
 * Signs and logs a decision (with `approval` for a request held for operator approval); resolves
 * once it is durable. `envelopeDigest` (the SHA-256 of the log entry) is what outcomes and approval
 * events point back with, and what a sponsored user operation carries.
 */
export async function attestDecision(
  deps: Pick<ConcludeDeps, 'attestor'>,
  context: DecisionContext,
  decision: { allow: boolean; reasons: Reason[]; approval?: { required: number; reason: string } },
  limits: readonly LimitToReserve[],
  policy: ReturnType<ConcludeDeps['policies']['current']>,
): Promise<AttestationRef & { envelopeDigest: string }> {
  const { subject, intent, now, appData } = context
  const { approval, ...verdict } = decision
  const logged = await deps.attestor.attestDecision({
    requestDigest: intent.requestDigest,
    decision: verdict,
    ...(approval ? { approval } : {}),
    template: { id: subject.templateId, digest: subject.templateDigest },
    instance: { id: subject.instanceId },
    ...(subject.att ? { att: subject.att } : {}),
    policy: { revision: policy.revision, digest: policy.digest },
    intent,
    limits: [...limits],
    decidedAt: new Date(now * 1000).toISOString(),
    ...(appData === undefined ? {} : { appData }),
  })
  return { logIndex: logged.index, envelope: logged.envelope, envelopeDigest: logged.envelopeDigest }
}

export function recordBase(
  context: DecisionContext,
  decision: RequestRecord['decision'],
  decisionAttestation: AttestationRef,
  answer: StoredAnswer,
) {
  const { subject, intent, now } = context
  return {
    id: intent.requestDigest,
    kind: intent.kind,
    chainId: intent.chainId,
    instanceId: subject.instanceId,
    templateId: subject.templateId,
    sender: intent.sender,
    createdAt: new Date(now * 1000).toISOString(),
    decision,
    decisionAttestation,
    answer,
  }
}
