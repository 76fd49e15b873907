import type { PublicClient } from 'viem'
import { encodeHandleOps, handleOpsGasLimit, simulateHandleOps } from '../bundler/handleOps.js'
import { IntentGateError } from '../errors/index.js'
import { userOperationSchema } from '../intents/userOperation.js'
import { stopOf } from '../templates/revocation.js'
import type { RelayNode } from './broadcast.js'
import type { UserOperationJob } from './relayJob.js'
import type { RelayTransactionRecord } from './relayTransactionStore.js'
import {
  allocateNonce,
  type MarkSubmitted,
  RelayRetryError,
  rebroadcast,
  type SubmitRelayJobDeps,
  type SubmitRelayJobResult,
  sendNewTransaction,
} from './submitRelayJob.js'

export type SubmitUserOperationJobDeps = Omit<SubmitRelayJobDeps, 'node'> & {
  node: RelayNode & Pick<PublicClient, 'estimateGas'>
}

/**
 * Self-bundling: puts one sponsored user operation on chain in a bundle of one,
 * `handleOps([op], relayer)`, through the relay's key pool, nonce ledger and receipt monitor, like
 * a meta-transaction. The relayer that sends the bundle is its beneficiary, so the EntryPoint pays
 * it back from the paymaster's deposit.
 *
 * Nothing is paid for an op the EntryPoint would refuse: the bundle is simulated
 * (eth_estimateGas, from the key that will send it) just before it is signed, and an op that
 * would revert ends its job without a transaction. The job never outlives the sponsorship: past
 * its validUntil the EntryPoint refuses the op, so the job ends. The op's record stays `sponsored`
 * throughout, whatever happens here: only its UserOperationEvent on chain settles it (see
 * settleSponsorships.ts), and an op never included is released when its window ends.
 *
 * Safe to run any number of times: a saved bundle transaction is broadcast again rather than
 * signed anew, the nonce allocation is keyed by the request digest, and an op already executed
 * fails the simulation (its account nonce is used), so it is never paid twice.
 */
export async function submitUserOperationJob(
  deps: SubmitUserOperationJobDeps,
  job: UserOperationJob,
): Promise<SubmitRelayJobResult> {
  const id = job.requestDigest
  const request = await deps.requests.get(id)
  if (!request) throw new RelayRetryError(`request ${id} is not recorded`)
  if (request.status !== 'sponsored') return { kind: 'already-done', status: request.status }
  // The relay already paid to cancel a bundle of this op, because none fitted its caps or its
  // window: sent again, it would fare no better, and its outcome would not name that cancel.
  if (request.userOperation.cancel) {
    deps.logger.warn(
      { id, cancel: request.userOperation.cancel.txHash },
      'not bundled again: its bundle was cancelled',
    )
    return { kind: 'failed', code: 'RELAY_CANCELLED' }
  }

  // Past the window a bundle would revert at the relayer's cost: not even a saved one is sent
  // again (the receipt monitor cancels it when it falls due).
  const windowEnded = () => job.validUntil <= Math.floor(deps.now() / 1000)
  if (windowEnded()) return sponsorshipExpired(deps, job)
  const saved = await deps.transactions.get(id)
  if (saved) return rebroadcast(deps, saved, markBundled)

  // A place among the transactions in flight first, as for a meta-transaction; the window, the
  // kill switches and revocations are checked after the wait, however long it was.
  const release = await deps.inFlight?.acquire()
  try {
    if (windowEnded()) return sponsorshipExpired(deps, job)
    const stop = await stopOf(deps, { ...request, chainId: job.chainId }, 'after the sponsorship')
    if (stop?.kind === 'kill-switch')
      throw new RelayRetryError(`kill switch (${stop.engaged.scope}) holds the bundle`)
    if (stop?.kind === 'ended') {
      deps.logger.warn({ id, reason: stop.reason.code }, 'not bundled: revoked after the sponsorship')
      return { kind: 'failed', code: stop.reason.code }
    }
    return await bundleAndSend(deps, job)
  } finally {
    release?.()
  }
}

function sponsorshipExpired(deps: SubmitUserOperationJobDeps, job: UserOperationJob): SubmitRelayJobResult {
  deps.logger.warn(
    { id: job.requestDigest, validUntil: job.validUntil },
    'sponsorship window ended before bundling',
  )
  return { kind: 'failed', code: 'SPONSORSHIP_EXPIRED' }
}

/** Simulates the bundle from the key that will send it, then signs, saves and broadcasts it. */
async function bundleAndSend(
  deps: SubmitUserOperationJobDeps,
  job: UserOperationJob,
): Promise<SubmitRelayJobResult> {
  const id = job.requestDigest
  const userOp = userOperationSchema.parse(job.userOp)
  const key = await deps.pool.pick(id)
  if (!key) throw new RelayRetryError(`no relayer key of chain ${job.chainId} has funds`)
  const beneficiary = key.signer.address
  try {
    await simulateHandleOps(deps.node, { entryPoint: job.entryPoint, userOp, beneficiary })
  } catch (error) {
    if (!(error instanceof IntentGateError) || error.code !== 'USER_OPERATION_REJECTED') throw error
    deps.logger.warn({ id, reason: error.details }, 'not bundled: the EntryPoint would reject the op')
    return { kind: 'failed', code: error.code }
  }
  const nonce = await allocateNonce(deps, key, id)
  return sendNewTransaction(
    deps,
    {
      txId: id,
      chainId: job.chainId,
      key,
      nonce,
      call: {
        to: job.entryPoint,
        data: encodeHandleOps(userOp, beneficiary),
        value: '0',
        gas: handleOpsGasLimit(userOp).toString(),
      },
      capPerGas: job.capPerGas,
      tipCapPerGas: BigInt(job.tipCapPerGas),
      validUntil: job.validUntil,
      // Noted before the broadcast: once the bundle is out, the settler may move the record on.
      beforeBroadcast: async (record) => {
        const written = await deps.requests.update(id, (existing) =>
          existing.status === 'sponsored'
            ? { ...existing, userOperation: { ...existing.userOperation, bundle: bundleOf(record) } }
            : undefined,
        )
        if (!written) throw new RelayRetryError(`request ${id} moved on before its bundle was sent`)
      },
    },
    markBundled,
  )
}

/** The op stays `sponsored`, its record noting the bundle transaction (before it was sent). */
const markBundled: MarkSubmitted = async (_deps, record) => ({ kind: 'submitted', ...bundleOf(record) })

function bundleOf(record: RelayTransactionRecord) {
  return { txHash: record.attempts.at(-1)?.hash ?? '0x', relayer: record.signer, nonce: record.nonce }
}
