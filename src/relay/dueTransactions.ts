import type { Hex, TransactionReceipt } from 'viem'
import type { Logger } from '../observability/logger.js'
import type { RequestRecord, RequestStore } from '../requests/requestStore.js'
import {
  lastFees,
  type RelayNode,
  readFeeEstimate,
  saveAndBroadcast,
  signAttempt,
  transactionAt,
} from './broadcast.js'
import { bumpFees, type Eip1559Fees, initialFees } from './feeStrategy.js'
import { buildGapFillTransaction } from './gapFill.js'
import { gapFillTxId } from './nonceManager.js'
import type { RelayerKey, RelayerPool } from './relayerPool.js'
import type { QueuedJob } from './relayJob.js'
import type { RelayAttempt, RelayTransactionRecord, RelayTransactionStore } from './relayTransactionStore.js'

export type DueDeps = {
  chainId: number
  node: RelayNode
  pool: RelayerPool
  transactions: RelayTransactionStore
  requests: RequestStore
  /** Puts a request's job on the queue again, when its relayer nonce went to another transaction. */
  enqueue(job: QueuedJob): Promise<void>
  replaceAfterMs: number
  maxReplacements: number
  now: () => number
  logger: Logger
}

/** What happened to one due transaction, for the tick's report and the tests. */
export type DueAction =
  | 'found-mined'
  | 'relayed-again'
  | 'replaced'
  | 'cancelling'
  | 'rebroadcast'
  | 'gap-consumed'

/**
 * Looks at a broadcast transaction that is not seen mined by its due time. In order: maybe it was
 * mined after all (any of its attempts); maybe its nonce went to another transaction, so the
 * request must be relayed again under a new nonce; otherwise it is stuck, and it is replaced with
 * fees at least 12.5% higher, up to the request's cap and at most `maxReplacements` times, after
 * which the nonce is cancelled with a 0-value self-transfer so it never blocks the key.
 */
export async function handleDueTransaction(
  deps: DueDeps,
  record: RelayTransactionRecord,
  onMined: (record: RelayTransactionRecord, receipt: TransactionReceipt) => Promise<void>,
): Promise<DueAction> {
  const minedAttempt = () =>
    firstReceipt(
      deps.node,
      record.attempts.map((attempt) => attempt.hash),
    )
  const receipt = await minedAttempt()
  if (receipt) {
    await onMined(record, receipt)
    return 'found-mined'
  }
  const latest = await deps.node.getTransactionCount({ address: record.signer, blockTag: 'latest' })
  const key = deps.pool.byAddress(record.signer)
  if (latest > record.nonce) {
    // Mined between the two reads, it is ours after all: only a nonce used with none of its
    // attempts mined, read after the count saw it used, went elsewhere. Relaying it again would
    // fail a request that landed (its forwarder nonce is used) and give its limits back.
    const late = await minedAttempt()
    if (late) {
      await onMined(record, late)
      return 'found-mined'
    }
    return nonceConsumedElsewhere(deps, record, key)
  }

  const previous = lastFees(record)
  const estimate = await readFeeEstimate(deps.node)
  const cancelling = record.purpose === 'gap-fill' || record.attempts.at(-1)?.kind === 'cancel'
  let kind: 'request' | 'cancel' | 'gap-fill' = record.purpose === 'gap-fill' ? 'gap-fill' : 'request'
  let fees: Eip1559Fees
  if (cancelling) {
    // The relayer's own transactions (fillers, cancels) are not capped: the nonce must clear.
    const bumped = bumpFees(previous, { capPerGas: unbounded, estimate })
    fees = bumped.kind === 'replace' ? bumped.fees : bumped.cancelFees
    kind = record.purpose === 'gap-fill' ? 'gap-fill' : 'cancel'
  } else {
    const bumped = bumpFees(previous, {
      capPerGas: replacementCap(record, deps.maxReplacements, deps.now()),
      ...(record.tipCapPerGas === undefined ? {} : { tipCapPerGas: BigInt(record.tipCapPerGas) }),
      estimate,
    })
    if (bumped.kind === 'replace') fees = bumped.fees
    else {
      fees = bumped.cancelFees
      kind = 'cancel'
    }
  }
  if (!key)
    throw new Error(`relayer ${record.signer} of ${record.txId} is not configured on chain ${deps.chainId}`)
  const transaction =
    kind === 'request'
      ? transactionAt(record, fees)
      : buildGapFillTransaction({
          chainId: record.chainId,
          address: record.signer,
          nonce: record.nonce,
          fees,
        })
  const attempt = await signAttempt(key, transaction, kind, deps.now())
  // Noted before the broadcast, as the first one is: once it is out, the request may settle.
  if (kind !== 'gap-fill')
    await deps.requests.update(record.txId, (existing) => withLatestAttempt(existing, record, attempt))
  const { result } = await saveAndBroadcast(
    deps,
    { ...record, replacements: record.replacements + 1 },
    attempt,
    nextLookAt(record, kind, deps.now(), deps.replaceAfterMs),
  )
  if (result.kind === 'no-funds') await deps.pool.markDrained(record.signer, result.error.detail)
  if (result.kind !== 'sent') {
    deps.logger.warn({ txId: record.txId, nonce: record.nonce, result: result.kind }, 'replacement not taken')
  }
  if (kind === 'cancel' && !cancelling) {
    deps.logger.warn(
      { txId: record.txId, nonce: record.nonce },
      'no replacement fits the fee cap: cancelling',
    )
    return 'cancelling'
  }
  return cancelling ? 'rebroadcast' : 'replaced'
}

