import type { Reason } from '../errors/index.js'
import { decisionEntryOf } from '../relay/settleRequest.js'
import type { RequestApproval, RequestRecord } from '../requests/requestStore.js'
import type { ApprovalClaim } from './approvalClaim.js'
import type { ApprovalDeps, AwaitingRecord } from './approvalDeps.js'
import type { ApprovalAttestationRef, ApprovalEntry } from './approvalStore.js'

/**
 * Carries out what an approval's status calls for, once it left `pending`, and marks it finished:
 * - `approved`: every counted approval attested (one that a crash left unattested is attested
 *   now), then the request acts: a meta-transaction is queued for relay with its job (id: the
 *   request digest), a user operation is sponsored;
 * - `rejected`, `expired`, `cancelled`: the event attested, the reservation and the sender nonce
 *   claim given back, and the request `cancelled` with the reason.
 * It runs holding the approval's follow-up claim and reads the approval afresh under it, so of an
 * operator's call and a sweep, one does each step and the other finds it done. Every step is safe
 * to repeat after a crash, so a run that a crash interrupted is finished by the next one (the
 * sweep runs it again once the claim lapses, attesting approvals a crash left unattested). An
 * operator's call passes `attestMissing: false`: it never attests another operator's approval,
 * which that operator's own call attests once it gets the claim. Returns the request record as it
 * stands after, if any.
 */
export async function completeApproval(
  deps: ApprovalDeps,
  claim: ApprovalClaim,
  options: { attestMissing: boolean } = { attestMissing: true },
): Promise<RequestRecord | undefined> {
  const { id } = claim
  const entry = await deps.approvals.get(id)
  const record = await deps.requests.get(id)
  if (!entry || entry.status === 'pending' || !record) return record
  if (entry.status === 'approved') {
    // An operator's call that counted an approval attests it itself, then completes: one whose
    // approval is still being attested leaves the rest to that call rather than attest it twice.
    const unattested = entry.votes.some((vote) => !entry.voteAttestations[vote.by])
    if (unattested && !options.attestMissing) return record
    const attested = await attestMissingVotes(deps, claim, record, entry)
    await noteApprovals(deps, attested, entry.closedAt)
    if (record.status === 'awaiting_approval') {
      await claim.assertHeld()
      await act(deps, record, entry.closedAt ?? deps.now())
    }
  } else {
    const closing = entry.closeAttestation ?? (await attestClose(deps, claim, record, entry))
    if (record.status === 'awaiting_approval') {
      await claim.assertHeld()
      await cancel(deps, record, entry, closing)
    }
  }
  await deps.approvals.finish(id)
  return deps.requests.get(id)
}

/**
 * Attests one counted approval, the `index`-th of the entry's votes, and notes its attestation.
 * The caller holds the claim and read `entry` under it, and found that vote unattested.
 */
export async function attestVote(
  deps: Pick<ApprovalDeps, 'attestor' | 'approvals'>,
  claim: ApprovalClaim,
  record: Pick<RequestRecord, 'decisionAttestation'>,
  entry: ApprovalEntry,
  index: number,
  role = 'operator',
): Promise<ApprovalAttestationRef> {
  const vote = entry.votes[index]
  if (!vote) throw new RangeError(`approval ${entry.id} has no vote ${index}`)
  const approvers = entry.votes.slice(0, index + 1).map((counted) => counted.by)
  await claim.assertHeld()
  const logged = await deps.attestor.attestApproval({
    requestDigest: entry.id,
    decisionEntry: decisionEntryOf(record.decisionAttestation),
    action: 'approve',
    actor: { name: vote.by, role },
    approvals: { required: entry.required, approvers },
    status: approvers.length >= entry.required ? 'approved' : 'pending',
    at: isoTime(vote.at),
  })
  const ref = { logIndex: logged.index, envelopeDigest: logged.envelopeDigest, envelope: logged.envelope }
  await deps.approvals.noteAttestation(entry.id, `vote:${vote.by}`, ref)
  return ref
}

/** The entry with every counted vote attested: those a crash left unattested are attested now. */
export async function attestMissingVotes(
  deps: Pick<ApprovalDeps, 'attestor' | 'approvals'>,
  claim: ApprovalClaim,
  record: Pick<RequestRecord, 'decisionAttestation'>,
  entry: ApprovalEntry,
): Promise<ApprovalEntry> {
  const voteAttestations = { ...entry.voteAttestations }
  for (const [index, vote] of entry.votes.entries()) {
    voteAttestations[vote.by] ??= await attestVote(deps, claim, record, entry, index)
  }
  return { ...entry, voteAttestations }
}

