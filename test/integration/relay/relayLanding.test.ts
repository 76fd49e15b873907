import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  parseEther,
  parseEventLogs,
} from 'viem'
import { foundry } from 'viem/chains'
import { afterEach, beforeAll, expect, test } from 'vitest'
import { demoTokenAbi } from '../../../src/chain/artifacts/DemoToken.js'
import { intentForwarderAbi } from '../../../src/chain/artifacts/IntentForwarder.js'
import { nonceKeyBase } from '../../../src/relay/nonceManager.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
import {
  forwarderNonce,
  fundedRelayerKeys,
  limitUsage,
  nonceCounts,
  outcomeOf,
  relayEnv,
  submitApprove,
  waitForStatus,
} from '../../support/relayHarness.js'
import {
  anvilUrl,
  demoInstance,
  fixtureAddresses,
  freshUser,
  mintDemoToken,
  tokenCall,
} from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
const client = createPublicClient({ chain: foundry, transport: http(anvilUrl) })
const relayLimits = [
  { scope: 'sender', metric: 'count', window: '1d', max: '20' },
  { id: 'instance-daily-requests', scope: 'instance', metric: 'count', window: '1d', max: '1000' },
  { id: 'instance-gas', scope: 'instance', metric: 'gasWei', window: '1d', max: '100000000000000000000' },
]

afterEach(() => harness.stopAll())

let relayers: { keys: `0x${string}`[]; addresses: Address[] }
beforeAll(async () => {
  relayers = await fundedRelayerKeys(anvilUrl, 3)
})

test('200 meta-transactions from 20 users land through 3 relayer keys, each exactly once, with no nonce gap', {
  timeout: 300_000,
}, async () => {
  const gateway = await harness.start(relayEnv(relayers.keys))
  const instance = await demoInstance(harness, gateway, { intent: { limits: relayLimits } })
  const users = Array.from({ length: 20 }, () => freshUser())
  const landed: { id: string; txHash: string; from: Address; logIndex: number }[] = []

  // A user's forwarder nonce moves only when its previous request executes, so each user sends
  // its ten in turn, and the twenty users run side by side.
  await Promise.all(
    users.map(async (user, userIndex) => {
      for (let round = 0; round < 10; round++) {
        const id = await submitApprove({
          gatewayUrl: gateway.url,
          token: instance.token,
          rpcUrl: anvilUrl,
          user,
          spender: users[(userIndex + 1) % users.length]?.address ?? user.address,
          amount: BigInt(round + 1),
        })
        const view = await waitForStatus(gateway.url, instance.token, id, [
          'confirmed',
          'reverted',
          'failed',
          'cancelled',
        ])
        expect(view.status).toBe('confirmed')
        landed.push({
          id,
          txHash: String(view.txHash),
          from: user.address,
          logIndex: view.outcomeAttestation?.logIndex ?? -1,
        })
      }
    }),
  )

  expect(landed).toHaveLength(200)
  expect(new Set(landed.map((entry) => entry.id)).size).toBe(200)
  expect(new Set(landed.map((entry) => entry.txHash)).size).toBe(200)
  // Exactly once on chain: every user's forwarder nonce moved by ten, and each transaction
  // executed one forward request.
  for (const user of users) expect(await forwarderNonce(anvilUrl, user.address)).toBe(10n)
  // The gateway's own read (a hand-encoded nonces(address) eth_call) agrees with viem's readContract.
  const served = gateway.services.pipeline.chains.get(31337)
  for (const user of users) expect(await served?.forwarderNonce(user.address)).toBe(10n)
  await expect(served?.forwarderNonce('0x123')).rejects.toThrow(/not an address/)
  const receipts = await Promise.all(
    landed.map((entry) => client.getTransactionReceipt({ hash: entry.txHash as `0x${string}` })),
  )
  const executed = receipts.flatMap((receipt) =>
    parseEventLogs({ abi: intentForwarderAbi, logs: receipt.logs, eventName: 'ExecutedForwardRequest' }),
  )
  expect(executed).toHaveLength(200)
  expect(executed.every((event) => event.args.success)).toBe(true)

  // The work spread over the three keys, and each key's nonces run without a hole.
  const { redis } = await openRedis()
  try {
    let relayed = 0
    for (const address of relayers.addresses) {
      const mine = receipts.filter((receipt) => receipt.from.toLowerCase() === address.toLowerCase())
      expect(mine.length).toBeGreaterThan(0)
      relayed += mine.length
      const counts = await nonceCounts(anvilUrl, address)
      expect(counts.pending).toBe(counts.latest)
      // Every nonce the key used went to one of these transactions: no gap filler was needed.
      expect(counts.latest).toBe(mine.length)
      const ledger = await redis.zrange(`${nonceKeyBase(harness.keyPrefix, 31337, address)}:ledger`, 0, -1)
      expect(ledger).toStrictEqual([])
    }
    expect(relayed).toBe(200)
    // Each job took its request out of the relay inbox when done: none is left for the sweep (which
    // only looks at entries older than 10 s, so the last ones would still be there).
    expect(await redis.zcard(`${harness.keyPrefix}relay:inbox:31337`)).toBe(0)
  } finally {
    redis.disconnect()
  }
  // Every outcome is attested in the log, once.
  expect(new Set(landed.map((entry) => entry.logIndex)).size).toBe(200)
  expect(landed.every((entry) => entry.logIndex >= 0)).toBe(true)
})