/**
 * A request's record naming `attempt`, a replacement at `sent`'s key and nonce, as its latest
 * transaction, so the status shows what is out now and the one that lands is the one it names:
 * a submitted meta-transaction's `txHash` (a fee bump, or the cancel, which is what lands if
 * anything does), a self-bundled op's `userOperation.bundle.txHash` (a bundle only: its cancel is
 * noted once mined, see settleRequest.ts). Undefined (nothing to write) for any other record: one
 * that settled or went back to the queue, a meta-transaction submitted again at another key or
 * nonce, an op never bundled. Pure.
 */
export function withLatestAttempt(
  existing: RequestRecord,
  sent: Pick<RelayTransactionRecord, 'signer' | 'nonce'>,
  attempt: Pick<RelayAttempt, 'hash' | 'kind'>,
): RequestRecord | undefined {
  if (existing.status === 'submitted') {
    const same = existing.relayer.toLowerCase() === sent.signer.toLowerCase() && existing.nonce === sent.nonce
    return same ? { ...existing, txHash: attempt.hash } : undefined
  }
  if (existing.status !== 'sponsored' || !existing.userOperation.bundle || attempt.kind !== 'request')
    return undefined
  const bundle = { ...existing.userOperation.bundle, txHash: attempt.hash }
  return { ...existing, userOperation: { ...existing.userOperation, bundle } }
}

/**
 * The fee cap of a stuck request's replacement. Zero, which makes bumpFees answer with the cancel
 * at the minimum bump, once it is out of replacements or past its validUntil (`nowMs`).
 */
export function replacementCap(
  record: Pick<RelayTransactionRecord, 'replacements' | 'capPerGas' | 'validUntil'>,
  maxReplacements: number,
  nowMs: number,
): bigint {
  if (record.replacements >= maxReplacements) return 0n
  if (record.validUntil !== undefined && nowMs >= record.validUntil * 1000) return 0n
  return BigInt(record.capPerGas)
}

/**
 * When a broadcast is looked at next (`nowMs` plus `replaceAfterMs`), but a bundle no later than
 * its op's validUntil: from then on it can only land to revert at the relayer's cost, so it is
 * cancelled then, not up to `replaceAfterMs` later. Cancels and fillers wait the usual time.
 */
export function nextLookAt(
  record: Pick<RelayTransactionRecord, 'validUntil'>,
  kind: RelayAttempt['kind'],
  nowMs: number,
  replaceAfterMs: number,
): number {
  const usual = nowMs + replaceAfterMs
  if (kind !== 'request' || record.validUntil === undefined) return usual
  return Math.min(usual, record.validUntil * 1000)
}

