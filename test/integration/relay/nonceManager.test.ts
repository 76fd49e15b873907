import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { type Address, createPublicClient, type Hash, http, type PublicClient } from 'viem'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import { classifyRpcError } from '../../../src/errors/classifyRpcError.js'
import { sendGapFill } from '../../../src/relay/gapFill.js'
import {
  type ChainNonces,
  createNonceManager,
  gapFillTxId,
  NonceLedgerNotReconciledError,
  nonceKeyBase,
} from '../../../src/relay/nonceManager.js'
import type { Signer } from '../../../src/relay/signer.js'
import { openRedis } from '../../support/redisClient.js'
import { relayerSigner } from './relayerSigner.js'

const prefix = `${inject('redisKeyPrefix')}relay-nonce-${randomBytes(3).toString('hex')}:`
const fees = { maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }

let anvil: AnvilInstance
let redis: Redis
let client: PublicClient
let chainId: number

beforeAll(async () => {
  ;[anvil, { redis }] = await Promise.all([startAnvil(), openRedis()])
  client = createPublicClient({ transport: http(anvil.url) })
  chainId = await client.getChainId()
})
afterAll(async () => {
  redis?.disconnect()
  await anvil?.stop()
})

async function chainNonces(address: Address): Promise<ChainNonces> {
  const [pending, latest] = await Promise.all([
    client.getTransactionCount({ address, blockTag: 'pending' }),
    client.getTransactionCount({ address, blockTag: 'latest' }),
  ])
  return { pending, latest }
}

/** Sends the relayer's own 0-value transfer at a nonce, standing in for a relayed transaction. */
function sendAt(signer: Signer, nonce: number): Promise<Hash> {
  return sendGapFill({ signer, node: client }, { chainId, nonce, fees })
}

describe('nonce allocation', () => {
  test('200 concurrent allocations are unique and contiguous from the chain nonce; a retry gets its own back', async () => {
    const signer = relayerSigner(5)
    const managers = Array.from({ length: 4 }, () =>
      createNonceManager({ redis, prefix, chainId, address: signer.address }),
    )
    const start = (await chainNonces(signer.address)).pending
    expect(await managers[0]?.reconcile(await chainNonces(signer.address))).toMatchObject({
      action: 'initialized',
      next: start,
      newGaps: [],
    })
    const nonces = await Promise.all(
      Array.from({ length: 200 }, (_, index) => managers[index % 4]?.allocate(`job-${index}`)),
    )
    expect([...nonces].sort((a, b) => (a ?? 0) - (b ?? 0))).toStrictEqual(
      Array.from({ length: 200 }, (_, index) => start + index),
    )
    expect(await managers[1]?.allocate('job-17')).toBe(nonces[17])
  })

  test('allocating before the first reconcile is refused', async () => {
    const manager = createNonceManager({
      redis,
      prefix: `${prefix}fresh:`,
      chainId,
      address: relayerSigner(5).address,
    })
    await expect(manager.allocate('job')).rejects.toThrow(/never reconciled/)
    await expect(manager.allocate('job')).rejects.toBeInstanceOf(NonceLedgerNotReconciledError)
  })
})

describe('burned nonces', () => {
  test('a nonce burned before broadcast is filled by a self-transfer and the chain moves past it', async () => {
    const signer = relayerSigner(6)
    const manager = createNonceManager({ redis, prefix, chainId, address: signer.address })
    await manager.reconcile(await chainNonces(signer.address))
    const [a, b, c] = [await manager.allocate('a'), await manager.allocate('b'), await manager.allocate('c')]
    expect(await manager.burn('b')).toBe(b)
    // a must be mined before `latest` is read; c then waits in the node's queue behind the hole at b.
    const first = await client.waitForTransactionReceipt({ hash: await sendAt(signer, a) })
    const held = await sendAt(signer, c)
    expect(await chainNonces(signer.address)).toStrictEqual({ pending: b, latest: b })
    expect(await manager.gaps()).toStrictEqual([b])

    expect(await manager.claimGap(b)).toBe(true)
    expect(await manager.claimGap(b)).toBe(false)
    await client.waitForTransactionReceipt({ hash: await sendAt(signer, b) })
    await manager.confirm(gapFillTxId(b))
    await manager.confirm('a')

    // c is mined once b is, in b's block or a later one: wait for it rather than assume either.
    const last = await client.waitForTransactionReceipt({ hash: held })
    expect(await chainNonces(signer.address)).toStrictEqual({ pending: c + 1, latest: c + 1 })
    expect(await minedNonces(signer.address, first.blockNumber, last.blockNumber)).toStrictEqual([a, b, c])
    expect(await manager.gaps()).toStrictEqual([])
    expect(await manager.reconcile(await chainNonces(signer.address))).toMatchObject({
      action: 'in-sync',
      next: c + 1,
    })
    expect((await manager.inspect()).entries).toStrictEqual([])
  })

  test('a filler that loses its nonce to another transaction reports nonce-too-low, and reconcile drops the gap', async () => {
    const signer = relayerSigner(6)
    const manager = createNonceManager({ redis, prefix, chainId, address: signer.address })
    await manager.reconcile(await chainNonces(signer.address))
    const nonce = await manager.allocate('lost-race')
    await manager.burn('lost-race')
    await client.waitForTransactionReceipt({ hash: await sendAt(signer, nonce) })
    const failure = await sendAt(signer, nonce).catch((error: unknown) => error)
    expect(classifyRpcError(failure).kind).toBe('nonce-too-low')
    expect(await manager.reconcile(await chainNonces(signer.address))).toMatchObject({
      action: 'in-sync',
      pruned: 1,
    })
    expect(await manager.gaps()).toStrictEqual([])
  })
})

