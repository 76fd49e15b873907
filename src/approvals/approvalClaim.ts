import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ApprovalStore } from './approvalStore.js'

/**
 * Proof that the caller holds one approval's follow-up claim. Every follow-up step (attesting a
 * vote or the close, relaying, sponsoring, releasing) takes one, so an operator's call and the
 * sweep, which both finish approvals, never both carry out the same step: one that holds the claim
 * reads the approval afresh and does only what is still undone.
 */
export type ApprovalClaim = {
  readonly id: string
  /**
   * Throws {@link ApprovalClaimLostError} unless the claim is still held. Called right before each
   * side effect: a holder that stalled past the claim's time (its renewals stopped with it) stops
   * instead of repeating what the process that took over did.
   */
  assertHeld(): Promise<void>
}

export class ApprovalClaimLostError extends Error {
  constructor(id: string) {
    super(`the follow-up claim on approval ${id} lapsed; whoever holds it now finishes it`)
    this.name = 'ApprovalClaimLostError'
  }
}

export type WithApprovalClaimReturnType<T> = { held: true; value: T } | { held: false }

/**
 * How long a claim lasts without renewal: a holder that dies lets go after this, and the sweep
 * finishes its work. A live holder renews it every third of it, however slow its work is.
 */
export const approvalClaimSeconds = 60

/** How long an operator's call waits for a claim another holds (a sweep, another operator's call). */
export const operatorClaimWaitMs = 5_000

const retryMs = 25

/**
 * Runs `work` holding the follow-up claim on approval `id`, waiting up to `waitMs` for it if
 * another holds it. `{ held: false }` if it stayed held that long: its holder, or the sweep after
 * it, finishes the work. The claim is renewed while `work` runs and given back after.
 */
export async function withApprovalClaim<T>(
  approvals: Pick<ApprovalStore, 'claim' | 'renewClaim' | 'holdsClaim' | 'releaseClaim'>,
  id: string,
  options: { waitMs: number },
  work: (claim: ApprovalClaim) => Promise<T>,
): Promise<WithApprovalClaimReturnType<T>> {
  const owner = randomBytes(8).toString('hex')
  const giveUpAt = Date.now() + options.waitMs
  while (!(await approvals.claim(id, owner, approvalClaimSeconds))) {
    if (Date.now() >= giveUpAt) return { held: false }
    await sleep(retryMs)
  }
  let lost = false
  const renewal = setInterval(
    () => {
      approvals.renewClaim(id, owner, approvalClaimSeconds).then(
        (kept) => {
          if (!kept) lost = true
        },
        // A failed renewal is retried on the next tick; assertHeld asks Redis itself.
        () => undefined,
      )
    },
    (approvalClaimSeconds * 1000) / 3,
  )
  renewal.unref()
  const claim: ApprovalClaim = {
    id,
    async assertHeld() {
      if (lost || !(await approvals.holdsClaim(id, owner))) {
        lost = true
        throw new ApprovalClaimLostError(id)
      }
    },
  }
  try {
    return { held: true, value: await work(claim) }
  } finally {
    clearInterval(renewal)
    // The work is done (or failed on its own): a release Redis refuses only leaves the claim to
    // lapse at its ttl, and must not turn a follow-up that went through into an error.
    await approvals.releaseClaim(id, owner).catch(() => undefined)
  }
}
