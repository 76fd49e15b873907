import {
  type Address,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseGwei,
  parseTransaction,
  recoverTransactionAddress,
  type TransactionReceipt,
  type TransactionSerialized,
} from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { encodeLogEntry } from '../../../src/attest/logEntry.js'
import { fixtureAccounts } from '../../../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { entryPointAbi } from '../../../src/chain/artifacts/EntryPoint.js'
import type { DsseEnvelope } from '../../../src/crypto/dsse.js'
import type { RelayAttempt, RelayTransactionRecord } from '../../../src/relay/relayTransactionStore.js'
import { type FaultProxy, startFaultProxy } from '../../support/faultProxy.js'
import { callJson, createGatewayHarness, type GatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
import {
  eventually,
  fundedRelayerKeys,
  limitUsage,
  type RequestView,
  relayEnv,
  relayRecord,
} from '../../support/relayHarness.js'
import { type FixtureChain, startFixtureChain } from '../contracts/userOperationHarness.js'
import {
  outcomeOf,
  rpc,
  smartAccountClient,
  sponsoredInstance,
  type UserOpEnvironment,
  waitForSettlement,
} from './userOpEnvironment.js'

/**
 * Self-bundling (no BUNDLER_URL) with the bundle left unmined: automine is off on an Anvil of this
 * file's own, and the gateway reaches it through a proxy that sees every raw transaction it sends
 * (and, in one test, loses them). What the README promises of a stuck bundle: its replacements keep
 * within the op's maxFeePerGas and maxPriorityFeePerGas (the EntryPoint pays the relayer back no
 * more per gas), and past the op's validUntil no bundle goes out again, only a cancel (a 0-value
 * self-transfer at the same nonce, at the relayer's cost); the op is then released as `cancelled`
 * (SPONSORSHIP_EXPIRED), attested once with the mined cancel (tx hash, gas used, cost, why), with
 * every limit it reserved given back.
 */
let chain: FixtureChain
let proxy: FaultProxy
let harness: GatewayHarness | undefined

beforeAll(async () => {
  chain = await startFixtureChain()
  proxy = await startFaultProxy(chain.anvil.url)
}, 60_000)
afterEach(async () => {
  await harness?.stopAll()
  harness = undefined
  proxy.setPlan(() => 'pass')
  proxy.calls.length = 0
  await chain.testClient.setAutomine(true)
})
afterAll(async () => {
  await proxy?.stop()
  await chain?.anvil.stop()
})

const voteCall = (option: bigint) => ({
  to: chain.addresses.targets.communityPoll,
  data: encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] }),
})

/**
 * A self-bundling gateway of its own (Redis prefix, freshly funded relayer key) that reaches Anvil
 * through the proxy, with an instance that reserves gas and counts ops, and a fresh account.
 */
async function selfBundlingGateway(settings: { windowSeconds: number; replaceAfterMs: number }) {
  harness = createGatewayHarness()
  const funded = await fundedRelayerKeys(chain.anvil.url, 1)
  const relayer = funded.addresses[0] as Address
  const gateway = await harness.start({
    CHAIN_RPC_URLS: `${chain.addresses.chainId}=${proxy.url}`,
    PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
    USER_OP_SWEEP_INTERVAL_MS: '200',
    SPONSORSHIP_WINDOW_SECONDS: String(settings.windowSeconds),
    // Room for many replacements: what ends them in these tests is the op's caps or its window.
    ...relayEnv(funded.keys, {
      RELAY_REPLACE_AFTER_MS: String(settings.replaceAfterMs),
      RELAY_MAX_REPLACEMENTS: '20',
    }),
  })
  const environment: UserOpEnvironment = {
    chain,
    alto: undefined,
    relayers: [relayer],
    harness,
    gateway,
    startGateway: () => Promise.reject(new Error('one gateway per test here')),
    stop: () => Promise.resolve(),
  }
  const { token } = await sponsoredInstance(environment, [
    { id: 'instance-gas', scope: 'instance', metric: 'gasWei', window: '1d', max: '10000000000000000000' },
    { id: 'sender-ops', scope: 'sender', metric: 'count', window: '1d', max: '5' },
  ])
  const client = await smartAccountClient(environment, { token })
  return { harness, gateway, relayer, token, client, tip: await marketTip() }
}