/** Writes the attested approvals into the request record, so the app and the console see them. */
export async function noteApprovals(
  deps: Pick<ApprovalDeps, 'requests'>,
  entry: ApprovalEntry,
  decidedAt?: number,
): Promise<void> {
  const approvals: RequestApproval['approvals'] = entry.votes.flatMap((vote) => {
    const attestation = entry.voteAttestations[vote.by]
    return attestation ? [{ by: vote.by, at: isoTime(vote.at), logIndex: attestation.logIndex }] : []
  })
  await deps.requests.update(entry.id, (current) => {
    if (!current.approval) return undefined
    // Two operators noting at once each know only of their own approval for sure: keep both.
    const known = new Set(approvals.map((approval) => approval.by))
    const merged = [...approvals, ...current.approval.approvals.filter((approval) => !known.has(approval.by))]
    merged.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    return {
      ...current,
      approval: {
        ...current.approval,
        approvals: merged,
        ...(decidedAt === undefined ? {} : { decidedAt: current.approval.decidedAt ?? isoTime(decidedAt) }),
      },
    }
  })
}

/** The k-th approval landed: relay the meta-transaction, or sponsor the user operation. */
async function act(deps: ApprovalDeps, record: AwaitingRecord, approvedAt: number): Promise<void> {
  if (record.kind === 'user-op') {
    if (!deps.sponsorApproved) throw new Error('an approved user operation needs the sponsor')
    await deps.sponsorApproved(record, approvedAt)
    return
  }
  const held = record.relayJob
  if (!held) throw new Error(`held meta-transaction ${record.id} has no relay job`)
  const job = { ...held, acceptedAt: approvedAt }
  // As for an approval on the spot: in the inbox first, so the relay's sweep finds it if this stops.
  await deps.relay.hold(job)
  await deps.requests.update(record.id, (current) =>
    current.status === 'awaiting_approval'
      ? { ...commonOf(current), status: 'queued', relayJob: job }
      : undefined,
  )
  const queued = await deps.requests.get(record.id)
  if (queued?.status === 'queued' && queued.relayJob) {
    await deps.relay.enqueue(queued.relayJob).catch((error: unknown) => {
      deps.logger.warn(
        { id: record.id, err: (error as Error).message },
        'enqueue failed after approval; the inbox sweep will enqueue it',
      )
    })
  }
}

const closingActions = { rejected: 'reject', expired: 'expire', cancelled: 'cancel' } as const

async function attestClose(
  deps: ApprovalDeps,
  claim: ApprovalClaim,
  record: RequestRecord,
  entry: ApprovalEntry,
): Promise<ApprovalAttestationRef> {
  const status = entry.status as keyof typeof closingActions
  await claim.assertHeld()
  const logged = await deps.attestor.attestApproval({
    requestDigest: entry.id,
    decisionEntry: decisionEntryOf(record.decisionAttestation),
    action: closingActions[status],
    ...(status === 'rejected' && entry.closedBy ? { actor: { name: entry.closedBy, role: 'operator' } } : {}),
    approvals: { required: entry.required, approvers: entry.votes.map((vote) => vote.by) },
    status,
    reason: closeReasonOf(entry),
    at: isoTime(entry.closedAt ?? deps.now()),
  })
  const ref = { logIndex: logged.index, envelopeDigest: logged.envelopeDigest, envelope: logged.envelope }
  await deps.approvals.noteAttestation(entry.id, 'close', ref)
  return ref
}

/** Gives back what the held request reserved and ends it `cancelled`, pointing at the closing event. */
async function cancel(
  deps: ApprovalDeps,
  record: AwaitingRecord,
  entry: ApprovalEntry,
  closing: ApprovalAttestationRef,
): Promise<void> {
  await deps.limits.release(record.id)
  await deps.requests.releaseNonce(record.nonceKey, record.id)
  await deps.requests.update(record.id, (current) =>
    current.status === 'awaiting_approval'
      ? {
          ...commonOf(current, entry.closedAt),
          status: 'cancelled',
          reason: closeReasonOf(entry),
          outcomeAttestation: { logIndex: closing.logIndex, envelope: closing.envelope },
        }
      : undefined,
  )
}

function closeReasonOf(entry: ApprovalEntry): Reason {
  return (
    entry.closeReason ?? { code: 'APPROVAL_EXPIRED', message: `not approved by ${isoTime(entry.expiresAt)}` }
  )
}

/** The fields every record has, without those of awaiting_approval, and the approval's end noted. */
function commonOf(record: AwaitingRecord, decidedAt?: number) {
  const { status: _status, nonceKey: _nonce, relayJob: _job, heldUserOperation: _op, ...common } = record
  return {
    ...common,
    approval: {
      ...record.approval,
      ...(decidedAt === undefined ? {} : { decidedAt: record.approval.decidedAt ?? isoTime(decidedAt) }),
    },
  }
}

export function isoTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString()
}
