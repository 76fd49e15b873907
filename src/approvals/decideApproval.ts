import type { AdminPrincipal } from '../auth/adminKeys.js'
import { IntentGateError, type Reason } from '../errors/index.js'
import type { RequestRecord } from '../requests/requestStore.js'
import { stopOf } from '../templates/revocation.js'
import { type ApprovalClaim, operatorClaimWaitMs, withApprovalClaim } from './approvalClaim.js'
import type { ApprovalDeps } from './approvalDeps.js'
import type { ApprovalAttestationRef, ApprovalEntry, ApprovalStatus } from './approvalStore.js'
import { type ApprovalView, approvalViewOf } from './approvalView.js'
import { attestVote, completeApproval, noteApprovals } from './completeApproval.js'

export type ApproveRequestReturnType = {
  approval: ApprovalView
  /** False when this operator's approval was already counted: it counts once. */
  counted: boolean
}

/**
 * One operator approves a held request. The count is atomic (src/approvals/approvalStore.ts): an
 * operator counts once however often they approve, a submitter of the request never counts, and
 * of two approvals landing together only one can be the k-th. Before counting, the kill switch,
 * revocations and the template's expiry are checked again: an engaged switch refuses the approval
 * (the request keeps waiting), a revoked instance or template, or an expired template, cancels the
 * request. Each counted approval is
 * attested; the k-th sends the request on (relayed, or sponsored) before this returns. Both happen
 * under the approval's follow-up claim (src/approvals/approvalClaim.ts), which the sweep takes too,
 * so a call that stalls past the sweep's grace never repeats what the sweep did meanwhile.
 */
export async function approveRequest(
  deps: ApprovalDeps,
  parameters: { id: string; operator: AdminPrincipal },
): Promise<ApproveRequestReturnType> {
  const { id, operator } = parameters
  const { record, entry } = await heldRequest(deps, id)
  // An approver asking again after the k-th approval counts nothing, but runs the follow-up again:
  // how one retries an approval whose follow-up failed (a chain or log outage) without waiting
  // for the sweep.
  if (entry.status === 'approved' && entry.votes.some((vote) => vote.by === operator.name)) {
    await withApprovalClaim(deps.approvals, id, { waitMs: operatorClaimWaitMs }, (claim) =>
      completeApproval(deps, claim, { attestMissing: false }),
    )
    return { approval: await viewOf(deps, id), counted: false }
  }
  if (entry.status !== 'pending') throw notPending(id, entry.status)
  await assertStillAllowed(deps, record)

  const now = deps.now()
  const vote = await deps.approvals.vote(id, operator.name, now)
  switch (vote.kind) {
    case 'missing':
      throw notFound(id)
    case 'closed':
      throw notPending(id, vote.status)
    case 'expired':
      await closeAndComplete(deps, id, { status: 'expired', by: '', reason: expiredReason(entry), now })
      throw notPending(id, 'expired')
    case 'submitter':
      throw new IntentGateError('APPROVER_IS_SUBMITTER', 'A submitter may not approve this request', {
        details: `${operator.name} obtained a capability token of instance ${record.instanceId}, which sent it`,
      })
    case 'duplicate':
      return { approval: await viewOf(deps, id), counted: false }
    case 'counted': {
      // Under the claim, so a sweep that found this approval unattested past its grace (this call
      // stalled) and attested it is seen here, and not attested again.
      const followed = await withApprovalClaim(deps.approvals, id, { waitMs: operatorClaimWaitMs }, (claim) =>
        attestOwnVote(deps, claim, record, operator),
      )
      await deps.recordAdminAction({
        actor: operator,
        action: 'approval.approve',
        target: id,
        detail: { approvals: vote.count, required: entry.required, status: vote.status },
        // Not held: whoever holds the claim, or the sweep after the grace, attests it.
        ...(followed.held ? { attested: { logIndex: followed.value.logIndex } } : {}),
      })
      return { approval: await viewOf(deps, id), counted: true }
    }
  }
}

/**
 * Attests the approval `operator` just counted, unless it is attested already, and sends the
 * request on if it is approved. Holds the approval's claim.
 */
async function attestOwnVote(
  deps: ApprovalDeps,
  claim: ApprovalClaim,
  record: RequestRecord,
  operator: AdminPrincipal,
): Promise<ApprovalAttestationRef> {
  // The entry as it stands under the claim: this vote, the ones before it, and what is attested.
  const counted = await deps.approvals.get(claim.id)
  if (!counted) throw notFound(claim.id)
  const index = counted.votes.findIndex((vote) => vote.by === operator.name)
  const ref =
    counted.voteAttestations[operator.name] ??
    (await attestVote(deps, claim, record, counted, index, operator.role))
  // Read again: approvals counted meanwhile, and whether this or a concurrent one was the k-th.
  const latest = (await deps.approvals.get(claim.id)) ?? counted
  await noteApprovals(deps, {
    ...latest,
    voteAttestations: { ...latest.voteAttestations, [operator.name]: ref },
  })
  // Whichever call attests the last approval behind the k-th sends the request on.
  if (latest.status === 'approved') await completeApproval(deps, claim, { attestMissing: false })
  return ref
}

