import { createPeriodicTask } from '../background/periodicTask.js'
import { endOf } from '../templates/revocation.js'
import { type ApprovalClaim, ApprovalClaimLostError, withApprovalClaim } from './approvalClaim.js'
import type { ApprovalDeps } from './approvalDeps.js'
import type { ApprovalEntry } from './approvalStore.js'
import { attestMissingVotes, completeApproval, noteApprovals } from './completeApproval.js'
import { closeAndComplete, expiredReason } from './decideApproval.js'

export type SweepApprovalsResult = { expired: number; ended: number; completed: number; discarded: number }

/** How many unfinished approvals one pass looks at, at most. */
const maxPerPass = 2_000

/**
 * One pass over the approvals not yet finished:
 * - a pending one past its window expires: attested, its reservation and nonce claim given back,
 *   its request `cancelled`;
 * - a pending one whose instance or template was revoked, or whose template expired, is cancelled
 *   the same way with that reason: nothing could approve it any more, and it would keep its
 *   reservation until its window ended;
 * - a decided one (approved, rejected, expired, cancelled) whose follow-up has not finished
 *   `graceSeconds` after it was decided is finished here: the operator's call that decided it
 *   normally does that itself, so this only picks up after a crash;
 * - a pending one with a counted approval left unattested by a crash gets it attested;
 * - an approval whose request was never recorded (the hold failed before its record was
 *   written) is discarded, with its reservation and its sender nonce claim, also when its window
 *   ended before a sweep came to it.
 */
export async function sweepApprovals(
  deps: ApprovalDeps,
  options: { graceSeconds: number },
): Promise<SweepApprovalsResult> {
  const result: SweepApprovalsResult = { expired: 0, ended: 0, completed: 0, discarded: 0 }
  const now = deps.now()
  // Every API process sweeps, and an operator's call finishes what it decided: one that finds
  // work claims the approval first and looks again, so no two of them both attest the same event
  // (into two logs) or release the same reservation. A claim held elsewhere is left to its holder.
  for (let offset = 0; offset < maxPerPass; offset += 200) {
    const ids = await deps.approvals.unfinished(200, offset)
    for (const id of ids) {
      const entry = await deps.approvals.get(id)
      if (!entry) {
        await deps.approvals.finish(id)
        continue
      }
      if (!(await sweepStepFor(deps, entry, now, options.graceSeconds))) continue
      try {
        await withApprovalClaim(deps.approvals, id, { waitMs: 0 }, async (claim) => {
          const current = await deps.approvals.get(id)
          const step = current && (await sweepStepFor(deps, current, now, options.graceSeconds))
          if (current && step) await runSweepStep(deps, claim, current, step, now, result)
        })
      } catch (error) {
        // Its claim lapsed while this pass stalled: the holder now finishes this one; go on with the rest.
        if (!(error instanceof ApprovalClaimLostError)) throw error
      }
    }
    if (ids.length < 200) break
  }
  return result
}

type SweepStep = 'expire' | 'end' | 'complete' | 'discard' | 'attest-votes'

/** What the sweep has to do for an approval now, if anything. Reads, never writes. */
async function sweepStepFor(
  deps: ApprovalDeps,
  entry: ApprovalEntry,
  now: number,
  graceSeconds: number,
): Promise<SweepStep | undefined> {
  const pastGrace = entry.createdAt + graceSeconds <= now
  // A hold whose record never landed is given back, even once its window ended: expired, it would
  // wait for that record for ever, keeping its reservation and nonce claim. Only pending and
  // expired ones can lack a record; every other status was reached through it.
  const orphanable = entry.status === 'pending' || entry.status === 'expired'
  if (pastGrace && orphanable && !(await deps.requests.get(entry.id))) return 'discard'
  if (entry.status === 'pending' && now >= entry.expiresAt) return 'expire'
  if (entry.status === 'pending' && (await endingReason(deps, entry.id, now))) return 'end'
  const settled = entry.closedAt !== undefined && entry.closedAt + graceSeconds <= now
  if (entry.status !== 'pending' && settled) return 'complete'
  if (!pastGrace) return undefined
  const unattested = entry.votes.some(
    (vote) => !entry.voteAttestations[vote.by] && vote.at + graceSeconds <= now,
  )
  return unattested ? 'attest-votes' : undefined
}

async function runSweepStep(
  deps: ApprovalDeps,
  claim: ApprovalClaim,
  entry: ApprovalEntry,
  step: SweepStep,
  now: number,
  result: SweepApprovalsResult,
): Promise<void> {
  const { id } = entry
  switch (step) {
    case 'expire': {
      const change = { status: 'expired', by: '', reason: expiredReason(entry), now } as const
      const closed = await closeAndComplete(deps, id, change, claim)
      if (closed.kind === 'closed') result.expired++
      return
    }
    case 'end': {
      const reason = await endingReason(deps, id, now)
      if (!reason) return
      const closed = await closeAndComplete(deps, id, { status: 'cancelled', by: '', reason, now }, claim)
      if (closed.kind === 'closed') result.ended++
      return
    }
    case 'complete':
      await completeApproval(deps, claim)
      result.completed++
      return
    case 'discard':
      await deps.limits.release(id)
      if (entry.nonceKey) await deps.requests.releaseNonce(entry.nonceKey, id)
      await deps.approvals.discard(id)
      result.discarded++
      return
    case 'attest-votes': {
      const record = await deps.requests.get(id)
      if (record) await noteApprovals(deps, await attestMissingVotes(deps, claim, record, entry))
      return
    }
  }
}

/** Why a held request can never be approved any more (see {@link endOf}), if its record says. */
async function endingReason(deps: ApprovalDeps, id: string, now: number) {
  const record = await deps.requests.get(id)
  return record && endOf(deps, record.instanceId, 'while the request waited', now)
}

/** Runs {@link sweepApprovals} every `intervalMs` until stopped; a failed pass is logged and retried. */
export function createApprovalSweeper(
  deps: ApprovalDeps,
  options: { intervalMs: number; graceSeconds: number },
) {
  return createPeriodicTask({
    pass: () => sweepApprovals(deps, { graceSeconds: options.graceSeconds }),
    intervalMs: options.intervalMs,
    logger: deps.logger,
    failure: 'sweeping held requests failed; retrying',
  })
}
