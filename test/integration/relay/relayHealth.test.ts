import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import {
  createPublicClient,
  createTestClient,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  parseEther,
  parseGwei,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { afterEach, expect, test } from 'vitest'
import { createAttestor } from '../../../src/attest/attestationLog.js'
import { openTransparencyLog } from '../../../src/attest/transparencyLog.js'
import { Secret } from '../../../src/config/secret.js'
import { generateSigningKey } from '../../../src/crypto/ed25519.js'
import { createLimitStore } from '../../../src/limits/reserveLimits.js'
import { createLogger } from '../../../src/observability/logger.js'
import { createRedisKeys } from '../../../src/redis/keys.js'
import { createReceiptMonitor } from '../../../src/relay/receiptMonitor.js'
import { createRelayerPool, type RelayerPool } from '../../../src/relay/relayerPool.js'
import {
  createRelayTransactionStore,
  type RelayTransactionStore,
} from '../../../src/relay/relayTransactionStore.js'
import { createLocalKeySigner } from '../../../src/relay/signer.js'
import { createRequestStore } from '../../../src/requests/requestStore.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
import { fundedRelayerKeys, relayEnv, submitApprove, waitForStatus } from '../../support/relayHarness.js'
import { anvilUrl, demoInstance, freshUser } from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
afterEach(() => harness.stopAll())

test('a key that runs out of funds leaves the pool: the other key relays, and /readyz warns', {
  timeout: 120_000,
}, async () => {
  const funded = await fundedRelayerKeys(anvilUrl, 1)
  // Enough for nothing: one relay costs far more than 1 gwei of balance.
  const empty = await fundedRelayerKeys(anvilUrl, 1, parseGwei('1'))
  const keys = [...empty.keys, ...funded.keys]
  const gateway = await harness.start(relayEnv(keys))
  const instance = await demoInstance(harness, gateway)
  const ids: string[] = []
  for (let index = 0; index < 6; index++) {
    ids.push(
      await submitApprove({
        gatewayUrl: gateway.url,
        token: instance.token,
        rpcUrl: anvilUrl,
        user: freshUser(),
      }),
    )
  }
  const client = createPublicClient({ chain: foundry, transport: http(anvilUrl) })
  let spentWei = 0n
  for (const id of ids) {
    const view = await waitForStatus(gateway.url, instance.token, id, [
      'confirmed',
      'reverted',
      'failed',
      'cancelled',
    ])
    expect(view.status).toBe('confirmed')
    spentWei += BigInt(view.actualCostWei as string)
    const tx = await client.getTransaction({ hash: view.txHash as Hex })
    expect(tx.from.toLowerCase()).toBe(funded.addresses[0]?.toLowerCase())
  }
  // The empty key was tried once, then left the pool instead of failing job after job.
  const { redis } = await openRedis()
  try {
    const drained = await redis.hkeys(`${harness.keyPrefix}relay:drained:31337`)
    expect(drained).toStrictEqual([empty.addresses[0]?.toLowerCase()])
  } finally {
    redis.disconnect()
  }
  expect(await client.getTransactionCount({ address: empty.addresses[0] ?? '0x' })).toBe(0)
  const ready = await callJson(gateway.url, 'GET', '/readyz')
  const relayers = ready.body.relayers as {
    warnings: string[]
    chains: { keys: { address: string; drained?: boolean }[] }[]
  }
  expect(relayers.warnings.join('\n')).toContain(
    `relayer ${empty.addresses[0]} is below RELAY_MIN_BALANCE_WEI`,
  )
  expect(relayers.chains[0]?.keys.find((key) => key.address === empty.addresses[0])?.drained).toBe(true)
  const metrics = await (await fetch(`${gateway.url}/metrics`)).text()
  expect(metrics).toMatch(
    new RegExp(
      `intentgate_relayer_balance_wei\\{chain="31337",address="${funded.addresses[0]?.toLowerCase()}"\\} \\d`,
    ),
  )
  // What the relay paid for these six, per template, as the outcomes recorded it.
  expect(metrics).toContain('intentgate_relay_outcomes_total{chain="31337",status="confirmed"} 6')
  const spent = /^intentgate_gas_spent_wei_total\{chain="31337",template="community-poll"\} (\S+)$/m.exec(
    metrics,
  )
  expect(Number(spent?.[1])).toBe(Number(spentWei))
})

test('a monitor tick over 1,000 pending transactions costs node calls per block, not per transaction', {
  timeout: 120_000,
}, async () => {
  const { redis } = await openRedis()
  const prefix = `${harness.keyPrefix}bounded:`
  let calls = 0
  const node = createPublicClient({
    chain: foundry,
    transport: http(anvilUrl, { onFetchRequest: () => void calls++ }),
  })
  const { key, pool, transactions } = await oneKeyRelay(redis, prefix)
  const signer = privateKeyToAccount(key).address
  // A thousand broadcasts waiting to be mined, none due for a replacement yet.
  for (let index = 0; index < 1_000; index++) {
    const hash = `0x${index.toString(16).padStart(64, '0')}` as Hex
    await transactions.saveAttempt(
      {
        txId: `0xe${index.toString(16).padStart(63, '0')}`,
        purpose: 'request',
        chainId: 31337,
        signer,
        nonce: index,
        call: { to: signer, data: '0x', value: '0', gas: '21000' },
        capPerGas: '1',
        attempts: [
          { hash, raw: '0x', maxFeePerGas: '1', maxPriorityFeePerGas: '1', kind: 'request', sentAt: 0 },
        ],
        replacements: 0,
      },
      Date.now() + 3_600_000,
    )
  }
  const { monitor, log } = await openMonitor({ redis, prefix, node, pool, transactions, name: 'bounded' })
  try {
    await monitor.tick()
    const testClient = createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvilUrl) })
    await testClient.mine({ blocks: 5 })
    calls = 0
    const report = await monitor.tick()
    expect(report.scanned).toBeGreaterThanOrEqual(5)
    expect(await transactions.inFlight(31337)).toBe(1_000)
    // One call for the head, one per block read, and a few for the keys' gaps: nowhere near 1,000.
    expect(calls).toBeLessThanOrEqual(report.scanned + 5)
  } finally {
    await log.close()
    redis.disconnect()
  }
})