/**
 * One operator rejects a held request: it ends at once (one rejection is enough), attested, with
 * its reservation given back. A submitter may reject their own request. A request past its window
 * is expired instead, and the rejection refused.
 */
export async function rejectRequest(
  deps: ApprovalDeps,
  parameters: { id: string; operator: AdminPrincipal; reason: string },
): Promise<ApprovalView> {
  const { id, operator } = parameters
  const { entry } = await heldRequest(deps, id)
  if (entry.status !== 'pending') throw notPending(id, entry.status)
  const now = deps.now()
  const reason = { code: 'APPROVAL_REJECTED', message: `rejected by ${operator.name}: ${parameters.reason}` }
  const closed = await closeAndComplete(deps, id, { status: 'rejected', by: operator.name, reason, now })
  if (closed.kind === 'expired') {
    await closeAndComplete(deps, id, { status: 'expired', by: '', reason: expiredReason(entry), now })
    throw notPending(id, 'expired')
  }
  if (closed.kind === 'closed-already') throw notPending(id, closed.status)
  if (closed.kind === 'missing') throw notFound(id)
  // completeApproval attested the rejection (or threw): its entry is the one to point at.
  const rejected = await deps.approvals.get(id)
  await deps.recordAdminAction({
    actor: operator,
    action: 'approval.reject',
    target: id,
    detail: { reason: parameters.reason },
    ...(rejected?.closeAttestation ? { attested: { logIndex: rejected.closeAttestation.logIndex } } : {}),
  })
  return viewOf(deps, id)
}

/**
 * Ends a pending approval and, if this call ended it, carries out what follows, under the claim
 * the caller holds (the sweep) or else one taken here. If another holds the claim past the wait,
 * it (or the sweep after the grace) carries it out.
 */
export async function closeAndComplete(
  deps: ApprovalDeps,
  id: string,
  change: Parameters<ApprovalDeps['approvals']['close']>[1],
  held?: ApprovalClaim,
) {
  const closed = await deps.approvals.close(id, change)
  if (closed.kind !== 'closed') return closed
  if (held) await completeApproval(deps, held)
  else
    await withApprovalClaim(deps.approvals, id, { waitMs: operatorClaimWaitMs }, (claim) =>
      completeApproval(deps, claim),
    )
  return closed
}

export function expiredReason(entry: Pick<ApprovalEntry, 'expiresAt'>): Reason {
  return {
    code: 'APPROVAL_EXPIRED',
    message: `not approved by ${new Date(entry.expiresAt * 1000).toISOString()}; its reservation was released`,
  }
}

/** The operators' view of one held request, whatever its status. */
export async function getApproval(deps: Pick<ApprovalDeps, 'approvals' | 'requests'>, id: string) {
  return viewOf(deps, id)
}

async function viewOf(deps: Pick<ApprovalDeps, 'approvals' | 'requests'>, id: string): Promise<ApprovalView> {
  const { record, entry } = await heldRequest(deps, id)
  return approvalViewOf(entry, record)
}

async function heldRequest(
  deps: Pick<ApprovalDeps, 'approvals' | 'requests'>,
  id: string,
): Promise<{ record: RequestRecord; entry: ApprovalEntry }> {
  const [record, entry] = await Promise.all([deps.requests.get(id), deps.approvals.get(id)])
  if (!record || !entry) throw notFound(id)
  return { record, entry }
}

/**
 * The state behind the request, read again when an operator approves: a kill switch refuses the
 * approval and leaves the request waiting; a revocation, or the template's expiry, which are
 * final, cancel the request. An approval decides now, so the template must still be in force now.
 */
async function assertStillAllowed(deps: ApprovalDeps, record: RequestRecord): Promise<void> {
  const stop = await stopOf(deps, record, 'while the request waited', deps.now())
  if (!stop) return
  if (stop.kind === 'kill-switch') {
    const { scope, target } = stop.engaged
    throw new IntentGateError('KILL_SWITCH', 'Kill switch engaged: nothing is approved', {
      details: `${target ? `${scope} ${target}` : scope}; the request keeps waiting`,
    })
  }
  const ended = stop.reason
  await closeAndComplete(deps, record.id, { status: 'cancelled', by: '', reason: ended, now: deps.now() })
  throw new IntentGateError(
    ended.code as 'INSTANCE_REVOKED' | 'TEMPLATE_REVOKED' | 'TEMPLATE_EXPIRED',
    'Held request cancelled',
    {
      details: `${ended.message}; the request was cancelled`,
    },
  )
}

function notFound(id: string): IntentGateError {
  return new IntentGateError('REQUEST_NOT_FOUND', 'No request held for approval with this id', {
    details: id,
  })
}

function notPending(id: string, status: ApprovalStatus): IntentGateError {
  return new IntentGateError('APPROVAL_NOT_PENDING', 'The request is not awaiting approval', {
    details: `${id} is ${status}`,
  })
}
