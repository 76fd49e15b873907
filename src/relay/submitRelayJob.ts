import type { PublicClient } from 'viem'
import { intentForwarderAbi } from '../chain/artifacts/IntentForwarder.js'
import type { KillSwitch } from '../killSwitch/killSwitch.js'
import type { Logger } from '../observability/logger.js'
import type { RequestRecord, RequestStore, VersionedRequest } from '../requests/requestStore.js'
import type { InstanceStore } from '../templates/instances.js'
import type { TemplateRegistry } from '../templates/registry.js'
import { stopOf } from '../templates/revocation.js'
import {
  broadcastRaw,
  type RelayNode,
  readFeeEstimate,
  reconcileKey,
  saveAndBroadcast,
  signAttempt,
  transactionAt,
} from './broadcast.js'
import { firstReceipt, nextLookAt } from './dueTransactions.js'
import { feesAtCap, initialFees } from './feeStrategy.js'
import { encodeForwarderExecute, forwarderExecuteGasLimit } from './forwarderGas.js'
import type { InFlightGate } from './inFlightGate.js'
import { NonceLedgerNotReconciledError } from './nonceManager.js'
import type { RelayerKey, RelayerPool } from './relayerPool.js'
import { forwardRequestOf, type RelayJob } from './relayJob.js'
import type { RelayTransactionRecord, RelayTransactionStore } from './relayTransactionStore.js'
import { failRelayedRequest, isOpen, type SettleDeps } from './settleRequest.js'

export type SubmitRelayJobDeps = SettleDeps & {
  node: RelayNode & Pick<PublicClient, 'readContract'>
  pool: RelayerPool
  transactions: RelayTransactionStore
  requests: RequestStore
  killSwitch: Pick<KillSwitch, 'check'>
  /** To refuse, at the last moment, a request whose instance or template was revoked after approval. */
  instances: Pick<InstanceStore, 'get'>
  registry: Pick<TemplateRegistry, 'state'>
  /** Milliseconds since the epoch. */
  now: () => number
  replaceAfterMs: number
  logger: Logger
  /** Holds a new transaction while the chain has as many in flight as the relay allows. */
  inFlight?: Pick<InFlightGate, 'acquire'>
}

/** The job should run again later (with backoff): nothing about it is lost, and running it again is safe. */
export class RelayRetryError extends Error {
  override name = 'RelayRetryError'
}

export type SubmitRelayJobResult =
  | { kind: 'submitted'; txHash: string; relayer: string; nonce: number }
  /** The request was already submitted or final: a retried or duplicate job does nothing twice. */
  | { kind: 'already-done'; status: string }
  | { kind: 'failed'; code: string }

/**
 * Puts one approved meta-transaction on chain: picks a relayer key, allocates its nonce, signs
 * `ERC2771Forwarder.execute` with EIP-1559 fees under the admission cap, saves the attempt, and
 * broadcasts it. It does not wait for a receipt (the receipt monitor follows every broadcast), so
 * a worker slot is held for one broadcast, not for a block time.
 *
 * Safe to run any number of times for one request: a request that is no longer queued is left
 * alone, a saved attempt is broadcast again rather than signed anew, and the nonce allocation is
 * keyed by the request digest.
 */
export async function submitRelayJob(deps: SubmitRelayJobDeps, job: RelayJob): Promise<SubmitRelayJobResult> {
  const id = job.requestDigest
  const [read, saved] = await Promise.all([deps.requests.read(id), deps.transactions.get(id)])
  if (!read) throw new RelayRetryError(`request ${id} is not recorded yet`)
  const request = read.record
  if (!isOpen(request)) return { kind: 'already-done', status: request.status }
  const markSubmitted = markSubmittedFrom(read)
  if (saved) return rebroadcast(deps, saved, markSubmitted)

  // A place among the transactions in flight first: a backlog waits here, not in the node's pool.
  // The deadline, the kill switches and revocations are checked after the wait, however long it was.
  const release = await deps.inFlight?.acquire()
  try {
    return (await refusedNow(deps, job, request)) ?? (await sendForwardRequest(deps, job, markSubmitted))
  } finally {
    release?.()
  }
}

/**
 * Why the request may not be broadcast now, if anything: its deadline passed (failed), a kill
 * switch is engaged (held: the job runs again, and released in time the request still lands), or
 * its instance or template was revoked or ended after the approval (failed: a revocation is final).
 */
async function refusedNow(
  deps: SubmitRelayJobDeps,
  job: RelayJob,
  request: RequestRecord,
): Promise<SubmitRelayJobResult | undefined> {
  const id = job.requestDigest
  const nowSeconds = Math.floor(deps.now() / 1000)
  if (job.request.deadline < nowSeconds) {
    await failRelayedRequest(deps, {
      id,
      chainId: job.chainId,
      reason: { code: 'REQUEST_EXPIRED', message: `deadline ${job.request.deadline} passed before relay` },
    })
    return { kind: 'failed', code: 'REQUEST_EXPIRED' }
  }
  const stop = await stopOf(deps, { ...request, chainId: job.chainId }, 'after the approval')
  if (stop?.kind === 'kill-switch')
    throw new RelayRetryError(`kill switch (${stop.engaged.scope}) holds the relay`)
  if (stop?.kind === 'ended') {
    await failRelayedRequest(deps, { id, chainId: job.chainId, reason: stop.reason })
    return { kind: 'failed', code: stop.reason.code }
  }
  return undefined
}