type Deployment = Awaited<ReturnType<typeof selfBundlingGateway>>

/**
 * Stops mining, then sponsors and sends a vote with the given fee fields (they are signed by the
 * paymaster and the account, so the op carries exactly these caps). Returns its userOpHash,
 * request id and validUntil.
 */
async function sendVote(
  deployment: Deployment,
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
) {
  const { client, gateway } = deployment
  await chain.testClient.setAutomine(false)
  const prepared = await client.prepareUserOperation({ calls: [voteCall(1n)], ...fees })
  expect({
    maxFeePerGas: prepared.maxFeePerGas,
    maxPriorityFeePerGas: prepared.maxPriorityFeePerGas,
  }).toStrictEqual(fees)
  const signed = { ...prepared, signature: await client.account.signUserOperation(prepared) }
  const userOpHash = await client.sendUserOperation(signed)
  const id = await gateway.services.findRequestByUserOpHash(userOpHash)
  if (!id) throw new Error(`no request for ${userOpHash}`)
  const view = await requestView(deployment, id)
  const validUntil = (view.userOperation as { validUntil: number }).validUntil
  return { userOpHash, id, validUntil }
}

async function requestView(deployment: Deployment, id: string) {
  const response = await callJson(deployment.gateway.url, 'GET', `/v1/requests/${id}`, {
    bearer: deployment.token,
  })
  expect(response.status).toBe(200)
  return response.body as RequestView & Record<string, unknown>
}

/**
 * The tip Anvil suggests now, which the relayer's first broadcast offers (no block is mined
 * meanwhile, so it stays the same).
 */
async function marketTip(): Promise<bigint> {
  const tip = await chain.publicClient.estimateMaxPriorityFeePerGas()
  expect(tip).toBeGreaterThan(0n)
  return tip
}

/** The smallest replacement of a fee nodes accept: 12.5% more, rounded up. */
const minimumBump = (fee: bigint) => (fee * 1125n + 999n) / 1000n

/** Every raw transaction of `from` the gateway sent towards Anvil, in order, decoded. */
async function broadcastsOf(from: Address) {
  const sent = proxy.calls.filter((call) => call.method === 'eth_sendRawTransaction')
  const decoded = await Promise.all(
    sent.map(async (call) => {
      const raw = (call.params as [TransactionSerialized])[0]
      const transaction = parseTransaction(raw)
      return {
        hash: keccak256(raw),
        from: await recoverTransactionAddress({ serializedTransaction: raw }),
        at: call.at,
        forwarded: call.fault === 'pass',
        to: transaction.to?.toLowerCase(),
        nonce: transaction.nonce,
        value: transaction.value ?? 0n,
        data: transaction.data ?? '0x',
        maxFeePerGas: transaction.maxFeePerGas ?? 0n,
        maxPriorityFeePerGas: transaction.maxPriorityFeePerGas ?? 0n,
      }
    }),
  )
  return decoded.filter((broadcast) => broadcast.from.toLowerCase() === from.toLowerCase())
}

const isBundle = (to: string | undefined) => to === chain.addresses.entryPoint.toLowerCase()

/** The relay's record of the op's bundle once `ready` holds for it. */
function recordWhen(
  deployment: Deployment,
  id: string,
  what: string,
  ready: (record: RelayTransactionRecord) => boolean,
  timeoutMs = 30_000,
) {
  return eventually(
    what,
    async () => {
      const record = await relayRecord(deployment.harness.keyPrefix, id)
      return record && ready(record) ? record : undefined
    },
    timeoutMs,
  )
}

const cancels = (record: RelayTransactionRecord) =>
  record.attempts.filter((attempt) => attempt.kind === 'cancel')
const bundles = (record: RelayTransactionRecord) =>
  record.attempts.filter((attempt) => attempt.kind === 'request')

/** Each bundle attempt keeps within the op's caps. */
function expectWithinOpFees(
  attempts: readonly Pick<RelayAttempt, 'maxFeePerGas' | 'maxPriorityFeePerGas'>[],
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
) {
  for (const attempt of attempts) {
    expect(BigInt(attempt.maxPriorityFeePerGas)).toBeLessThanOrEqual(fees.maxPriorityFeePerGas)
    expect(BigInt(attempt.maxFeePerGas)).toBeLessThanOrEqual(fees.maxFeePerGas)
  }
}

