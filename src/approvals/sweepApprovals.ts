import { createPeriodicTask } from '../background/periodicTask.js'
import type { ApprovalDeps } from './approvalDeps.js'
import { attestMissingVotes, completeApproval, noteApprovals } from './completeApproval.js'
import { closeAndComplete, expiredReason } from './decideApproval.js'

export type SweepApprovalsResult = { expired: number; completed: number; discarded: number }

/** How many unfinished approvals one pass looks at, at most. */
const maxPerPass = 2_000

/**
 * One pass over the approvals not yet finished:
 * - a pending one past its window expires: attested, its reservation and nonce claim given back,
 *   its request `cancelled`;
 * - a decided one (approved, rejected, expired, cancelled) whose follow-up has not finished
 *   `graceSeconds` after it was decided is finished here: the operator's call that decided it
 *   normally does that itself, so this only picks up after a crash;
 * - a pending one with a counted approval left unattested by a crash gets it attested;
 * - an approval whose request was never recorded (the hold failed before its record was
 *   written) is discarded, with its reservation and its sender nonce claim.
 */
export async function sweepApprovals(
  deps: ApprovalDeps,
  options: { graceSeconds: number },
): Promise<SweepApprovalsResult> {
  const result: SweepApprovalsResult = { expired: 0, completed: 0, discarded: 0 }
  const now = deps.now()
  for (let offset = 0; offset < maxPerPass; offset += 200) {
    const ids = await deps.approvals.unfinished(200, offset)
    for (const id of ids) {
      const entry = await deps.approvals.get(id)
      if (!entry) {
        await deps.approvals.finish(id)
        continue
      }
      const settled = entry.closedAt !== undefined && entry.closedAt + options.graceSeconds <= now
      if (entry.status === 'pending' && now >= entry.expiresAt) {
        const closed = await closeAndComplete(deps, id, {
          status: 'expired',
          by: '',
          reason: expiredReason(entry),
          now,
        })
        if (closed.kind === 'closed') result.expired++
      } else if (entry.status !== 'pending' && settled) {
        await completeApproval(deps, id)
        result.completed++
      } else if (entry.createdAt + options.graceSeconds <= now) {
        const record = await deps.requests.get(id)
        if (!record) {
          await deps.limits.release(id)
          if (entry.nonceKey) await deps.requests.releaseNonce(entry.nonceKey, id)
          await deps.approvals.discard(id)
          result.discarded++
        } else if (
          entry.votes.some(
            (vote) => !entry.voteAttestations[vote.by] && vote.at + options.graceSeconds <= now,
          )
        ) {
          await noteApprovals(deps, await attestMissingVotes(deps, record, entry))
        }
      }
    }
    if (ids.length < 200) break
  }
  return result
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