describe('drift', () => {
  test('a counter far ahead of the chain, written directly, heals in one reconcile', async () => {
    const signer = relayerSigner(7)
    const manager = createNonceManager({ redis, prefix, chainId, address: signer.address, maxDrift: 16 })
    const { pending } = await chainNonces(signer.address)
    await manager.reconcile({ pending, latest: pending })
    await redis.set(`${nonceKeyBase(prefix, chainId, signer.address)}:next`, pending + 5_000)

    const report = await manager.reconcile(await chainNonces(signer.address))
    expect(report).toStrictEqual({
      action: 'reset-down',
      previousNext: pending + 5_000,
      next: pending,
      newGaps: [],
      orphaned: [],
      pruned: 0,
    })
    const nonce = await manager.allocate('after-drift')
    expect(nonce).toBe(pending)
    const receipt = await client.waitForTransactionReceipt({ hash: await sendAt(signer, nonce) })
    expect(receipt.status).toBe('success')
  })

  test('drift within the bound becomes gaps that fillers close, while in-flight nonces are kept', async () => {
    const signer = relayerSigner(8)
    const manager = createNonceManager({ redis, prefix, chainId, address: signer.address, maxDrift: 16 })
    const { pending } = await chainNonces(signer.address)
    await manager.reconcile({ pending, latest: pending })
    const inFlight = await manager.allocate('in-flight')
    await redis.set(`${nonceKeyBase(prefix, chainId, signer.address)}:next`, inFlight + 4)

    const report = await manager.reconcile(await chainNonces(signer.address))
    expect(report).toMatchObject({ action: 'kept-ahead', next: inFlight + 4 })
    expect(report.newGaps).toStrictEqual([inFlight + 1, inFlight + 2, inFlight + 3])
    await sendAt(signer, inFlight)
    const hashes: Hash[] = []
    for (const gap of await manager.gaps()) {
      expect(await manager.claimGap(gap)).toBe(true)
      hashes.push(await sendAt(signer, gap))
    }
    await Promise.all(hashes.map((hash) => client.waitForTransactionReceipt({ hash })))
    expect(await chainNonces(signer.address)).toStrictEqual({ pending: inFlight + 4, latest: inFlight + 4 })
    expect(await manager.allocate('next')).toBe(inFlight + 4)
  })

  test('a counter behind the chain moves up', async () => {
    const signer = relayerSigner(8)
    const manager = createNonceManager({
      redis,
      prefix: `${prefix}behind:`,
      chainId,
      address: signer.address,
    })
    const nonces = await chainNonces(signer.address)
    await manager.reconcile({ pending: 0, latest: 0 })
    expect(await manager.reconcile(nonces)).toMatchObject({
      action: 'moved-up',
      previousNext: 0,
      next: nonces.pending,
    })
  })
})

/**
 * Nonces of the key's transactions mined in blocks `fromBlock` to `toBlock`, in block order. The
 * range comes from receipts, not from `getBlockNumber()`: viem caches that for the client's
 * cacheTime (4 s), and a receipt wait that polled for blocks leaves an older head in the cache.
 */
async function minedNonces(address: Address, fromBlock: bigint, toBlock: bigint): Promise<number[]> {
  const nonces: number[] = []
  for (let number = fromBlock; number <= toBlock; number++) {
    const block = await client.getBlock({ blockNumber: number, includeTransactions: true })
    for (const transaction of block.transactions) {
      if (transaction.from.toLowerCase() === address.toLowerCase()) nonces.push(transaction.nonce)
    }
  }
  return nonces
}