test('a monitor 200 blocks behind the head reads them all in one tick', { timeout: 120_000 }, async () => {
  // On a chain that mines a block per transaction, a monitor that reads fewer blocks per tick than
  // the chain makes falls behind for good, and every broadcast waits ever longer to be settled.
  const { redis } = await openRedis()
  const prefix = `${harness.keyPrefix}behind:`
  const node = createPublicClient({ chain: foundry, transport: http(anvilUrl) })
  const { pool, transactions } = await oneKeyRelay(redis, prefix)
  const { monitor, log } = await openMonitor({ redis, prefix, node, pool, transactions, name: 'behind' })
  try {
    const first = await monitor.tick()
    const testClient = createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvilUrl) })
    await testClient.mine({ blocks: 200 })
    const report = await monitor.tick()
    expect(report.head).toBeGreaterThanOrEqual(first.head + 200)
    expect(report.scanned).toBe(report.head - first.head)
  } finally {
    await log.close()
    redis.disconnect()
  }
})

test('a transaction mined and settled in the same tick has its receipt read once', {
  timeout: 120_000,
}, async () => {
  const { redis } = await openRedis()
  const prefix = `${harness.keyPrefix}receipt-once:`
  const receiptReads: string[] = []
  const node = createPublicClient({
    chain: foundry,
    transport: http(anvilUrl, {
      onFetchRequest: async (request) => {
        const body = (await request.clone().json()) as { method: string } | { method: string }[]
        for (const call of Array.isArray(body) ? body : [body])
          if (call.method === 'eth_getTransactionReceipt') receiptReads.push(call.method)
      },
    }),
  })
  const [key] = (await fundedRelayerKeys(anvilUrl, 1)).keys
  if (!key) throw new Error('one key')
  const signer = createLocalKeySigner(new Secret(key))
  const pool = createRelayerPool({ redis, prefix, chainId: 31337, signers: [signer] })
  const transactions = createRelayTransactionStore({ redis, prefix })
  const nonce = await node.getTransactionCount({ address: signer.address, blockTag: 'pending' })
  const fees = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1') }
  const call = { to: signer.address, data: '0x' as Hex, value: 0n, gas: 21_000n }
  const raw = await signer.signTransaction({ type: 'eip1559', chainId: 31337, nonce, ...call, ...fees })
  const { monitor, log } = await openMonitor({
    redis,
    prefix,
    node,
    pool,
    transactions,
    name: 'receipt-once',
  })
  try {
    // The monitor's cursor starts at the head, before the transaction is mined.
    await monitor.tick()
    await transactions.saveAttempt(
      {
        txId: `fill:${nonce}`,
        purpose: 'gap-fill',
        chainId: 31337,
        signer: signer.address,
        nonce,
        call: { to: call.to, data: call.data, value: '0', gas: '21000' },
        capPerGas: fees.maxFeePerGas.toString(),
        attempts: [
          {
            hash: keccak256(raw),
            raw,
            maxFeePerGas: fees.maxFeePerGas.toString(),
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
            kind: 'gap-fill',
            sentAt: Date.now(),
          },
        ],
        replacements: 0,
      },
      Date.now() + 3_600_000,
    )
    const hash = await node.sendRawTransaction({ serializedTransaction: raw })
    // Anvil answers before it mines: the tick must find the block already there.
    await node.waitForTransactionReceipt({ hash })
    receiptReads.length = 0
    const report = await monitor.tick()
    expect(report).toMatchObject({ included: 1, settled: 1 })
    expect(await transactions.get(`fill:${nonce}`)).toBeUndefined()
    expect(receiptReads).toHaveLength(1)
  } finally {
    await log.close()
    redis.disconnect()
  }
})

