import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { createPublicClient, createTestClient, type Hex, http, type PublicClient, parseGwei } from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import { createLogger } from '../../../src/observability/logger.js'
import { createRedisKeys } from '../../../src/redis/keys.js'
import { signAttempt, transactionAt } from '../../../src/relay/broadcast.js'
import { handleDueTransaction } from '../../../src/relay/dueTransactions.js'
import { buildGapFillTransaction } from '../../../src/relay/gapFill.js'
import { createRelayerPool } from '../../../src/relay/relayerPool.js'
import type { QueuedJob, RelayJob } from '../../../src/relay/relayJob.js'
import {
  createRelayTransactionStore,
  type RelayTransactionRecord,
} from '../../../src/relay/relayTransactionStore.js'
import { createRequestStore, type RequestRecord } from '../../../src/requests/requestStore.js'
import { openRedis } from '../../support/redisClient.js'
import { relayerSigner } from './relayerSigner.js'

// Mining is switched off, so these run on an Anvil of their own.
let anvil: AnvilInstance
let redis: Redis
let client: PublicClient
const chainId = foundry.id
const fees = { maxFeePerGas: parseGwei('5'), maxPriorityFeePerGas: parseGwei('1') }

beforeAll(async () => {
  ;[anvil, { redis }] = await Promise.all([startAnvil({ chainId }), openRedis()])
  client = createPublicClient({ chain: foundry, transport: http(anvil.url) })
  await createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) }).setAutomine(false)
})
afterAll(async () => {
  redis?.disconnect()
  await anvil?.stop()
})

const mine = () =>
  createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) }).mine({ blocks: 1 })

/**
 * A submitted request whose relay transaction (a 0-value self-transfer of the relayer, standing in
 * for the forwarder call) is signed, saved and broadcast, and waits unmined in the node's pool.
 */
async function pendingRelay() {
  const prefix = `${inject('redisKeyPrefix')}relay-due-${randomBytes(3).toString('hex')}:`
  const signer = relayerSigner(7)
  const pool = createRelayerPool({ redis, prefix, chainId, signers: [signer] })
  const [key] = pool.keys
  if (!key) throw new Error('one key')
  const pending = await client.getTransactionCount({ address: signer.address, blockTag: 'pending' })
  await key.nonces.reconcile({ pending, latest: pending })
  const txId = `0x${randomBytes(32).toString('hex')}` as Hex
  const nonce = await key.nonces.allocate(txId)
  const transactions = createRelayTransactionStore({ redis, prefix })
  const requests = createRequestStore({ redis, keys: createRedisKeys(prefix), retentionSeconds: 60 })
  const relayJob: RelayJob = {
    v: 1,
    kind: 'meta-tx',
    requestDigest: txId,
    chainId,
    forwarder: signer.address,
    request: {
      from: signer.address,
      to: signer.address,
      value: '0',
      gas: '21000',
      deadline: 0,
      data: '0x',
      signature: '0x',
    },
    capPerGas: fees.maxFeePerGas.toString(),
    gasLimits: [],
    acceptedAt: 0,
  }
  const request = {
    id: txId,
    kind: 'meta-tx',
    chainId,
    instanceId: 'instance',
    templateId: 'template',
    sender: signer.address,
    createdAt: new Date(0).toISOString(),
    decision: { allow: true, reasons: [] },
    decisionAttestation: { logIndex: 0, envelope: {} },
    answer: { kind: 'accepted', status: 202, body: {} },
    status: 'submitted',
    relayJob,
    txHash: '0x',
    relayer: signer.address,
    nonce,
  } as RequestRecord
  await requests.record(request, {})
  const unsent: RelayTransactionRecord = {
    txId,
    purpose: 'request',
    chainId,
    signer: signer.address,
    nonce,
    call: { to: signer.address, data: '0x', value: '0', gas: '21000' },
    capPerGas: fees.maxFeePerGas.toString(),
    attempts: [],
    replacements: 0,
  }
  const attempt = await signAttempt(key, transactionAt(unsent, fees), 'request', Date.now())
  const record = { ...unsent, attempts: [attempt] }
  await transactions.saveAttempt(record, Date.now())
  await client.sendRawTransaction({ serializedTransaction: attempt.raw })
  const enqueued: QueuedJob[] = []
  const mined: Hex[] = []
  const deps = {
    chainId,
    node: client,
    pool,
    transactions,
    requests,
    enqueue: async (job: QueuedJob) => void enqueued.push(job),
    replaceAfterMs: 30_000,
    maxReplacements: 5,
    now: Date.now,
    logger: createLogger({ level: 'silent' }),
  }
  const onMined = async (_record: RelayTransactionRecord, receipt: { transactionHash: Hex }) =>
    void mined.push(receipt.transactionHash)
  return { deps, record, key, txId, requests, enqueued, mined, onMined }
}

describe('a due transaction whose nonce the chain has used', () => {
  test('mined between the receipt read and the nonce read: found mined, not relayed again', async () => {
    const { deps, record, txId, requests, enqueued, mined, onMined } = await pendingRelay()
    // The block lands just before the nonce is read, after the receipt was looked for.
    const node = {
      ...client,
      getTransactionCount: async (args: Parameters<PublicClient['getTransactionCount']>[0]) => {
        await mine()
        return client.getTransactionCount(args)
      },
    } as PublicClient
    expect(await handleDueTransaction({ ...deps, node }, record, onMined)).toBe('found-mined')
    expect(mined).toStrictEqual([record.attempts[0]?.hash])
    expect(enqueued).toStrictEqual([])
    expect((await requests.get(txId))?.status).toBe('submitted')
  })

  test('used by another transaction: the request is relayed again under a new nonce', async () => {
    const { deps, record, key, txId, requests, enqueued, mined, onMined } = await pendingRelay()
    // Another transaction of the key takes the nonce (a higher-paying one replaces ours in the pool).
    const other = buildGapFillTransaction({
      chainId,
      address: record.signer,
      nonce: record.nonce,
      fees: { maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('2') },
    })
    await client.sendRawTransaction({ serializedTransaction: await key.signer.signTransaction(other) })
    await mine()
    expect(await handleDueTransaction(deps, record, onMined)).toBe('relayed-again')
    expect(mined).toStrictEqual([])
    expect(enqueued.map((job) => job.requestDigest)).toStrictEqual([txId])
    expect((await requests.get(txId))?.status).toBe('queued')
  })
})