test('a target that reverts on chain ends reverted, attested, with unused gas refunded', {
  timeout: 120_000,
}, async () => {
  // Admitted by an API process while no worker runs ...
  const api = await harness.start(relayEnv(relayers.keys), { role: 'api' })
  const addresses = await fixtureAddresses()
  const instance = await demoInstance(harness, api, { intent: { limits: relayLimits } })
  const user = freshUser()
  const recipient = freshUser().address
  await mintDemoToken(user.address, 10n)
  // ... while the user holds the tokens, so the simulation passes ...
  const body = await signForwardRequest({
    account: user,
    rpcUrl: anvilUrl,
    forwarder: addresses.forwarder,
    to: addresses.targets.demoToken,
    data: tokenCall('transfer', [recipient, 10n]),
  })
  const accepted = await callJson(api.url, 'POST', '/v1/meta-transactions', { bearer: instance.token, body })
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(202)
  const id = String(accepted.body.id)
  // ... then the user spends them directly, before the relay gets to it.
  await createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvilUrl) }).setBalance({
    address: user.address,
    value: parseEther('1'),
  })
  const wallet = createWalletClient({ account: user, chain: foundry, transport: http(anvilUrl) })
  const spent = await wallet.writeContract({
    address: addresses.targets.demoToken,
    abi: demoTokenAbi,
    functionName: 'transfer',
    args: [recipient, 10n],
  })
  await client.waitForTransactionReceipt({ hash: spent })

  const worker = await harness.start(relayEnv(relayers.keys))
  const view = await waitForStatus(worker.url, instance.token, id, [
    'confirmed',
    'reverted',
    'failed',
    'cancelled',
  ])
  expect(view.status).toBe('reverted')
  const outcome = outcomeOf(view)
  expect(outcome.predicateType).toBe('https://intentgate.dev/attestations/outcome/v1')
  expect(outcome.predicate.outcome).toMatchObject({ status: 'reverted', txHash: view.txHash?.toLowerCase() })
  expect(outcome.predicate.decisionEntry.logIndex).toBe(view.decisionAttestation.logIndex)
  const receipt = await client.getTransactionReceipt({ hash: view.txHash as `0x${string}` })
  expect(receipt.status).toBe('reverted')
  const cost = receipt.gasUsed * receipt.effectiveGasPrice
  expect(view.actualCostWei).toBe(cost.toString())
  // The gas limit now holds what the transaction cost, not the maximum reserved at admission.
  const usage = await limitUsage(harness.keyPrefix, view)
  expect(usage['instance-gas']).toBe(cost)
  expect(usage['instance-daily-requests']).toBe(1n)
})
