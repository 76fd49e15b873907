import { type Address, type Hex, numberToHex } from 'viem'
import type { ServedChain } from '../chain/servedChain.js'
import { IntentGateError, UpstreamRpcError } from '../errors/index.js'
import { type UserOperationV07, userOperationJsonOf } from '../intents/userOperation.js'
import type { UserOperationJob } from '../relay/relayJob.js'
import type { RelayQueues } from '../relay/relayQueue.js'
import type { RequestStore } from '../requests/requestStore.js'
import type { SponsoredRecord } from '../sponsor/checkSponsoredOperation.js'
import type { SponsorshipStore } from '../sponsor/sponsorshipStore.js'
import { userOperationHashV07 } from '../sponsor/userOperationHash.js'
import { estimateUserOperationGas } from './estimateUserOperationGas.js'
import { requiredPreVerificationGas, simulateHandleOps } from './handleOps.js'
import type { UserOperationBundler } from './userOperationBundler.js'
import { userOperationByHash, userOperationReceipt } from './userOperationReceipts.js'

export type SelfBundlerDeps = {
  chain: Pick<ServedChain, 'chainId' | 'client' | 'addresses'>
  requests: Pick<RequestStore, 'get' | 'update'>
  sponsorships: Pick<SponsorshipStore, 'track'>
  queues: Pick<RelayQueues, 'enqueue'>
  /** A relayer key of the chain: the sender and beneficiary the bundle is simulated with. */
  beneficiary: Address
  /** Unix seconds. */
  now: () => number
}

/**
 * Self-bundling (no BUNDLER_URL): the gateway is the bundler. An op is checked against the real
 * EntryPoint, then bundled alone with `handleOps` by a key of the relayer pool, through the relay
 * queue (submitUserOperationJob.ts). Estimates, receipts and lookups are answered from the chain.
 *
 * Before an op is accepted, nothing the relayer would pay for is left to chance: its
 * preVerificationGas must cover what the EntryPoint does not measure, its fee cap must reach the
 * base fee, and `handleOps` with it must not revert (eth_estimateGas as the relayer would send it).
 * A refusal is USER_OPERATION_REJECTED with the ERC-7769 code, and nothing is queued.
 */
export function createSelfBundler(deps: SelfBundlerDeps): UserOperationBundler {
  const { chain } = deps
  const { client } = chain
  const entryPoint = chain.addresses.entryPoint
  const lookupOf = (userOpHash: Hex, record: { userOperation?: { fromBlock: string } }) => ({
    chainId: chain.chainId,
    entryPoint,
    userOpHash,
    fromBlock: BigInt(record.userOperation?.fromBlock ?? 0),
  })
  return {
    mode: 'self',

    async send(userOp, record) {
      const userOpHash = userOperationHashV07({ chainId: chain.chainId, entryPoint, userOperation: userOp })
      // Sent again: the job already queued answers for it (queueing it again is a no-op).
      if (record.bundleJob) return resend(deps, record, userOpHash)
      await assertPaysItsWay(deps, userOp)
      await simulateHandleOps(client, { entryPoint, userOp, beneficiary: deps.beneficiary })
      const job = userOperationJobOf(deps, { record, userOp, userOpHash })
      // Another encoding of the same signature has another hash: lookups by it find the request too.
      if (userOpHash.toLowerCase() !== record.userOperation.userOpHash) {
        await deps.sponsorships.track({
          requestDigest: record.id,
          userOpHash,
          validUntil: record.userOperation.validUntil,
        })
      }
      // Queued before it is noted on the record, so no crash in between leaves an accepted op
      // unqueued; the job needs nothing of the note, which only serves a later send or requeue.
      await deps.queues.enqueue(job)
      const noted = await deps.requests.update(record.id, (existing) =>
        existing.status === 'sponsored' && !existing.bundleJob
          ? {
              ...existing,
              bundleJob: job,
              userOperation: { ...existing.userOperation, submittedAt: new Date().toISOString() },
            }
          : undefined,
      )
      if (!noted) await assertSameBundle(deps, record.id, userOpHash)
      return userOpHash
    },

    async estimate(userOp, stateOverride) {
      if (stateOverride && Object.keys(stateOverride).length > 0) {
        throw new IntentGateError('INVALID_REQUEST', 'State overrides are not supported', {
          details: 'the gateway bundles itself and estimates against the chain as it is',
        })
      }
      const gas = await estimateUserOperationGas(client, { userOp, entryPoint })
      return {
        preVerificationGas: numberToHex(gas.preVerificationGas),
        verificationGasLimit: numberToHex(gas.verificationGasLimit),
        callGasLimit: numberToHex(gas.callGasLimit),
        paymasterVerificationGasLimit: numberToHex(gas.paymasterVerificationGasLimit),
        paymasterPostOpGasLimit: numberToHex(gas.paymasterPostOpGasLimit),
      }
    },

    receipt: (userOpHash, record) => userOperationReceipt(client, lookupOf(userOpHash, record)),
    byHash: (userOpHash, record) => userOperationByHash(client, lookupOf(userOpHash, record)),
  }
}

