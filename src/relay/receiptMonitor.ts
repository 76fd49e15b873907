import type { Redis } from 'ioredis'
import type { Hex, TransactionReceipt } from 'viem'
import {
  type DueAction,
  type DueDeps,
  fillGaps,
  handleDueTransaction,
  receiptOrNull,
} from './dueTransactions.js'
import { gapFillTxId } from './nonceManager.js'
import type { RelayMetrics } from './relayMetrics.js'
import type { RelayTransactionRecord } from './relayTransactionStore.js'
import { type SettleDeps, settleRelayedRequest } from './settleRequest.js'

export type ReceiptMonitorDeps = DueDeps &
  SettleDeps & {
    redis: Redis
    prefix: string
    /** Blocks a transaction's block must have on top of it, itself included, before it is final. */
    confirmations: number
    /** Relayer balance below which /readyz warns; a drained key returns to the pool above it. */
    minBalanceWei: bigint
    metrics?: RelayMetrics
  }

/** What one tick did, for logs and tests. */
export type TickReport = {
  head: number
  scanned: number
  included: number
  settled: number
  orphaned: number
  due: Partial<Record<DueAction, number>>
  gapsFilled: number
}

export type ReceiptMonitor = {
  /** One pass: read new blocks, settle deep transactions, act on due ones, fill gaps. */
  tick(): Promise<TickReport>
  /** Reads every key's balance: the metric, and a drained key's return to the pool. */
  checkBalances(): Promise<{ address: string; balanceWei: bigint }[]>
}

/** A transaction the scan of a tick found mined: its record as marked, and the receipt read. */
type MinedInTick = { record: RelayTransactionRecord; receipt: TransactionReceipt }

function inclusionOf(receipt: TransactionReceipt): NonNullable<RelayTransactionRecord['included']> {
  return {
    hash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
    blockHash: receipt.blockHash,
  }
}

/**
 * Most blocks one tick reads, so a monitor that was down catches up without one huge pass. It must
 * stay well above the blocks a chain makes in one tick: on a chain that mines a block per
 * transaction (Anvil, dev chains) a cap of 64 let the monitor fall behind for good while jobs kept
 * broadcasting (4 broadcasts per settled transaction in the bench), so settling lagged ever more.
 */
const maxBlocksPerTick = 512
/** Blocks read at once: a catching-up tick asks the node for at most this many blocks side by side. */
const blocksAtOnce = 64
/** How far back a monitor with no cursor yet (its first start on a chain) begins to read. */
const firstLookBack = 64
/** Most transactions one tick settles or looks at when due; the rest wait for the next tick. */
const batchSize = 200

/**
 * Follows every broadcast of one chain with work bounded by blocks, not by pending transactions:
 * each new block is read once and its transaction hashes are matched against the relay's hash
 * index in one Redis call, so 1,000 pending transactions cost what 1 does. Only transactions that
 * were mined (to settle them at depth) or are overdue (to replace them) are looked at one by one,
 * in bounded batches.
 *
 * Reorgs: a transaction is final only when its receipt, read again at depth, is still in the block
 * it was first seen in. One that is gone is due again at once and goes out with higher fees, so it
 * lands under a new hash; one seen in another block waits for depth there.
 *
 * Only one process runs the monitor of a chain at a time (see {@link runExclusive}).
 */