/** Checks the request with the forwarder, then signs, saves and broadcasts its transaction. */
async function sendForwardRequest(
  deps: SubmitRelayJobDeps,
  job: RelayJob,
  markSubmitted: MarkSubmitted,
): Promise<SubmitRelayJobResult> {
  const id = job.requestDigest
  const forward = forwardRequestOf(job)
  // The forwarder's own check, just before paying for it: a request already executed (its record
  // lost, or sent to the forwarder by someone else) or no longer valid is never sent again.
  const valid = await deps.node.readContract({
    address: job.forwarder,
    abi: intentForwarderAbi,
    functionName: 'verify',
    args: [forward],
  })
  if (!valid) {
    await failRelayedRequest(deps, {
      id,
      chainId: job.chainId,
      reason: {
        code: 'FORWARD_REQUEST_INVALID',
        message: 'the forwarder no longer accepts the request: its nonce is used or its deadline passed',
      },
    })
    return { kind: 'failed', code: 'FORWARD_REQUEST_INVALID' }
  }

  const allocated = await allocateFromPool(deps, id)
  if (!allocated) throw new RelayRetryError(`no relayer key of chain ${job.chainId} has funds`)
  return sendNewTransaction(
    deps,
    {
      txId: id,
      chainId: job.chainId,
      ...allocated,
      call: {
        to: job.forwarder,
        data: encodeForwarderExecute(forward),
        value: forward.value.toString(),
        gas: forwarderExecuteGasLimit(forward).toString(),
      },
      capPerGas: job.capPerGas,
    },
    markSubmitted,
  )
}

/** Records on the request that its transaction is out (or found mined), once it is. */
export type MarkSubmitted = (
  deps: Pick<SubmitRelayJobDeps, 'requests'>,
  record: RelayTransactionRecord,
) => Promise<SubmitRelayJobResult>

/**
 * The first broadcast of a request's transaction at the key's nonce allocated for it: signs the
 * call with EIP-1559 fees under the cap (and the tip under `tipCapPerGas`, when given), saves the
 * attempt, broadcasts it, and marks the request with `mark`. A nonce that is never broadcast
 * becomes a gap.
 */
export async function sendNewTransaction(
  deps: Omit<SubmitRelayJobDeps, 'node'> & { node: RelayNode },
  parameters: {
    txId: string
    chainId: number
    key: RelayerKey
    /** The nonce of `key` allocated to `txId` (see {@link allocateNonce}). */
    nonce: number
    call: RelayTransactionRecord['call']
    capPerGas: string
    tipCapPerGas?: bigint
    /** Unix seconds after which the transaction must not land (a bundle's validUntil). */
    validUntil?: number
    /** Called with the signed transaction before it is saved and broadcast (write-ahead). */
    beforeBroadcast?: (record: RelayTransactionRecord) => Promise<void>
  },
  mark: MarkSubmitted,
): Promise<SubmitRelayJobResult> {
  const { txId, key, nonce, capPerGas, tipCapPerGas } = parameters
  const market = await readFeeEstimate(deps.node)
  const estimate =
    tipCapPerGas !== undefined && tipCapPerGas < market.priorityFeePerGas
      ? { ...market, priorityFeePerGas: tipCapPerGas }
      : market
  const planned = initialFees({ ...estimate, capPerGas: BigInt(capPerGas) })
  // Below the base fee the transaction waits in the pool; the monitor replaces it or cancels it.
  const fees =
    planned.kind === 'send' ? planned.fees : feesAtCap(planned.capPerGas, estimate.priorityFeePerGas)
  const record: RelayTransactionRecord = {
    txId,
    purpose: 'request',
    chainId: parameters.chainId,
    signer: key.signer.address,
    nonce,
    call: parameters.call,
    capPerGas,
    ...(tipCapPerGas === undefined ? {} : { tipCapPerGas: tipCapPerGas.toString() }),
    ...(parameters.validUntil === undefined ? {} : { validUntil: parameters.validUntil }),
    attempts: [],
    replacements: 0,
  }
  let attempt: Awaited<ReturnType<typeof signAttempt>>
  try {
    attempt = await signAttempt(key, transactionAt(record, fees), 'request', deps.now())
  } catch (error) {
    // Never broadcast, so the nonce would be a hole: it becomes a gap the monitor fills.
    await key.nonces.burn(txId)
    throw error
  }
  try {
    await parameters.beforeBroadcast?.({ ...record, attempts: [attempt] })
  } catch (error) {
    await key.nonces.burn(txId)
    throw error
  }
  const dueAt = nextLookAt(record, 'request', deps.now(), deps.replaceAfterMs)
  const sent = await saveAndBroadcast(deps, record, attempt, dueAt)
  return afterBroadcast(deps, sent.record, sent.result, mark)
}

