import type { Hex } from 'viem'
import type { AwaitingRecord, SponsorApprovedOperation } from '../approvals/approvalDeps.js'
import { userOperationJsonOf, userOperationSchema } from '../intents/userOperation.js'
import type { RequestRecord } from '../requests/requestStore.js'
import { type SponsorableUserOperation, withIntentPaymaster } from './paymasterFields.js'
import { signSponsorship } from './signSponsorship.js'
import type { SponsorDeps } from './sponsorDeps.js'

/** A held op as its record keeps it: the JSON-RPC form, which parses back to the very same op. */
export function heldUserOperationOf(userOp: SponsorableUserOperation): Record<string, string> {
  return userOperationJsonOf(userOp)
}

/**
 * Sponsors a held user operation once its k-th approval lands: paymasterData signed for exactly
 * the op the held decision saw, valid for the sponsorship window from the approval (not from when
 * it was asked for, which may be long past), naming the held decision, which the approval events
 * point back to. Nothing is reserved again: the reservation made when it was held stands. The op
 * is tracked like any sponsorship, so an unused one is released when its window ends; the app
 * gets the signed fields by asking pm_getPaymasterData again for the same op.
 */
export function createSponsorApprovedOperation(
  deps: Pick<
    SponsorDeps,
    'chain' | 'signer' | 'assertPaymasterTrustsSigner' | 'windowSeconds' | 'sponsorships'
  >,
): SponsorApprovedOperation {
  return async function sponsorApprovedOperation(record: AwaitingRecord, approvedAt: number) {
    const held = record.heldUserOperation
    if (!held) throw new Error(`held user operation ${record.id} has no op to sponsor`)
    await deps.assertPaymasterTrustsSigner()
    const userOp = withIntentPaymaster(
      userOperationSchema.parse({ ...held.userOp, signature: '0x' }),
      deps.chain.addresses.paymaster,
    )
    const validUntil = approvedAt + deps.windowSeconds
    const { userOperation } = await signSponsorship(deps, {
      userOp,
      validUntil,
      decisionDigest: held.decisionDigest as Hex,
      nonceKey: record.nonceKey,
      gasWeiLimits: held.gasWeiLimits,
    })
    const { status: _status, nonceKey: _nonce, relayJob: _job, heldUserOperation: _held, ...common } = record
    const next: RequestRecord = {
      ...common,
      approval: {
        ...record.approval,
        decidedAt: record.approval.decidedAt ?? new Date(approvedAt * 1000).toISOString(),
      },
      status: 'sponsored',
      userOperation,
    }
    // Tracked before the record moves, as for any sponsorship: tracking it twice changes nothing.
    await deps.sponsorships.track({
      requestDigest: record.id,
      userOpHash: userOperation.userOpHash,
      validUntil,
    })
    await deps.sponsorships.transition(next, ['awaiting_approval'])
  }
}
