import type { Attestor } from '../attest/attestationLog.js'
import type { DecisionStatement } from '../attest/statementSchemas.js'
import type { AuditReader } from '../audit/auditReader.js'
import type { LimitStore } from '../limits/reserveLimits.js'
import type { Logger } from '../observability/logger.js'
import type { RelayQueues } from '../relay/relayQueue.js'
import { decisionEntryOf } from '../relay/settleRequest.js'
import type { RequestStore } from '../requests/requestStore.js'

/** What became of one request found in flight. */
export type InflightAction =
  /** It was recorded meanwhile (or its reservation is gone): nothing to do. */
  | 'settled'
  /** Another gateway's: its log, not ours, says whether it was approved. */
  | 'foreign'
  /** Reserved but never approved in our log: its limits and sender nonce are given back. */
  | 'released'
  /** Approved in our log but never recorded: recorded and queued from the log, as if the 202 had gone out. */
  | 'recovered'
  /** Approved in our log, but nothing of it ever left the process (a sponsorship): attested as cancelled, and released. */
  | 'aborted'

export type ReconcileReport = { checked: number } & Record<InflightAction, string[]>

export type ReconcileDeps = {
  gatewayId: string
  limits: Pick<LimitStore, 'inflight' | 'reservation' | 'release' | 'settled'>
  requests: Pick<RequestStore, 'get' | 'record' | 'releaseNonce'>
  audit: Pick<AuditReader, 'lookup' | 'entry'>
  attestor: Pick<Attestor, 'attestOutcome'>
  relay: Pick<RelayQueues, 'hold' | 'enqueue'>
  logger: Logger
}

/**
 * Concludes reservations whose process died (or lost Redis) between reserving and recording:
 * the in-flight index holds every reserved request until it is recorded or released. For each
 * of this gateway's entries reserved before `beforeMs`, the log decides:
 * - no approval in the log: nothing was approved, so its limits and its sender nonce go back;
 * - an approval of a meta-transaction: the user signed it and the gateway attested it, so it is
 *   recorded (with the logged attestation) and queued for relay, exactly once (the job id is the
 *   digest);
 * - an approval of a sponsorship: the paymaster signature never left the process, so a
 *   `cancelled` outcome is attested against it and its reservation released.
 * Runs at start (everything of this gateway is then stale) and periodically with a grace period.
 */
export async function reconcileInflight(
  deps: ReconcileDeps,
  parameters: { beforeMs: number; limit?: number },
): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    checked: 0,
    settled: [],
    foreign: [],
    released: [],
    recovered: [],
    aborted: [],
  }
  const ids = await deps.limits.inflight(parameters.beforeMs, parameters.limit ?? 500)
  for (const id of ids) {
    report.checked++
    const action = await reconcileOne(deps, id)
    report[action].push(id)
  }
  const repaired = report.released.length + report.recovered.length + report.aborted.length
  if (repaired > 0)
    deps.logger.warn(
      { released: report.released, recovered: report.recovered, aborted: report.aborted },
      'reconciled requests left in flight by a crash or an outage',
    )
  return report
}

async function reconcileOne(deps: ReconcileDeps, id: string): Promise<InflightAction> {
  const reservation = await deps.limits.reservation(id)
  if (!reservation?.pending || (await deps.requests.get(id))) {
    await deps.limits.settled(id)
    return 'settled'
  }
  const { pending } = reservation
  if (pending.gatewayId !== deps.gatewayId) return 'foreign'

  const entries = await deps.audit.lookup({ requestDigest: id })
  const approval = entries.find((entry) => entry.kind === 'decision' && entry.decision === 'allow')
  const concluded = entries.some((entry) => entry.kind === 'outcome')
  const giveBack = async () => {
    await deps.requests.releaseNonce(pending.nonceKey, id)
    await deps.limits.release(id)
  }
  if (!approval || concluded) {
    await giveBack()
    return 'released'
  }
  const logged = await deps.audit.entry(approval.index)
  const attestation = { logIndex: approval.index, envelope: logged.envelope }
  if (!pending.relayJob) {
    await deps.attestor.attestOutcome({
      requestDigest: id,
      decisionEntry: decisionEntryOf(attestation),
      outcome: {
        status: 'cancelled',
        reason: {
          code: 'SPONSORSHIP_NOT_ISSUED',
          message:
            'the gateway stopped after the approval was logged and before the signature was handed out',
        },
      },
    })
    await giveBack()
    return 'aborted'
  }
  const { predicate } = logged.statement as DecisionStatement
  const job = pending.relayJob
  await deps.relay.hold(job)
  await deps.requests.record(
    {
      id,
      kind: predicate.intent.kind,
      chainId: predicate.intent.chainId,
      instanceId: predicate.instance.id,
      templateId: predicate.template.id,
      sender: predicate.intent.sender,
      createdAt: predicate.decidedAt,
      decision: { allow: true, reasons: [] },
      decisionAttestation: attestation,
      answer: { kind: 'accepted', status: 202, body: { id, status: 'queued', attestation } },
      status: 'queued',
      relayJob: job,
    },
    pending.signatureHash ? { signatureHash: pending.signatureHash } : {},
  )
  await deps.relay.enqueue(job)
  return 'recovered'
}
