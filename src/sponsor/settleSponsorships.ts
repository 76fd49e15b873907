import type { Hex } from 'viem'
import { createPeriodicTask } from '../background/periodicTask.js'
import type { RequestRecord } from '../requests/requestStore.js'
import type { SponsoredRecord } from './checkSponsoredOperation.js'
import type { SponsorDeps } from './sponsorDeps.js'
import {
  findSponsoredUserOperations,
  findUserOperationEvents,
  type UserOperationSettlement,
} from './userOperationChain.js'

export type SettleDeps = Pick<
  SponsorDeps,
  | 'chain'
  | 'requests'
  | 'limits'
  | 'attestor'
  | 'sponsorships'
  | 'now'
  | 'logger'
  | 'gasSpent'
  | 'bundleInFlight'
>

export type SettleResult = { confirmed: number; reverted: number; expired: number }

/** How long one process holds the settling of an op before another may retry it. */
const SETTLE_CLAIM_SECONDS = 60
/** A tracked digest with no record this long after its window is left over from a failed sponsorship. */
const ORPHAN_GRACE_SECONDS = 60

/**
 * One pass over the sponsored ops not yet settled, whichever bundler included them:
 * - an op whose UserOperationEvent is on chain (under the userOpHash signed for, or the one the
 *   paymaster reported paying its decision under) gets its outcome attested (userOpHash, tx hash,
 *   success, actualGasCost), its gasWei reservation reconciled down to the actual cost, and its
 *   record moved to `confirmed` or `reverted`;
 * - an op with no event once both the clock and the latest block are past its validUntil can
 *   never be included (the EntryPoint checks the window against the block time), so its
 *   reservation and nonce claim are given back, `cancelled` is attested, and it is untracked. A
 *   self-bundled one waits until the relay no longer follows a transaction at its bundle's nonce;
 *   if that was a cancel, mined at the relayer's cost, the outcome names it (tx hash, block, gas
 *   used, cost, and why the bundle was cancelled).
 * Each op is settled by one process at a time, through a claim in Redis.
 */
export async function settleSponsorships(
  deps: SettleDeps,
  options: { owner: string; batchSize?: number },
): Promise<SettleResult> {
  const result: SettleResult = { confirmed: 0, reverted: 0, expired: 0 }
  const digests = await deps.sponsorships.pending(options.batchSize ?? 100)
  if (digests.length === 0) return result
  const now = deps.now()
  const tracked: SponsoredRecord[] = []
  for (const digest of digests) {
    const record = await deps.requests.get(digest)
    if (record?.status === 'sponsored') tracked.push(record)
    else if (record || (await isOrphan(deps, digest, now))) await deps.sponsorships.untrack(digest)
  }
  if (tracked.length === 0) return result

  const latest = await deps.chain.client.getBlock({ blockTag: 'latest' })
  const fromBlock = tracked.reduce(
    (lowest, record) =>
      BigInt(record.userOperation.fromBlock) < lowest ? BigInt(record.userOperation.fromBlock) : lowest,
    latest.number,
  )
  const range = { fromBlock, toBlock: latest.number }
  const paidAs = await findSponsoredUserOperations(deps.chain.client, {
    paymaster: deps.chain.addresses.paymaster,
    decisionDigests: tracked.map((record) => record.userOperation.decisionDigest as Hex),
    ...range,
  })
  const hashOf = (record: SponsoredRecord) =>
    (
      paidAs.get(record.userOperation.decisionDigest.toLowerCase()) ?? record.userOperation.userOpHash
    ).toLowerCase()
  const events = await findUserOperationEvents(deps.chain.client, {
    entryPoint: deps.chain.addresses.entryPoint,
    userOpHashes: [
      ...new Set(tracked.flatMap((record) => [record.userOperation.userOpHash, hashOf(record)])),
    ] as Hex[],
    ...range,
  })
  for (const record of tracked) {
    const settlement = events.get(hashOf(record)) ?? events.get(record.userOperation.userOpHash)
    const validUntil = record.userOperation.validUntil
    if (settlement) {
      if (await settle(deps, record, settlement, options.owner)) {
        result[settlement.success ? 'confirmed' : 'reverted']++
      }
    } else if (validUntil < now && BigInt(validUntil) < latest.timestamp) {
      // Its bundle or the cancel of it is still being followed: the next pass looks again.
      if (await deps.bundleInFlight?.(record.id)) continue
      if (await expire(deps, record, options.owner)) result.expired++
    }
  }
  return result
}

/**
 * Runs `work` under this process's settle claim of one op; a pass that fails part-way (a Redis
 * timeout, a node error) gives the claim back, so the next pass retries at once instead of
 * after SETTLE_CLAIM_SECONDS. Every step is safe to repeat: the outcome is attested once per log,
 * and the record moves on only from `sponsored`.
 */
async function underClaim(
  deps: SettleDeps,
  record: SponsoredRecord,
  owner: string,
  /** False when, read again under the claim, there was nothing left to do. */
  work: () => Promise<boolean>,
): Promise<boolean> {
  if (!(await deps.sponsorships.claimSettlement(record.id, owner, SETTLE_CLAIM_SECONDS))) return false
  try {
    return (await work()) !== false
  } catch (error) {
    await deps.sponsorships.releaseSettlement(record.id, owner).catch(() => undefined)
    throw error
  }
}

