import { type Hex, keccak256, type PublicClient } from 'viem'
import { classifyRpcError, type RpcErrorClass } from '../errors/classifyRpcError.js'
import type { Eip1559Fees, FeeEstimate } from './feeStrategy.js'
import type { RelayerKey } from './relayerPool.js'
import type { RelayAttempt, RelayTransactionRecord, RelayTransactionStore } from './relayTransactionStore.js'
import type { RelayTransaction } from './signer.js'

/** The node calls the relay makes: viem's public client has all of them. */
export type RelayNode = Pick<
  PublicClient,
  | 'getBlockNumber'
  | 'getBlock'
  | 'getTransactionReceipt'
  | 'getTransactionCount'
  | 'sendRawTransaction'
  | 'getBalance'
  | 'estimateMaxPriorityFeePerGas'
>

const feeReadsInFlight = new WeakMap<RelayNode, Promise<FeeEstimate>>()

/**
 * The chain's fees now: the latest block's base fee and the node's suggested tip. Jobs that ask
 * while a read of the same node is under way share its answer, as fresh as one they would have
 * started themselves a moment later: a worker running many jobs at once reads the fees once for
 * all of them, not two node calls per job.
 */
export function readFeeEstimate(node: RelayNode): Promise<FeeEstimate> {
  const pending = feeReadsInFlight.get(node)
  if (pending) return pending
  const reading = readFeesOnce(node).finally(() => feeReadsInFlight.delete(node))
  feeReadsInFlight.set(node, reading)
  return reading
}

async function readFeesOnce(node: RelayNode): Promise<FeeEstimate> {
  const [block, priorityFeePerGas] = await Promise.all([
    node.getBlock({ blockTag: 'latest' }),
    node.estimateMaxPriorityFeePerGas(),
  ])
  return { baseFeePerGas: block.baseFeePerGas ?? 0n, priorityFeePerGas }
}

/**
 * What a broadcast came to. `sent`: the node holds the transaction (or already did). `retry`: the
 * node could not be reached or did not answer; the attempt is saved, so broadcasting it again is
 * safe. `nonce-taken`: the nonce is used on chain. `nonce-ahead`: a gap lies below the nonce.
 * `underpriced`: another transaction holds the nonce in the pool. `no-funds`: the key cannot pay.
 */
export type BroadcastResult =
  | { kind: 'sent' }
  | {
      kind: 'retry' | 'nonce-taken' | 'nonce-ahead' | 'underpriced' | 'no-funds' | 'rejected'
      error: RpcErrorClass
    }

/** Signs a transaction of a relayer key and builds the attempt that records it. */
export async function signAttempt(
  key: RelayerKey,
  transaction: RelayTransaction,
  kind: RelayAttempt['kind'],
  sentAt: number,
): Promise<RelayAttempt> {
  const raw = await key.signer.signTransaction(transaction)
  return {
    hash: keccak256(raw),
    raw,
    maxFeePerGas: transaction.maxFeePerGas.toString(),
    maxPriorityFeePerGas: transaction.maxPriorityFeePerGas.toString(),
    kind,
    sentAt,
  }
}

/** Broadcasts a signed transaction and classifies the node's answer in one place. */
export async function broadcastRaw(node: RelayNode, raw: Hex): Promise<BroadcastResult> {
  try {
    await node.sendRawTransaction({ serializedTransaction: raw })
    return { kind: 'sent' }
  } catch (caught) {
    const error = classifyRpcError(caught)
    switch (error.kind) {
      case 'already-known':
        return { kind: 'sent' }
      case 'timeout':
      case 'connection-refused':
        return { kind: 'retry', error }
      case 'nonce-too-low':
        return { kind: 'nonce-taken', error }
      case 'nonce-too-high':
        return { kind: 'nonce-ahead', error }
      case 'replacement-underpriced':
        return { kind: 'underpriced', error }
      case 'insufficient-funds':
        return { kind: 'no-funds', error }
      default:
        return { kind: 'rejected', error }
    }
  }
}

/**
 * Saves a new attempt of a transaction (write-ahead), then broadcasts it. The attempt is durable
 * before the node sees it, so whatever happens next, a later look finds it by its hash.
 */
export async function saveAndBroadcast(
  deps: { node: RelayNode; transactions: RelayTransactionStore },
  record: RelayTransactionRecord,
  attempt: RelayAttempt,
  dueAt: number,
): Promise<{ record: RelayTransactionRecord; result: BroadcastResult }> {
  const next: RelayTransactionRecord = { ...record, attempts: [...record.attempts, attempt] }
  await deps.transactions.saveAttempt(next, dueAt)
  return { record: next, result: await broadcastRaw(deps.node, attempt.raw) }
}

/** The EIP-1559 transaction of a record at the given fees. */
export function transactionAt(record: RelayTransactionRecord, fees: Eip1559Fees): RelayTransaction {
  return {
    type: 'eip1559',
    chainId: record.chainId,
    nonce: record.nonce,
    to: record.call.to,
    data: record.call.data,
    value: BigInt(record.call.value),
    gas: BigInt(record.call.gas),
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  }
}

/** The fees of a record's latest attempt. */
export function lastFees(record: RelayTransactionRecord): Eip1559Fees {
  const attempt = record.attempts.at(-1)
  if (!attempt) throw new RangeError(`relay transaction ${record.txId} has no attempt`)
  return {
    maxFeePerGas: BigInt(attempt.maxFeePerGas),
    maxPriorityFeePerGas: BigInt(attempt.maxPriorityFeePerGas),
  }
}

/** Reads the key's nonces from the node and aligns its ledger; returns what the reconcile did. */
export async function reconcileKey(node: RelayNode, key: RelayerKey) {
  const [pending, latest] = await Promise.all([
    node.getTransactionCount({ address: key.signer.address, blockTag: 'pending' }),
    node.getTransactionCount({ address: key.signer.address, blockTag: 'latest' }),
  ])
  return key.nonces.reconcile({ pending, latest: Math.min(latest, pending) })
}