/** The nonce of `key` for `id`, reconciling a ledger that never was first. */
export async function allocateNonce(deps: { node: RelayNode }, key: RelayerKey, id: string) {
  try {
    return await key.nonces.allocate(id)
  } catch (error) {
    if (!(error instanceof NonceLedgerNotReconciledError)) throw error
    await reconcileKey(deps.node, key)
    return key.nonces.allocate(id)
  }
}

/**
 * A key of the pool for `id` and its nonce, chosen and allocated in one Redis call (reconciling a
 * ledger that never was first); undefined when every key is drained.
 */
async function allocateFromPool(
  deps: { node: RelayNode; pool: RelayerPool },
  id: string,
): Promise<{ key: RelayerKey; nonce: number } | undefined> {
  const picked = await deps.pool.pickAndAllocate(id)
  if (!picked) return undefined
  const { key, nonce } = picked
  if (nonce !== undefined) return { key, nonce }
  await reconcileKey(deps.node, key)
  return { key, nonce: await key.nonces.allocate(id) }
}

/**
 * A saved attempt after a crash or a retry: the node may have mined it, hold it, or never have
 * seen it. A mined one is handed to the monitor; otherwise it is broadcast again as it is.
 */
export async function rebroadcast(
  deps: Omit<SubmitRelayJobDeps, 'node'> & { node: RelayNode },
  record: RelayTransactionRecord,
  mark: MarkSubmitted,
): Promise<SubmitRelayJobResult> {
  const attempt = record.attempts.at(-1)
  if (!attempt || record.included) return mark(deps, record)
  if (await handOverIfMined(deps, record)) return mark(deps, record)
  return afterBroadcast(deps, record, await broadcastRaw(deps.node, attempt.raw), mark)
}

/** Marks the record included when one of its attempts is mined; true when it was. */
async function handOverIfMined(
  deps: Pick<SubmitRelayJobDeps, 'transactions'> & { node: RelayNode },
  record: RelayTransactionRecord,
): Promise<boolean> {
  const receipt = await firstReceipt(
    deps.node,
    record.attempts.map((attempt) => attempt.hash),
  )
  if (!receipt) return false
  await deps.transactions.markIncluded(record, {
    hash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
    blockHash: receipt.blockHash,
  })
  return true
}

async function afterBroadcast(
  deps: Omit<SubmitRelayJobDeps, 'node'> & { node: RelayNode },
  record: RelayTransactionRecord,
  result: Awaited<ReturnType<typeof broadcastRaw>>,
  markSubmitted: MarkSubmitted,
): Promise<SubmitRelayJobResult> {
  const key = deps.pool.byAddress(record.signer)
  switch (result.kind) {
    case 'sent':
      return markSubmitted(deps, record)
    case 'retry':
      // The node was not reached or did not answer: the saved attempt goes out again on the next try.
      throw new RelayRetryError(`broadcast not confirmed by the node: ${result.error.detail}`)
    case 'no-funds':
      // The key leaves the pool; this request is relayed by another key.
      if (key) {
        await deps.pool.markDrained(record.signer, result.error.detail)
        await key.nonces.burn(record.txId)
      }
      await deps.transactions.remove(record)
      throw new RelayRetryError(`relayer ${record.signer} has no funds`)
    case 'nonce-taken':
      // The nonce is used: by this very transaction (mined before a crash), or by something else
      // (the key is shared, or Redis lost data), in which case realign and relay again.
      if (await handOverIfMined(deps, record)) return markSubmitted(deps, record)
      if (key) await reconcileKey(deps.node, key)
      await deps.transactions.remove(record)
      throw new RelayRetryError(`nonce ${record.nonce} of ${record.signer} is used on chain`)
    case 'nonce-ahead':
    case 'underpriced':
      // A gap below, or another transaction at the nonce in the pool: realign (gaps get filled) and
      // let the monitor try the saved attempt again when it is due.
      if (key) await reconcileKey(deps.node, key)
      deps.logger.warn(
        { txId: record.txId, nonce: record.nonce, error: result.error.kind },
        'broadcast deferred',
      )
      return markSubmitted(deps, record)
    case 'rejected':
      deps.logger.warn(
        { txId: record.txId, error: result.error.kind, detail: result.error.detail },
        'broadcast rejected',
      )
      return markSubmitted(deps, record)
  }
}

/** Marks the request read as `known` submitted: the write needs no second read unless it changed since. */
const markSubmittedFrom =
  (known: VersionedRequest): MarkSubmitted =>
  async (deps, record) => {
    const attempt = record.attempts.at(-1)
    const txHash = attempt?.hash ?? '0x'
    const written = await deps.requests.update(
      record.txId,
      (existing) => {
        if (existing.status !== 'queued' && existing.status !== 'submitted') return undefined
        return { ...existing, status: 'submitted', txHash, relayer: record.signer, nonce: record.nonce }
      },
      known,
    )
    if (!written) {
      const current = await deps.requests.get(record.txId)
      return { kind: 'already-done', status: current?.status ?? 'unknown' }
    }
    return { kind: 'submitted', txHash, relayer: record.signer, nonce: record.nonce }
  }