/**
 * The relayer's pending transactions in Anvil's pool (txpool_content) once `ready` holds for
 * them: a broadcast is saved before it is sent, so the relay's record can be ahead of the pool.
 */
function poolWhen(
  relayer: Address,
  what: string,
  ready: (pool: { hash: Hex; nonce: number; to: string | undefined; value: bigint }[]) => boolean,
) {
  return eventually(what, async () => {
    const content = await chain.testClient.getTxpoolContent()
    const byAddress = Object.entries(content.pending).find(
      ([address]) => address.toLowerCase() === relayer.toLowerCase(),
    )?.[1]
    // Anvil answers quantities as hex strings, whatever viem's type says.
    const pool = Object.values(byAddress ?? {}).map((transaction) => ({
      hash: transaction.hash,
      nonce: Number(transaction.nonce),
      to: transaction.to?.toLowerCase(),
      value: BigInt(transaction.value),
    }))
    return ready(pool) ? pool : undefined
  })
}

/** The pool holds one transaction of the relayer, a 0-value self-transfer: a cancel. */
const onlyACancel = (relayer: Address) => (pool: { to: string | undefined; value: bigint }[]) =>
  pool.length === 1 && pool[0]?.to === relayer.toLowerCase() && pool[0].value === 0n

/** Mines one block; the relayer has exactly one transaction in it, returned with the block. */
async function mineOneOf(relayer: Address) {
  await chain.testClient.mine({ blocks: 1 })
  const block = await chain.publicClient.getBlock({ blockTag: 'latest', includeTransactions: true })
  const ours = block.transactions.filter(
    (transaction) => transaction.from.toLowerCase() === relayer.toLowerCase(),
  )
  expect(ours).toHaveLength(1)
  return { transaction: ours[0], block }
}

/**
 * Mines one block, in which the relayer's one transaction is the cancel at `nonce`; returns its
 * receipt and the block.
 */
async function mineTheCancel(relayer: Address, nonce: number) {
  const balanceBefore = await chain.publicClient.getBalance({ address: relayer })
  const { transaction: cancel, block } = await mineOneOf(relayer)
  expect({
    to: cancel?.to?.toLowerCase(),
    value: cancel?.value,
    input: cancel?.input,
    nonce: cancel?.nonce,
  }).toStrictEqual({ to: relayer.toLowerCase(), value: 0n, input: '0x', nonce })
  const receipt = await chain.publicClient.getTransactionReceipt({ hash: cancel?.hash as Hex })
  expect(receipt.status).toBe('success')
  const cost = receipt.gasUsed * receipt.effectiveGasPrice
  // The relayer paid for the cancel and for nothing else.
  expect(balanceBefore - (await chain.publicClient.getBalance({ address: relayer }))).toBe(cost)
  return { receipt, block }
}

async function userOperationEvents(userOpHash: Hex) {
  return chain.publicClient.getContractEvents({
    address: chain.addresses.entryPoint,
    abi: entryPointAbi,
    eventName: 'UserOperationEvent',
    args: { userOpHash },
    fromBlock: 0n,
  })
}

/**
 * Waits for the clock to pass `validUntil` by a second, so the next block Anvil mines (stamped
 * with the clock) is past the op's window.
 */
function clockPast(validUntil: number) {
  return eventually('the clock past validUntil', async () =>
    Date.now() >= (validUntil + 1) * 1000 ? true : undefined,
  )
}

/**
 * What an op that never landed ends as once its window is over: `cancelled`, its outcome attested
 * once, as SPONSORSHIP_EXPIRED for its userOpHash and pointing back to its decision, neither
 * receipt nor op on the bundler API, no UserOperationEvent, and every limit it reserved given back.
 * The outcome, and the record, name the mined cancel of its bundle: its tx hash, block, gas used
 * and what the relayer paid for it, and why the bundle was cancelled (`because`).
 */