/** A receipt monitor of chain 31337 over its own log, with one confirmation and no replacement due. */
async function openMonitor(parameters: {
  redis: Redis
  prefix: string
  node: PublicClient
  pool: RelayerPool
  transactions: RelayTransactionStore
  name: string
}) {
  const { redis, prefix, node, pool, transactions, name } = parameters
  const logger = createLogger({ level: 'silent' })
  const log = await openTransparencyLog({
    dir: mkdtempSync(join(tmpdir(), `intentgate-${name}-`)),
    origin: `intentgate/gw-${name}`,
    signingKey: { name: `intentgate/gw-${name}`, key: generateSigningKey() },
    logger,
  })
  const monitor = createReceiptMonitor({
    chainId: 31337,
    node,
    pool,
    transactions,
    requests: createRequestStore({ redis, keys: createRedisKeys(prefix), retentionSeconds: 60 }),
    limits: createLimitStore({ redis, prefix }),
    attestor: createAttestor({ log, key: generateSigningKey(), gatewayId: `gw-${name}` }),
    enqueue: async () => undefined,
    replaceAfterMs: 3_600_000,
    maxReplacements: 5,
    confirmations: 1,
    minBalanceWei: parseEther('0.01'),
    redis,
    prefix,
    now: Date.now,
    logger,
  })
  return { monitor, log }
}

/** A funded relayer key of its own, its pool and a transaction store under `prefix`. */
async function oneKeyRelay(redis: Redis, prefix: string) {
  const [key] = (await fundedRelayerKeys(anvilUrl, 1)).keys
  if (!key) throw new Error('one key')
  const pool = createRelayerPool({
    redis,
    prefix,
    chainId: 31337,
    signers: [createLocalKeySigner(new Secret(key))],
  })
  return { key, pool, transactions: createRelayTransactionStore({ redis, prefix }) }
}