/** Large enough that no real fee reaches it: the cap of the relayer's own fillers and cancels. */
const unbounded = 2n ** 128n

/**
 * The key's nonce is used on chain, and by none of this transaction's attempts. A gap filler has
 * done its job either way. A request's transaction never landed: it is relayed again from its job,
 * under a fresh nonce (the forwarder nonce still guards against it executing twice).
 */
async function nonceConsumedElsewhere(
  deps: DueDeps,
  record: RelayTransactionRecord,
  key: RelayerKey | undefined,
): Promise<DueAction> {
  if (record.purpose === 'gap-fill') {
    await key?.nonces.confirm(gapFillTxId(record.nonce))
    await deps.transactions.remove(record)
    return 'gap-consumed'
  }
  let job: QueuedJob | undefined
  const moved = await deps.requests.update(record.txId, (existing) => {
    // A self-bundled user operation stays sponsored; it only forgets the bundle that never landed.
    if (existing.status === 'sponsored' && existing.bundleJob) {
      job = existing.bundleJob
      const { bundle: _bundle, ...userOperation } = existing.userOperation
      return { ...existing, userOperation }
    }
    if (existing.status !== 'submitted' || !existing.relayJob) return undefined
    job = existing.relayJob
    const { txHash: _hash, relayer: _relayer, nonce: _nonce, ...rest } = existing
    return { ...rest, status: 'queued' }
  })
  await deps.transactions.remove(record)
  if (moved && job) {
    deps.logger.warn(
      { txId: record.txId, nonce: record.nonce },
      'relayer nonce used elsewhere: relaying again',
    )
    await deps.enqueue(job)
  }
  return 'relayed-again'
}

/**
 * Sends a 0-value self-transfer into every burned or lost nonce of every key, so no later
 * transaction of the key waits behind a hole. Each gap is claimed first, so two processes never
 * fill the same one.
 */
export async function fillGaps(deps: DueDeps, limitPerKey = 16): Promise<number> {
  let sent = 0
  for (const key of deps.pool.keys) {
    const gaps = (await key.nonces.gaps()).slice(0, limitPerKey)
    if (gaps.length === 0) continue
    const estimate = await readFeeEstimate(deps.node)
    const planned = initialFees({ ...estimate, capPerGas: unbounded })
    if (planned.kind !== 'send') continue
    for (const nonce of gaps) {
      if (!(await key.nonces.claimGap(nonce))) continue
      const record: RelayTransactionRecord = {
        txId: `gapfill:${key.signer.address.toLowerCase()}:${nonce}`,
        purpose: 'gap-fill',
        chainId: deps.chainId,
        signer: key.signer.address,
        nonce,
        call: { to: key.signer.address, data: '0x', value: '0', gas: '21000' },
        capPerGas: unbounded.toString(),
        attempts: [],
        replacements: 0,
      }
      try {
        const transaction = buildGapFillTransaction({
          chainId: deps.chainId,
          address: key.signer.address,
          nonce,
          fees: planned.fees,
        })
        const attempt = await signAttempt(key, transaction, 'gap-fill', deps.now())
        await saveAndBroadcast(deps, record, attempt, deps.now() + deps.replaceAfterMs)
        sent++
      } catch (error) {
        await key.nonces.releaseGap(nonce)
        throw error
      }
    }
  }
  return sent
}

/** The receipt of whichever attempt was mined, if any; a node that does not know a hash answers null. */
export async function firstReceipt(
  node: RelayNode,
  hashes: readonly Hex[],
): Promise<TransactionReceipt | undefined> {
  const receipts = await Promise.all(hashes.map((hash) => receiptOrNull(node, hash)))
  return receipts.find((receipt): receipt is TransactionReceipt => receipt !== null)
}

/** viem throws TransactionReceiptNotFoundError for an unknown hash; that is an answer, not a failure. */
export async function receiptOrNull(node: RelayNode, hash: Hex): Promise<TransactionReceipt | null> {
  try {
    return await node.getTransactionReceipt({ hash })
  } catch (error) {
    if (error instanceof Error && error.name === 'TransactionReceiptNotFoundError') return null
    throw error
  }
}