async function expectReleased(
  deployment: Deployment,
  parameters: { userOpHash: Hex; id: string; cancel: TransactionReceipt; because: RegExp },
) {
  const { gateway, token, client, harness: ownHarness } = deployment
  const { userOpHash, id, cancel } = parameters
  const settled = (await waitForSettlement(gateway, token, userOpHash)) as RequestView &
    Record<string, unknown>
  const paid = {
    txHash: cancel.transactionHash,
    blockNumber: cancel.blockNumber.toString(),
    gasUsed: cancel.gasUsed.toString(),
    actualCostWei: (cancel.gasUsed * cancel.effectiveGasPrice).toString(),
  }
  expect(settled).toMatchObject({ id, kind: 'user-op', status: 'cancelled', ...paid })
  const outcome = outcomeOf(settled)
  expect(outcome.decisionEntry.logIndex).toBe(settled.decisionAttestation.logIndex)
  expect(outcome.outcome).toMatchObject({
    status: 'cancelled',
    chainId: chain.addresses.chainId,
    userOpHash,
    ...paid,
    reason: { code: 'SPONSORSHIP_EXPIRED' },
  })
  const reason = outcome.outcome.reason as { message: string }
  expect(reason.message).toMatch(parameters.because)
  expect(reason.message).toContain(cancel.transactionHash)
  // One outcome for the op in the log: the cancel is in it, not in one of its own.
  const logged = await gateway.services.audit.lookup({ requestDigest: id })
  expect(logged.filter((entry) => entry.kind === 'outcome')).toHaveLength(1)
  // The attestation answered is the one in this gateway's log.
  const attestation = settled.outcomeAttestation as { logIndex: number; envelope: DsseEnvelope }
  expect(Buffer.from(await gateway.services.log.entry(attestation.logIndex))).toStrictEqual(
    Buffer.from(encodeLogEntry(attestation.envelope)),
  )
  expect(await userOperationEvents(userOpHash)).toStrictEqual([])
  expect(await chain.publicClient.getCode({ address: client.account.address })).toBeUndefined()
  expect((await rpc(gateway, 'eth_getUserOperationReceipt', [userOpHash], { token })).result).toBeNull()
  expect((await rpc(gateway, 'eth_getUserOperationByHash', [userOpHash], { token })).result).toBeNull()
  const usage = await limitUsage(ownHarness.keyPrefix, settled)
  expect(usage).toStrictEqual({ 'instance-gas': 0n, 'sender-ops': 0n })
  return settled
}