export function createReceiptMonitor(deps: ReceiptMonitorDeps): ReceiptMonitor {
  const cursorKey = `${deps.prefix}relay:scanned:${deps.chainId}`

  const settle = async (record: RelayTransactionRecord, receipt: TransactionReceipt) => {
    if (record.purpose === 'gap-fill') {
      await deps.pool.byAddress(record.signer)?.nonces.confirm(gapFillTxId(record.nonce))
    } else {
      const written = await settleRelayedRequest(deps, { record, receipt })
      if (written) {
        const chain = String(deps.chainId)
        deps.metrics?.relayOutcomes.inc({ chain, status: written.status })
        if ('actualCostWei' in written && written.actualCostWei)
          deps.metrics?.gasSpent.inc({ chain, template: written.templateId }, Number(written.actualCostWei))
      }
      await deps.pool.byAddress(record.signer)?.nonces.confirm(record.txId)
    }
    await deps.transactions.remove(record)
  }

  const markMined = async (record: RelayTransactionRecord, receipt: TransactionReceipt) => {
    await deps.transactions.markIncluded(record, inclusionOf(receipt))
  }

  /**
   * Finds our transactions in the blocks up to `head`; `seen` collects, by txId, the records marked
   * mined and the receipts read, for the settlement of the same tick.
   */
  async function scanBlocks(
    head: number,
    seen: Map<string, MinedInTick>,
  ): Promise<{ scanned: number; included: number }> {
    const stored = await deps.redis.get(cursorKey)
    let cursor = stored === null ? Math.max(0, head - firstLookBack) : Number(stored)
    // The chain went back (a reorg to a shorter chain, an Anvil revert): read the new blocks again.
    if (cursor > head) cursor = Math.max(0, head - deps.confirmations)
    const last = Math.min(head, cursor + maxBlocksPerTick)
    const numbers = Array.from({ length: last - cursor }, (_, offset) => cursor + 1 + offset)
    const hashes: Hex[] = []
    for (let start = 0; start < numbers.length; start += blocksAtOnce) {
      const blocks = await Promise.all(
        numbers
          .slice(start, start + blocksAtOnce)
          .map((number) => deps.node.getBlock({ blockNumber: BigInt(number) })),
      )
      for (const block of blocks) hashes.push(...(block.transactions as readonly Hex[]))
    }
    const matched = await deps.transactions.matchHashes(deps.chainId, hashes)
    // Each transaction has keys of its own, so the matched ones are handled side by side.
    const found = await Promise.all(
      matched.map(async (txId, index) => {
        const hash = hashes[index]
        if (!txId || !hash) return false
        const record = await deps.transactions.get(txId)
        const receipt = record ? await receiptOrNull(deps.node, hash) : null
        if (!record || !receipt) return false
        const included = inclusionOf(receipt)
        await deps.transactions.markIncluded(record, included)
        seen.set(txId, { record: { ...record, included }, receipt })
        return true
      }),
    )
    const included = found.filter(Boolean).length
    await deps.redis.set(cursorKey, String(last))
    return { scanned: last - cursor, included }
  }

  /**
   * Settles what lies `confirmations` deep under `head`. A record the scan of this tick marked
   * mined, and the receipt it read, at the same head, are as current as a second read would be,
   * so neither is asked for again.
   */
  async function settleDeep(
    head: number,
    seen: ReadonlyMap<string, MinedInTick>,
  ): Promise<{ settled: number; orphaned: number }> {
    const deepest = head - deps.confirmations + 1
    const ids = await deps.transactions.includedUpTo(deps.chainId, deepest, batchSize)
    // Side by side: each settles its own request, and the log batches their outcomes' fsyncs.
    const results = await Promise.all(
      ids.map(async (txId) => {
        const mined = seen.get(txId)
        const record = mined?.record ?? (await deps.transactions.get(txId))
        if (!record?.included) return 'skipped'
        const receipt =
          (mined?.receipt.transactionHash === record.included.hash ? mined.receipt : undefined) ??
          (await receiptOrNull(deps.node, record.included.hash))
        if (!receipt) {
          // Its block is no longer on the chain: the transaction goes out again.
          await deps.transactions.markOrphaned(record, deps.now())
          deps.logger.warn({ txId, hash: record.included.hash }, 'relayed transaction orphaned by a reorg')
          return 'orphaned'
        }
        if (receipt.blockHash !== record.included.blockHash) {
          await markMined(record, receipt)
          return 'moved'
        }
        await settle(record, receipt)
        return 'settled'
      }),
    )
    const settled = results.filter((result) => result === 'settled').length
    const orphaned = results.filter((result) => result === 'orphaned').length
    return { settled, orphaned }
  }

  return {
    async tick() {
      // viem caches the block number for its polling interval; the monitor wants the head now.
      const head = Number(await deps.node.getBlockNumber({ cacheTime: 0 }))
      const seen = new Map<string, MinedInTick>()
      const { scanned, included } = await scanBlocks(head, seen)
      const { settled, orphaned } = await settleDeep(head, seen)
      const due: TickReport['due'] = {}
      for (const txId of await deps.transactions.due(deps.chainId, deps.now(), batchSize)) {
        const record = await deps.transactions.get(txId)
        if (!record) continue
        const action = await handleDueTransaction(deps, record, markMined)
        due[action] = (due[action] ?? 0) + 1
      }
      const gapsFilled = await fillGaps(deps)
      deps.metrics?.inFlight.set(
        { chain: String(deps.chainId) },
        await deps.transactions.inFlight(deps.chainId),
      )
      return { head, scanned, included, settled, orphaned, due, gapsFilled }
    },

    async checkBalances() {
      return Promise.all(
        deps.pool.keys.map(async ({ signer }) => {
          const balanceWei = await deps.node.getBalance({ address: signer.address })
          deps.metrics?.relayerBalance.set(
            { chain: String(deps.chainId), address: signer.address.toLowerCase() },
            Number(balanceWei),
          )
          if (balanceWei >= deps.minBalanceWei && (await deps.pool.restore(signer.address))) {
            deps.logger.info({ address: signer.address }, 'relayer key funded again: back in the pool')
          }
          return { address: signer.address, balanceWei }
        }),
      )
    },
  }
}

/**
 * Runs `work` only while this process holds the chain's monitor lease in Redis, so two workers
 * never replace or settle the same transaction at once. The lease outlives a crashed holder by
 * at most `leaseMs`, after which another process takes over.
 */
export async function runExclusive<T>(
  redis: Redis,
  parameters: { key: string; owner: string; leaseMs: number },
  work: () => Promise<T>,
): Promise<T | undefined> {
  const { key, owner, leaseMs } = parameters
  const held = (await redis.eval(leaseScript, 1, key, owner, leaseMs)) === 1
  return held ? work() : undefined
}

// Takes the lease when free, extends it when already ours.
const leaseScript = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`
