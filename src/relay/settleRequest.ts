import type { TransactionReceipt } from 'viem'
import type { Attestor } from '../attest/attestationLog.js'
import { encodeLogEntry, logEntryDigest } from '../attest/logEntry.js'
import type { DsseEnvelope } from '../crypto/dsse.js'
import type { Reason } from '../errors/index.js'
import type { LimitStore } from '../limits/reserveLimits.js'
import type { AttestationRef, BundleCancel, RequestRecord, RequestStore } from '../requests/requestStore.js'
import { gasRefunds } from './relayJob.js'
import type { RelayTransactionRecord } from './relayTransactionStore.js'

export type SettleDeps = {
  attestor: Pick<Attestor, 'attestOutcome'>
  requests: RequestStore
  limits: Pick<LimitStore, 'release'>
}

export type FinalStatus = 'confirmed' | 'reverted' | 'cancelled'

/**
 * How a mined transaction ends its request: the request's own transaction succeeded (confirmed)
 * or reverted; or the cancel that replaced it was mined (cancelled). Pure.
 */
export function finalStatusOf(
  record: RelayTransactionRecord,
  receipt: Pick<TransactionReceipt, 'status' | 'transactionHash'>,
): FinalStatus {
  const attempt = record.attempts.find((candidate) => candidate.hash === receipt.transactionHash)
  if (attempt?.kind === 'cancel') return 'cancelled'
  return receipt.status === 'success' ? 'confirmed' : 'reverted'
}

/**
 * Ends a relayed request once its transaction is final: attests the outcome (pointing back to the
 * decision), refunds what the reservation held beyond the actual cost (everything, for a cancel,
 * which the relayer pays), and moves the record to its final status. Returns the record written,
 * or undefined when the request was already final (another worker got there first), or is a
 * self-bundled op, which its bundle's transaction does not end: a mined cancel is only noted on it.
 */
export async function settleRelayedRequest(
  deps: SettleDeps,
  parameters: { record: RelayTransactionRecord; receipt: TransactionReceipt },
): Promise<RequestRecord | undefined> {
  const { record, receipt } = parameters
  const read = await deps.requests.read(record.txId)
  const current = read?.record
  const status = finalStatusOf(record, receipt)
  // A self-bundled op stays sponsored until its window ends or its UserOperationEvent settles it
  // (settleSponsorships.ts); a mined cancel of its bundle is noted for that outcome to name.
  if (current?.status === 'sponsored' && status === 'cancelled') {
    const cancel = bundleCancelOf(record, receipt)
    await deps.requests.update(record.txId, (existing) => withBundleCancel(existing, cancel), read)
    return undefined
  }
  if (!current || !isOpen(current)) return undefined
  const job = current.relayJob
  const actualCostWei = receipt.gasUsed * receipt.effectiveGasPrice
  const reason: Reason | undefined =
    status === 'cancelled'
      ? { code: 'RELAY_CANCELLED', message: 'no replacement fitted the fee cap; the nonce was cancelled' }
      : status === 'reverted'
        ? { code: 'RELAY_REVERTED', message: 'the forwarded call reverted on chain' }
        : undefined
  const logged = await deps.attestor.attestOutcome({
    requestDigest: record.txId,
    decisionEntry: decisionEntryOf(current.decisionAttestation),
    outcome: {
      status,
      chainId: record.chainId,
      txHash: receipt.transactionHash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      actualCostWei,
      ...(reason ? { reason } : {}),
    },
  })
  const outcome = {
    txHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber.toString(),
    gasUsed: receipt.gasUsed.toString(),
    actualCostWei: actualCostWei.toString(),
    outcomeAttestation: { logIndex: logged.index, envelope: logged.envelope },
  }
  const written = await deps.requests.update(
    record.txId,
    (existing) => {
      if (!isOpen(existing)) return undefined
      const base = withoutRelayFields(existing)
      if (status === 'cancelled') return { ...base, status, ...outcome, reason: reason as Reason }
      return { ...base, status, ...outcome }
    },
    read,
  )
  if (written) {
    // A cancelled request moved nothing: every limit is given back. Otherwise only unused gas.
    if (status === 'cancelled' || !job) await deps.limits.release(record.txId)
    else await deps.limits.release(record.txId, gasRefunds(job, actualCostWei))
  }
  return written
}