describe('a self-bundled op whose bundle stays unmined', () => {
  test("replacements never raise the tip above the op's maxPriorityFeePerGas: when the next bump would, the bundle is cancelled", async () => {
    const deployment = await selfBundlingGateway({ windowSeconds: 8, replaceAfterMs: 500 })
    const { relayer, tip } = deployment
    // Room for exactly one bump of the tip; the fee cap leaves room for many.
    const fees = { maxFeePerGas: parseGwei('30'), maxPriorityFeePerGas: minimumBump(tip) }
    const { userOpHash, id, validUntil } = await sendVote(deployment, fees)

    const stuck = await recordWhen(
      deployment,
      id,
      'the bundle cancelled',
      (record) => cancels(record).length > 0,
    )
    const sent = bundles(stuck)
    expect(stuck.tipCapPerGas).toBe(fees.maxPriorityFeePerGas.toString())
    expect(stuck.capPerGas).toBe(fees.maxFeePerGas.toString())
    // The first bundle at the market's tip, one replacement at exactly the op's tip, then the cancel
    // (not the window: it was still open).
    expect(sent.map((attempt) => BigInt(attempt.maxPriorityFeePerGas))).toStrictEqual([
      tip,
      fees.maxPriorityFeePerGas,
    ])
    expect(stuck.attempts.slice(0, 2).map((attempt) => attempt.kind)).toStrictEqual(['request', 'request'])
    expect(stuck.attempts.slice(2).every((attempt) => attempt.kind === 'cancel')).toBe(true)
    expectWithinOpFees(sent, fees)
    expect(cancels(stuck)[0]?.sentAt).toBeLessThan(validUntil * 1000)

    // What reached the node: the same two bundles and nothing above the op's caps.
    const reached = await broadcastsOf(relayer)
    const bundlesReached = reached.filter((broadcast) => isBundle(broadcast.to))
    expect(new Set(bundlesReached.map((broadcast) => broadcast.hash))).toStrictEqual(
      new Set(sent.map((attempt) => attempt.hash)),
    )
    expectWithinOpFees(
      bundlesReached.map((broadcast) => ({
        maxFeePerGas: broadcast.maxFeePerGas.toString(),
        maxPriorityFeePerGas: broadcast.maxPriorityFeePerGas.toString(),
      })),
      fees,
    )
    // Anvil's pool holds only the cancel, at the bundle's nonce.
    const [pooledCancel] = await poolWhen(relayer, 'the cancel in the pool', onlyACancel(relayer))
    expect(pooledCancel?.nonce).toBe(stuck.nonce)

    const { receipt: cancel } = await mineTheCancel(relayer, stuck.nonce)
    await eventually('the cancel settled by the monitor', async () =>
      (await relayRecord(deployment.harness.keyPrefix, id)) ? undefined : true,
    )
    // The op stays sponsored, its reservation held, until its window ends; the cancel is noted.
    const waiting = await requestView(deployment, id)
    expect(waiting).toMatchObject({
      status: 'sponsored',
      userOperation: {
        bundle: { relayer, nonce: stuck.nonce },
        cancel: { txHash: cancel.transactionHash, gasUsed: cancel.gasUsed.toString() },
      },
    })
    expect((await limitUsage(deployment.harness.keyPrefix, waiting))['sender-ops']).toBe(1n)
    expect(await userOperationEvents(userOpHash)).toStrictEqual([])

    await clockPast(validUntil)
    await chain.testClient.mine({ blocks: 1 })
    await expectReleased(deployment, { userOpHash, id, cancel, because: /no replacement .* fee caps/ })
  })

  test("when the node suggests a tip above the op's, the first bundle offers the op's tip and, no bump fitting under it, is cancelled", async () => {
    const deployment = await selfBundlingGateway({ windowSeconds: 30, replaceAfterMs: 500 })
    const { relayer, tip } = deployment
    // Half the tip the node suggests: the relayer may offer no more, and no bump fits under it.
    const fees = { maxFeePerGas: parseGwei('30'), maxPriorityFeePerGas: tip / 2n }
    const { id } = await sendVote(deployment, fees)

    const stuck = await recordWhen(
      deployment,
      id,
      'the bundle cancelled',
      (record) => cancels(record).length > 0,
    )
    expect(stuck.attempts[0]?.kind).toBe('request')
    expect(bundles(stuck).map((attempt) => BigInt(attempt.maxPriorityFeePerGas))).toStrictEqual([
      fees.maxPriorityFeePerGas,
    ])
    expectWithinOpFees(bundles(stuck), fees)
    const reached = (await broadcastsOf(relayer)).filter((broadcast) => isBundle(broadcast.to))
    expect(reached.map((broadcast) => broadcast.maxPriorityFeePerGas)).toStrictEqual([
      fees.maxPriorityFeePerGas,
    ])
    await poolWhen(relayer, 'the cancel in the pool', onlyACancel(relayer))
    await mineTheCancel(relayer, stuck.nonce)
  })

  test('a replaced bundle that lands settles the op under the replacement, and the EntryPoint pays the relayer back', async () => {
    const deployment = await selfBundlingGateway({ windowSeconds: 60, replaceAfterMs: 500 })
    const { relayer, tip, token, gateway } = deployment
    const fees = { maxFeePerGas: parseGwei('30'), maxPriorityFeePerGas: tip * 8n }
    const balanceBefore = await chain.publicClient.getBalance({ address: relayer })
    const { userOpHash, id } = await sendVote(deployment, fees)

    const replaced = await recordWhen(
      deployment,
      id,
      'a replacement',
      (record) => bundles(record).length >= 2,
    )
    const [first] = replaced.attempts
    await poolWhen(
      relayer,
      'a replacement in the pool',
      (pool) => pool.length === 1 && pool[0]?.hash !== first?.hash,
    )
    const { transaction: landed } = await mineOneOf(relayer)
    expect(landed?.to?.toLowerCase()).toBe(chain.addresses.entryPoint.toLowerCase())
    expect(landed?.hash).not.toBe(first?.hash)
    expect(landed?.maxPriorityFeePerGas).toBeLessThanOrEqual(fees.maxPriorityFeePerGas)
    expect(landed?.maxFeePerGas).toBeLessThanOrEqual(fees.maxFeePerGas)

    const settled = (await waitForSettlement(gateway, token, userOpHash)) as RequestView &
      Record<string, unknown>
    // The record names the bundle that landed, wherever it is read.
    expect(settled).toMatchObject({
      status: 'confirmed',
      txHash: landed?.hash,
      userOperation: { bundle: { txHash: landed?.hash, relayer, nonce: replaced.nonce } },
    })
    expect(outcomeOf(settled).outcome).toMatchObject({
      status: 'confirmed',
      userOpHash,
      txHash: landed?.hash,
    })
    const events = await userOperationEvents(userOpHash)
    expect(events.map((event) => [event.transactionHash, event.args.success])).toStrictEqual([
      [landed?.hash, true],
    ])
    // Its replacements kept within the op's fees, so what the EntryPoint paid back covers the bundle.
    expect(await chain.publicClient.getBalance({ address: relayer })).toBeGreaterThanOrEqual(balanceBefore)
  })

  test("past the op's validUntil the stuck bundle is cancelled, not replaced; the op is released and its sender sponsored again", async () => {
    const deployment = await selfBundlingGateway({ windowSeconds: 6, replaceAfterMs: 1000 })
    const { relayer, client, tip } = deployment
    // Room for many bumps of both fees: only the window can end the replacements.
    const fees = { maxFeePerGas: parseGwei('30'), maxPriorityFeePerGas: tip * 8n }
    const { userOpHash, id, validUntil } = await sendVote(deployment, fees)

    // The cancel, and one more look at the stuck nonce after it (the cancel bumped again).
    const stuck = await recordWhen(
      deployment,
      id,
      'the cancel and another look after it',
      (record) => cancels(record).length >= 2,
    )
    const sent = bundles(stuck)
    const [firstCancel] = cancels(stuck)
    expect(sent.length).toBeGreaterThanOrEqual(2)
    expect(sent.length).toBeLessThan(20)
    expectWithinOpFees(sent, fees)
    for (const attempt of sent) expect(attempt.sentAt).toBeLessThan(validUntil * 1000)
    expect(firstCancel?.sentAt).toBeGreaterThanOrEqual(validUntil * 1000)
    // Once cancelled, only cancels follow.
    const firstCancelIndex = stuck.attempts.findIndex((attempt) => attempt.kind === 'cancel')
    expect(stuck.attempts.slice(firstCancelIndex).every((attempt) => attempt.kind === 'cancel')).toBe(true)

    // At the node: every bundle within the op's caps, and none after the first cancel.
    const reached = await broadcastsOf(relayer)
    const firstCancelAt = reached.findIndex((broadcast) => !isBundle(broadcast.to))
    expect(firstCancelAt).toBeGreaterThan(0)
    expect(reached.slice(firstCancelAt).filter((broadcast) => isBundle(broadcast.to))).toStrictEqual([])
    const bundlesReached = reached.filter((broadcast) => isBundle(broadcast.to))
    for (const broadcast of bundlesReached) {
      expect(sent.map((attempt) => attempt.hash)).toContain(broadcast.hash)
      expect(broadcast.maxPriorityFeePerGas).toBeLessThanOrEqual(fees.maxPriorityFeePerGas)
      expect(broadcast.maxFeePerGas).toBeLessThanOrEqual(fees.maxFeePerGas)
    }
    const [pooledCancel] = await poolWhen(relayer, 'the cancel in the pool', onlyACancel(relayer))
    expect(pooledCancel?.nonce).toBe(stuck.nonce)

    // One block past the window: the cancel lands in it, the op can no longer.
    await clockPast(validUntil)
    const { block, receipt: cancel } = await mineTheCancel(relayer, stuck.nonce)
    expect(block.timestamp).toBeGreaterThan(BigInt(validUntil))
    await expectReleased(deployment, { userOpHash, id, cancel, because: /not mined by the op's validUntil/ })

    // Nothing is left stuck: the relayer's nonce moved on and the account's op nonce is free again.
    await chain.testClient.setAutomine(true)
    const again = await client.sendUserOperation({ calls: [voteCall(2n)] })
    const receipt = await client.waitForUserOperationReceipt({ hash: again })
    expect(receipt.success).toBe(true)
    expect(receipt.receipt.from.toLowerCase()).toBe(relayer.toLowerCase())
  })

  test('a stuck bundle is looked at when its window ends, not only RELAY_REPLACE_AFTER_MS after its broadcast: it is cancelled at once', async () => {
    // The window ends long before the bundle would be due for a replacement.
    const replaceAfterMs = 15_000
    const deployment = await selfBundlingGateway({ windowSeconds: 4, replaceAfterMs })
    const { relayer, tip } = deployment
    const fees = { maxFeePerGas: parseGwei('30'), maxPriorityFeePerGas: tip * 8n }
    const { userOpHash, id, validUntil } = await sendVote(deployment, fees)

    const stuck = await recordWhen(deployment, id, 'the cancel', (record) => cancels(record).length > 0)
    const [bundle, cancel] = stuck.attempts
    expect([bundle?.kind, cancel?.kind]).toStrictEqual(['request', 'cancel'])
    expect(bundle?.sentAt).toBeLessThan(validUntil * 1000)
    // Cancelled once the window was over, and before the bundle's ordinary look: between the two
    // a block could have included it, reverting (AA32) at the relayer's cost.
    expect(cancel?.sentAt).toBeGreaterThanOrEqual(validUntil * 1000)
    expect(cancel?.sentAt).toBeLessThan((bundle?.sentAt ?? 0) + replaceAfterMs)

    await clockPast(validUntil)
    const { receipt: mined } = await mineTheCancel(relayer, stuck.nonce)
    await expectReleased(deployment, {
      userOpHash,
      id,
      cancel: mined,
      because: /not mined by the op's validUntil/,
    })
  })

  test('a job that runs again past the window does not broadcast its saved bundle: it ends, and only the cancel goes out', async () => {
    const deployment = await selfBundlingGateway({ windowSeconds: 5, replaceAfterMs: 1000 })
    const { relayer, tip } = deployment
    const fees = { maxFeePerGas: parseGwei('30'), maxPriorityFeePerGas: tip * 8n }
    // Every raw transaction is lost on its way to the node until the job has ended: the job's
    // broadcast is unconfirmed, so it runs again (with backoff) from its saved bundle.
    let losing = true
    proxy.setPlan((method) => (losing && method === 'eth_sendRawTransaction' ? 'reset' : 'pass'))
    const { userOpHash, id, validUntil } = await sendVote(deployment, fees)

    await eventually(
      'the job ended',
      async () => ((await jobExists(deployment.harness, id)) ? undefined : true),
      30_000,
    )
    const saved = await relayRecord(deployment.harness.keyPrefix, id)
    expect(bundles(saved as RelayTransactionRecord).length).toBeGreaterThan(0)
    // It ran more than once before it ended: a retry broadcasts the saved bundle again, as it is
    // (the monitor's replacements are each signed anew).
    const lost = (await broadcastsOf(relayer)).filter((broadcast) => !broadcast.forwarded)
    const hashes = lost.filter((broadcast) => isBundle(broadcast.to)).map((broadcast) => broadcast.hash)
    expect(new Set(hashes).size).toBeLessThan(hashes.length)
    expect(Date.now()).toBeGreaterThanOrEqual(validUntil * 1000)

    losing = false
    const cancelled = await eventually('a cancel reaching the node', async () => {
      const reached = (await broadcastsOf(relayer)).filter((broadcast) => broadcast.forwarded)
      return reached.length > 0 ? reached : undefined
    })
    // Nothing but cancels reached the node: no bundle, neither saved nor new.
    expect(
      cancelled.every((broadcast) => broadcast.to === relayer.toLowerCase() && broadcast.value === 0n),
    ).toBe(true)
    expect(await jobExists(deployment.harness, id)).toBe(false)
    const stuck = (await relayRecord(deployment.harness.keyPrefix, id)) as RelayTransactionRecord
    for (const attempt of bundles(stuck)) expect(attempt.sentAt).toBeLessThan(validUntil * 1000)

    await clockPast(validUntil)
    const { receipt: cancel } = await mineTheCancel(relayer, stuck.nonce)
    await expectReleased(deployment, { userOpHash, id, cancel, because: /not mined by the op's validUntil/ })
    expect(
      (await broadcastsOf(relayer)).filter((broadcast) => broadcast.forwarded && isBundle(broadcast.to)),
    ).toStrictEqual([])
  })
})

/** Whether the relay job of a request is in BullMQ: done jobs are removed. */
async function jobExists(own: GatewayHarness, id: string): Promise<boolean> {
  const { redis } = await openRedis()
  try {
    return (await redis.exists(`${own.keyPrefix}bull:relay-${chain.addresses.chainId}:${id}`)) === 1
  } finally {
    redis.disconnect()
  }
}
