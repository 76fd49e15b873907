import { createPublicClient, createTestClient, http } from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureStatePath } from '../../support/paths.js'
import {
  eventually,
  forwarderNonce,
  fundedRelayerKeys,
  limitUsage,
  outcomeOf,
  relayEnv,
  relayRecord,
  submitApprove,
  waitForStatus,
} from '../../support/relayHarness.js'
import { demoInstance, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'

// These tests stop mining and revert the chain, so they run on an Anvil of their own.
let anvil: AnvilInstance
const harness = createGatewayHarness()
const final = ['confirmed', 'reverted', 'failed', 'cancelled']

beforeAll(async () => {
  anvil = await startAnvil({ stateFile: fixtureStatePath })
})
// Gateways of one harness share queues, like processes behind a balancer: each test stops its
// own, so no earlier test's relayer key picks up a later test's job.
afterEach(() => harness.stopAll())
afterAll(() => anvil.stop())

const chain = () => ({
  public: createPublicClient({ chain: foundry, transport: http(anvil.url) }),
  test: createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) }),
})

async function submitOne(
  env: Record<string, string>,
  funded?: Awaited<ReturnType<typeof fundedRelayerKeys>>,
) {
  const relayers = funded ?? (await fundedRelayerKeys(anvil.url, 1))
  const gateway = await harness.start({
    CHAIN_RPC_URLS: `31337=${anvil.url}`,
    ...relayEnv(relayers.keys, env),
  })
  const addresses = await fixtureAddresses()
  const instance = await demoInstance(harness, gateway)
  const user = freshUser()
  const id = await submitApprove({ gatewayUrl: gateway.url, token: instance.token, rpcUrl: anvil.url, user })
  return { gateway, instance, user, relayer: relayers.addresses[0], id, addresses }
}

test('a transaction left unmined is replaced with higher fees and confirmed under the new hash', {
  timeout: 60_000,
}, async () => {
  const { test: testClient } = chain()
  await testClient.setAutomine(false)
  try {
    const { gateway, instance, id } = await submitOne({ RELAY_REPLACE_AFTER_MS: '400' })
    const replaced = await eventually('a replacement', async () => {
      const record = await relayRecord(harness.keyPrefix, id)
      return record && record.attempts.length >= 2 ? record : undefined
    })
    const [first, second] = replaced.attempts
    expect(second?.kind).toBe('request')
    expect(BigInt(second?.maxFeePerGas ?? 0)).toBeGreaterThanOrEqual(
      (BigInt(first?.maxFeePerGas ?? 0) * 1125n) / 1000n,
    )
    expect(BigInt(second?.maxPriorityFeePerGas ?? 0)).toBeGreaterThanOrEqual(
      (BigInt(first?.maxPriorityFeePerGas ?? 0) * 1125n) / 1000n,
    )
    // While it waits, the status names the latest attempt, not the first, replaced one. (A
    // replacement is noted just before it is saved, so the two reads are retried until they agree.)
    await eventually('the status naming the latest attempt', async () => {
      const response = await callJson(gateway.url, 'GET', `/v1/requests/${id}`, { bearer: instance.token })
      const latest = (await relayRecord(harness.keyPrefix, id))?.attempts.at(-1)?.hash
      const { status, txHash } = response.body as { status: string; txHash?: string }
      return status === 'submitted' && txHash === latest && txHash !== first?.hash ? true : undefined
    })
    await testClient.mine({ blocks: 1 })
    const view = await waitForStatus(gateway.url, instance.token, id, final)
    expect(view.status).toBe('confirmed')
    // The monitor writes the outcome first and then forgets the transaction: wait for the second step.
    await eventually('the relay transaction forgotten once settled', async () =>
      (await relayRecord(harness.keyPrefix, id)) ? undefined : true,
    )
    expect(view.txHash).not.toBe(first?.hash)
    expect(replaced.attempts.map((attempt) => attempt.hash)).toContain(view.txHash)
  } finally {
    await testClient.setAutomine(true)
  }
})

test('a transaction that cannot be replaced within its fee cap is cancelled with a 0-value self-transfer and refunded', {
  timeout: 60_000,
}, async () => {
  const { test: testClient, public: client } = chain()
  await testClient.setAutomine(false)
  try {
    // A headroom of 1 admits the request at the base fee plus the tip: no bump of 12.5% fits.
    const { gateway, instance, id, user, relayer } = await submitOne({
      RELAY_REPLACE_AFTER_MS: '300',
      RELAY_FEE_HEADROOM: '1',
    })
    const cancelling = await eventually('a cancel', async () => {
      const record = await relayRecord(harness.keyPrefix, id)
      return record?.attempts.at(-1)?.kind === 'cancel' ? record : undefined
    })
    expect(cancelling.attempts[0]?.kind).toBe('request')
    expect(BigInt(cancelling.attempts[0]?.maxFeePerGas ?? 0)).toBeLessThanOrEqual(
      BigInt(cancelling.capPerGas),
    )
    await testClient.mine({ blocks: 1 })
    const view = await waitForStatus(gateway.url, instance.token, id, final)
    expect(view.status).toBe('cancelled')
    expect(view.reason?.code).toBe('RELAY_CANCELLED')
    expect(outcomeOf(view).predicate.outcome.status).toBe('cancelled')
    const cancel = await client.getTransaction({ hash: view.txHash as `0x${string}` })
    expect(cancel.to?.toLowerCase()).toBe(relayer?.toLowerCase())
    expect(cancel.from.toLowerCase()).toBe(relayer?.toLowerCase())
    expect(cancel.value).toBe(0n)
    expect(cancel.input).toBe('0x')
    // The request never ran, and every limit it held is given back.
    expect(await forwarderNonce(anvil.url, user.address)).toBe(0n)
    const usage = await limitUsage(harness.keyPrefix, view)
    expect(Object.values(usage).every((used) => used === 0n)).toBe(true)
  } finally {
    await testClient.setAutomine(true)
  }
})

test('a transaction orphaned by a reorg is sent again and confirmed under its new hash', {
  timeout: 60_000,
}, async () => {
  const { test: testClient } = chain()
  // Funded before the snapshot, so the relayer still has its balance after the revert.
  const relayers = await fundedRelayerKeys(anvil.url, 1)
  const snapshot = await testClient.snapshot()
  const { gateway, instance, id } = await submitOne({ RELAY_CONFIRMATIONS: '3' }, relayers)
  const mined = await eventually('inclusion', async () => {
    const record = await relayRecord(harness.keyPrefix, id)
    return record?.included ? record.included : undefined
  })
  // The block holding it is taken off the chain; the chain then grows past it without it.
  await testClient.revert({ id: snapshot })
  const view = await eventually('confirmation after the reorg', async () => {
    await testClient.mine({ blocks: 1 })
    const response = await callJson(gateway.url, 'GET', `/v1/requests/${id}`, { bearer: instance.token })
    return response.body.status === 'confirmed' ? response.body : undefined
  })
  expect(view.txHash).not.toBe(mined.hash)
  const outcome = outcomeOf(view as never)
  expect(outcome.predicate.outcome.txHash).toBe(String(view.txHash).toLowerCase())
})