/** A mined cancel of a bundle: its receipt's cost, and why the bundle was not replaced. Pure. */
export function bundleCancelOf(
  record: Pick<RelayTransactionRecord, 'attempts' | 'validUntil'>,
  receipt: Pick<TransactionReceipt, 'transactionHash' | 'blockNumber' | 'gasUsed' | 'effectiveGasPrice'>,
): BundleCancel {
  const firstCancel = record.attempts.find((attempt) => attempt.kind === 'cancel')
  const windowEnded =
    record.validUntil !== undefined &&
    firstCancel !== undefined &&
    firstCancel.sentAt >= record.validUntil * 1000
  return {
    txHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber.toString(),
    gasUsed: receipt.gasUsed.toString(),
    actualCostWei: (receipt.gasUsed * receipt.effectiveGasPrice).toString(),
    reason: {
      code: 'RELAY_CANCELLED',
      message: windowEnded
        ? `the bundle was not mined by the op's validUntil ${record.validUntil}: its nonce was cancelled`
        : "no replacement of the bundle fitted the op's fee caps: its nonce was cancelled",
    },
  }
}

/** The sponsored op's record with its mined cancel noted; undefined if it moved on or has one. Pure. */
export function withBundleCancel(existing: RequestRecord, cancel: BundleCancel): RequestRecord | undefined {
  if (existing.status !== 'sponsored' || existing.userOperation.cancel) return undefined
  return { ...existing, userOperation: { ...existing.userOperation, cancel } }
}

/**
 * Ends a request that can no longer land (its deadline passed, its forwarder nonce was used by
 * another request, its instance was revoked): attests a `failed` outcome and gives back the whole
 * reservation. Returns the record written, or undefined when it was already final.
 */
export async function failRelayedRequest(
  deps: SettleDeps,
  parameters: { id: string; chainId: number; reason: Reason },
): Promise<RequestRecord | undefined> {
  const { id, chainId, reason } = parameters
  // Read now, not taken from the caller: the outcome is attested on what this read finds open.
  const read = await deps.requests.read(id)
  const current = read?.record
  if (!current || !isOpen(current)) return undefined
  const logged = await deps.attestor.attestOutcome({
    requestDigest: id,
    decisionEntry: decisionEntryOf(current.decisionAttestation),
    outcome: { status: 'failed', chainId, reason },
  })
  const outcomeAttestation: AttestationRef = { logIndex: logged.index, envelope: logged.envelope }
  const written = await deps.requests.update(
    id,
    (existing) => {
      if (!isOpen(existing)) return undefined
      const base = withoutRelayFields(existing)
      return { ...base, status: 'failed', reason, outcomeAttestation }
    },
    read,
  )
  if (written) await deps.limits.release(id)
  return written
}

/** Still on its way: neither decided against nor final. */
export function isOpen(
  record: RequestRecord,
): record is Extract<RequestRecord, { status: 'queued' | 'submitted' }> {
  return record.status === 'queued' || record.status === 'submitted'
}

/** The fields every record has, without those of a request still in flight. */
function withoutRelayFields(record: Extract<RequestRecord, { status: 'queued' | 'submitted' }>) {
  if (record.status === 'submitted') {
    const {
      relayJob: _job,
      txHash: _hash,
      relayer: _relayer,
      nonce: _nonce,
      status: _status,
      ...base
    } = record
    return base
  }
  const { relayJob: _job, status: _status, ...base } = record
  return base
}

/** How an outcome points back to its decision: the log index and the digest of the logged bytes. */
export function decisionEntryOf(attestation: AttestationRef): { logIndex: number; envelopeDigest: string } {
  return {
    logIndex: attestation.logIndex,
    envelopeDigest: logEntryDigest(encodeLogEntry(attestation.envelope as DsseEnvelope)),
  }
}