async function resend(deps: SelfBundlerDeps, record: SponsoredRecord, userOpHash: Hex): Promise<Hex> {
  const job = record.bundleJob as UserOperationJob
  if (job.userOpHash.toLowerCase() !== userOpHash.toLowerCase()) {
    throw new IntentGateError('REQUEST_REPLAYED', 'This user operation was already sent', {
      details: `as ${job.userOpHash}, with the sponsorship encoded otherwise`,
    })
  }
  await deps.queues.enqueue(job)
  return job.userOpHash
}

/**
 * Another call noted its job first (the same op sent twice at once), or the op settled meanwhile:
 * the queued job, whose id is the request digest, is that call's. Fine if it carries this very op.
 */
async function assertSameBundle(deps: SelfBundlerDeps, id: string, userOpHash: Hex): Promise<void> {
  const current = await deps.requests.get(id)
  if (current?.status !== 'sponsored') return
  const queued = current.bundleJob?.userOpHash.toLowerCase()
  if (queued !== undefined && queued !== userOpHash.toLowerCase()) {
    throw new IntentGateError('REQUEST_REPLAYED', 'This user operation was already sent', {
      details: `as ${current.bundleJob?.userOpHash}, with the sponsorship encoded otherwise`,
    })
  }
}

/**
 * Refuses an op that would make the relayer pay for it: a preVerificationGas short of the gas the
 * EntryPoint does not measure, or a fee cap under the base fee (the bundle would wait, then be
 * cancelled at the relayer's cost).
 */
async function assertPaysItsWay(deps: SelfBundlerDeps, userOp: UserOperationV07): Promise<void> {
  const required = requiredPreVerificationGas(userOp)
  if (userOp.preVerificationGas < required) {
    throw fieldTooLow(
      `preVerificationGas ${userOp.preVerificationGas} is below ${required}; estimate with eth_estimateUserOperationGas`,
    )
  }
  const block = await deps.chain.client.getBlock({ blockTag: 'latest' })
  const baseFee = block.baseFeePerGas ?? 0n
  if (userOp.maxFeePerGas < baseFee) {
    throw fieldTooLow(`maxFeePerGas ${userOp.maxFeePerGas} is below the base fee ${baseFee}`)
  }
}

function fieldTooLow(details: string): UpstreamRpcError {
  return new UpstreamRpcError(-32602, 'USER_OPERATION_REJECTED', 'The user operation cannot be bundled', {
    details,
  })
}

function userOperationJobOf(
  deps: SelfBundlerDeps,
  parameters: { record: SponsoredRecord; userOp: UserOperationV07; userOpHash: Hex },
): UserOperationJob {
  const { record, userOp, userOpHash } = parameters
  return {
    v: 1,
    kind: 'user-op',
    requestDigest: record.id as Hex,
    chainId: deps.chain.chainId,
    entryPoint: deps.chain.addresses.entryPoint,
    userOp: userOperationJsonOf(userOp),
    userOpHash,
    capPerGas: userOp.maxFeePerGas.toString(),
    tipCapPerGas: userOp.maxPriorityFeePerGas.toString(),
    validUntil: record.userOperation.validUntil,
    acceptedAt: deps.now(),
  }
}