function settle(
  deps: SettleDeps,
  record: SponsoredRecord,
  settlement: UserOperationSettlement,
  owner: string,
): Promise<boolean> {
  return underClaim(deps, record, owner, async () => {
    const status = settlement.success ? 'confirmed' : 'reverted'
    const logged = await deps.attestor.attestOutcome({
      requestDigest: record.id,
      decisionEntry: decisionEntryOf(record),
      outcome: {
        status,
        chainId: record.chainId,
        txHash: settlement.txHash,
        userOpHash: settlement.userOpHash,
        blockNumber: settlement.blockNumber,
        gasUsed: settlement.actualGasUsed,
        actualCostWei: settlement.actualGasCost,
      },
    })
    await reconcileGas(deps, record, settlement.actualGasCost)
    deps.gasSpent?.inc(
      { chain: String(record.chainId), template: record.templateId },
      Number(settlement.actualGasCost),
    )
    const next: RequestRecord = {
      ...record,
      status,
      txHash: settlement.txHash,
      outcomeAttestation: { logIndex: logged.index, envelope: logged.envelope },
    }
    await deps.sponsorships.transition(next, ['sponsored'])
    await deps.sponsorships.untrack(record.id)
    deps.logger.info(
      { requestDigest: record.id, txHash: settlement.txHash, status },
      'user operation settled',
    )
    return true
  })
}

function expire(deps: SettleDeps, tracked: SponsoredRecord, owner: string): Promise<boolean> {
  return underClaim(deps, tracked, owner, async () => {
    // Read again, after the relay let go of its bundle: a mined cancel was noted before that.
    const current = await deps.requests.get(tracked.id)
    if (current?.status !== 'sponsored') return false
    const record = current
    const { validUntil, nonceKey, cancel } = record.userOperation
    const expired = `not included on chain by validUntil ${validUntil}`
    const paid = cancel && {
      txHash: cancel.txHash,
      blockNumber: cancel.blockNumber,
      gasUsed: cancel.gasUsed,
      actualCostWei: cancel.actualCostWei,
    }
    const logged = await deps.attestor.attestOutcome({
      requestDigest: record.id,
      decisionEntry: decisionEntryOf(record),
      outcome: {
        status: 'cancelled',
        chainId: record.chainId,
        userOpHash: record.userOperation.userOpHash,
        ...paid,
        reason: {
          code: 'SPONSORSHIP_EXPIRED',
          message: cancel
            ? `${expired}; ${cancel.reason.message} by ${cancel.txHash}, at the relayer's cost; its reservation was released`
            : `${expired}; its reservation was released`,
        },
      },
    })
    await Promise.all([deps.limits.release(record.id), deps.requests.releaseNonce(nonceKey, record.id)])
    if (cancel) {
      deps.gasSpent?.inc(
        { chain: String(record.chainId), template: record.templateId },
        Number(cancel.actualCostWei),
      )
    }
    const next: RequestRecord = {
      ...record,
      status: 'cancelled',
      ...paid,
      outcomeAttestation: { logIndex: logged.index, envelope: logged.envelope },
    }
    await deps.sponsorships.transition(next, ['sponsored'])
    await deps.sponsorships.untrack(record.id)
    deps.logger.info({ requestDigest: record.id, validUntil }, 'unused sponsorship released')
    return true
  })
}

/** Gives back the part of each gasWei reservation the op did not cost; counts stay counted. */
async function reconcileGas(deps: SettleDeps, record: SponsoredRecord, actualGasCost: bigint): Promise<void> {
  const reservation = await deps.limits.reservation(record.id)
  if (!reservation) return
  const refunds = reservation.limits
    .filter((entry) => record.userOperation.gasWeiLimits.includes(entry.id))
    .map((entry) => {
      const unused = BigInt(entry.amount) - actualGasCost
      return { id: entry.id, amount: (unused > 0n ? unused : 0n).toString() }
    })
  if (refunds.length > 0) await deps.limits.release(record.id, refunds)
}

function decisionEntryOf(record: SponsoredRecord) {
  return {
    logIndex: record.decisionAttestation.logIndex,
    envelopeDigest: record.userOperation.decisionDigest.slice(2).toLowerCase(),
  }
}

async function isOrphan(deps: SettleDeps, digest: string, now: number): Promise<boolean> {
  const validUntil = await deps.sponsorships.validUntilOf(digest)
  return validUntil === undefined || validUntil + ORPHAN_GRACE_SECONDS < now
}

/** Runs {@link settleSponsorships} every `intervalMs` until stopped; a failed pass is logged and retried. */
export function createSponsorshipSettler(deps: SettleDeps, options: { owner: string; intervalMs: number }) {
  return createPeriodicTask({
    pass: () => settleSponsorships(deps, { owner: options.owner }),
    intervalMs: options.intervalMs,
    logger: deps.logger,
    failure: 'settling sponsored user operations failed; retrying',
  })
}
