import type { RecordAdminAction } from '../admin/adminActions.js'
import type { Attestor } from '../attest/attestationLog.js'
import type { KillSwitch } from '../killSwitch/killSwitch.js'
import type { LimitStore } from '../limits/reserveLimits.js'
import type { Logger } from '../observability/logger.js'
import type { RelayQueues } from '../relay/relayQueue.js'
import type { RequestRecord, RequestStore } from '../requests/requestStore.js'
import type { InstanceStore } from '../templates/instances.js'
import type { TemplateRegistry } from '../templates/registry.js'
import type { ApprovalStore } from './approvalStore.js'

/** A request record waiting for its approvals. */
export type AwaitingRecord = Extract<RequestRecord, { status: 'awaiting_approval' }>

/**
 * Signs the paymaster data of an approved user operation (valid from `approvedAt` for the
 * sponsorship window), starts tracking it, and moves its record to `sponsored`. Built by the
 * sponsor module; absent when this gateway does not sponsor user operations.
 */
export type SponsorApprovedOperation = (record: AwaitingRecord, approvedAt: number) => Promise<void>

/** What listing, approving, rejecting and expiring held requests need. */
export type ApprovalDeps = {
  approvals: ApprovalStore
  requests: RequestStore
  limits: Pick<LimitStore, 'release'>
  attestor: Pick<Attestor, 'attestApproval'>
  /** Re-checked when an operator approves: a switch holds the approval, a revocation cancels the request. */
  killSwitch: Pick<KillSwitch, 'check'>
  instances: Pick<InstanceStore, 'get'>
  registry: Pick<TemplateRegistry, 'state'>
  /** Where an approved meta-transaction goes to be relayed. */
  relay: Pick<RelayQueues, 'hold' | 'enqueue'>
  sponsorApproved?: SponsorApprovedOperation
  /**
   * Puts an operator's approval or rejection in the admin actions trail beside their other
   * actions, pointing at its approval/v1 attestation rather than attesting it twice.
   */
  recordAdminAction: RecordAdminAction
  /** Unix seconds. */
  now: () => number
  logger: Logger
}
