import { encodeFunctionData, type Hex, hexToBigInt, numberToHex } from 'viem'
import { formatUserOperationRequest } from 'viem/account-abstraction'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fixtureAccounts } from '../../../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { intentForwarderAbi } from '../../../src/chain/artifacts/IntentForwarder.js'
import { intentPaymasterAbi } from '../../../src/chain/artifacts/IntentPaymaster.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import {
  buildVoteOperation,
  type FixtureChain,
  handleOps,
  handleOpsRevert,
  revertOf,
  signAsAccount,
  startFixtureChain,
  type UnsignedUserOperation,
} from '../contracts/userOperationHarness.js'
import { demoInstance, freshUser } from '../pipeline/metaTxSetup.js'
import { rpc } from '../userOps/userOpEnvironment.js'

/**
 * Replays, each refused with a stable code: what the gateway signed or approved on one chain,
 * for one contract, in one window, tried again somewhere else or later. Chain A is a private
 * Anvil from the fixture that the gateway serves; chain B runs the same fixture state under
 * chain id 31338, so every contract sits at the same address with the same keys, as a second
 * network would. What the gateway alone answers (a duplicate meta-transaction, the same request
 * from another instance, an expired sponsorship at eth_sendUserOperation) is covered by
 * test/integration/pipeline/ and test/integration/userOps/; this file adds what crosses chains,
 * contracts and the on-chain window.
 */
const harness = createGatewayHarness()
let chainA: FixtureChain
let chainB: FixtureChain
let gateway: RunningGateway
let token: string
let salt = 0n

beforeAll(async () => {
  ;[chainA, chainB] = await Promise.all([startFixtureChain(), startFixtureChain({ chainId: 31338 })])
  gateway = await harness.start({
    CHAIN_RPC_URLS: `${chainA.addresses.chainId}=${chainA.anvil.url}`,
    PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
  })
  ;({ token } = await demoInstance(harness, gateway, {
    intent: {
      limits: [],
      gas: { maxGasLimit: '3000000', maxFeePerGasWei: '100000000000', maxCostWei: '100000000000000000' },
    },
  }))
}, 120_000)
afterAll(async () => {
  await harness.stopAll()
  await Promise.all([chainA?.anvil.stop(), chainB?.anvil.stop()])
})

const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })

/** A forward request signed on chain A for the fixture's forwarder, unless told otherwise. */
const signedVote = (options: { signingChainId?: number; forwarder?: Hex } = {}) =>
  signForwardRequest({
    account: freshUser(),
    rpcUrl: chainA.anvil.url,
    forwarder: options.forwarder ?? chainA.addresses.forwarder,
    to: chainA.addresses.targets.communityPoll,
    data: vote(1n),
    ...(options.signingChainId === undefined ? {} : { signingChainId: options.signingChainId }),
    // A fresh user's nonce is 0 everywhere; the other "forwarders" have no nonces to read.
    nonce: 0n,
  })

const submit = (body: unknown) =>
  callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body })

/** ForwardRequestData as the forwarder's `verify` and `execute` take it. */
const forwardRequestData = (signed: Awaited<ReturnType<typeof signedVote>>) => ({
  from: signed.from,
  to: signed.to,
  value: BigInt(signed.value),
  gas: BigInt(signed.gas),
  deadline: signed.deadline,
  data: signed.data,
  signature: signed.signature,
})

/** A vote op of a fresh account on chain A, with this gateway's paymaster signature from pm_getPaymasterData. */
async function sponsoredVote(): Promise<UnsignedUserOperation> {
  salt++
  const op = await buildVoteOperation(chainA, { salt: 7_000n + salt, option: 1n })
  const answer = await rpc(
    gateway,
    'pm_getPaymasterData',
    [
      formatUserOperationRequest({ ...op, paymasterData: undefined }),
      chainA.addresses.entryPoint,
      numberToHex(chainA.addresses.chainId),
      null,
    ],
    { token },
  )
  const fields = answer.result as {
    paymaster: Hex
    paymasterData: Hex
    paymasterVerificationGasLimit: Hex
    paymasterPostOpGasLimit: Hex
  }
  if (!fields) throw new Error(`not sponsored: ${JSON.stringify(answer.error)}`)
  return {
    ...op,
    paymaster: fields.paymaster,
    paymasterData: fields.paymasterData,
    paymasterVerificationGasLimit: hexToBigInt(fields.paymasterVerificationGasLimit),
    paymasterPostOpGasLimit: hexToBigInt(fields.paymasterPostOpGasLimit),
  }
}

describe('replays of a forwarder signature', () => {
  test('signed for another chain id: the gateway refuses it, and the forwarder there refuses the real one', async () => {
    const otherChain = await submit(await signedVote({ signingChainId: chainB.addresses.chainId }))
    expect({ status: otherChain.status, code: otherChain.body.error?.code }).toStrictEqual({
      status: 422,
      code: 'REQUEST_SIGNATURE_INVALID',
    })
    // A request genuinely signed for chain A, carried to chain B: the same forwarder address there
    // does not take it, because its EIP-712 domain names chain B.
    const genuine = await signedVote()
    const verify = (chain: FixtureChain) =>
      chain.publicClient.readContract({
        address: chain.addresses.forwarder,
        abi: intentForwarderAbi,
        functionName: 'verify',
        args: [forwardRequestData(genuine)],
      })
    expect(await verify(chainA)).toBe(true)
    expect(await verify(chainB)).toBe(false)
  })

  test('signed for another forwarder: REQUEST_SIGNATURE_INVALID, with the refusal attested', async () => {
    for (const forwarder of [chainA.addresses.targets.demoToken, chainA.addresses.paymaster]) {
      const response = await submit(await signedVote({ forwarder }))
      expect({ status: response.status, code: response.body.error?.code }).toStrictEqual({
        status: 422,
        code: 'REQUEST_SIGNATURE_INVALID',
      })
      expect(response.body.error?.attestation).toBeDefined()
    }
  })

  test('a request someone else already executed on chain is refused, not relayed again', async () => {
    const signed = await signedVote()
    const hash = await chainA.bundler.writeContract({
      address: chainA.addresses.forwarder,
      abi: intentForwarderAbi,
      functionName: 'execute',
      args: [forwardRequestData(signed)],
    })
    expect((await chainA.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
    // The sender's forwarder nonce moved on: the signature no longer matches any request it could make.
    const response = await submit(signed)
    expect({ status: response.status, code: response.body.error?.code }).toStrictEqual({
      status: 422,
      code: 'REQUEST_SIGNATURE_INVALID',
    })
  })
})

describe('replays of a paymaster signature', () => {
  test('on another chain id: the EntryPoint there refuses it with AA34, while on its own chain it lands', async () => {
    const op = await sponsoredVote()
    // The account's own signature is made for chain B, so only the paymaster's can fail there.
    const onB = await signAsAccount(chainB, op)
    expect(await handleOpsRevert(chainB, onB.packed)).toStrictEqual({
      errorName: 'FailedOp',
      args: [0n, 'AA34 signature error'],
    })
    const onA = await signAsAccount(chainA, op)
    expect((await handleOps(chainA, onA.packed)).status).toBe('success')
  })

  test('against another EntryPoint: the paymaster answers only its own, and the gateway signs for no other', async () => {
    const op = await sponsoredVote()
    const { packed, userOpHash } = await signAsAccount(chainA, op)
    const otherEntryPoint = '0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789'
    const asOther = await chainA.publicClient
      .simulateContract({
        account: otherEntryPoint,
        address: chainA.addresses.paymaster,
        abi: intentPaymasterAbi,
        functionName: 'validatePaymasterUserOp',
        args: [packed, userOpHash, 10n ** 16n],
      })
      .then(() => undefined, revertOf)
    expect(asOther).toStrictEqual({ errorName: 'Error', args: ['Sender not EntryPoint'] })
    const asked = await rpc(
      gateway,
      'pm_getPaymasterData',
      [
        formatUserOperationRequest({ ...op, paymasterData: undefined }),
        otherEntryPoint,
        numberToHex(chainA.addresses.chainId),
      ],
      { token },
    )
    expect(asked.error).toMatchObject({ code: -33400, data: { code: 'ENTRY_POINT_NOT_SUPPORTED' } })
    const sent = await rpc(gateway, 'eth_sendUserOperation', [
      formatUserOperationRequest(op),
      otherEntryPoint,
    ])
    // Without BUNDLER_URL the gateway relays nothing; the paymaster methods alone are served.
    expect(sent.error).toMatchObject({ code: -32601, data: { code: 'NOT_FOUND' } })
  })

  test('after validUntil: the EntryPoint refuses it with AA32', async () => {
    const op = await sponsoredVote()
    const { packed } = await signAsAccount(chainA, op)
    const snapshot = await chainA.testClient.snapshot()
    try {
      await chainA.testClient.increaseTime({ seconds: 121 })
      await chainA.testClient.mine({ blocks: 1 })
      expect(await handleOpsRevert(chainA, packed)).toStrictEqual({
        errorName: 'FailedOp',
        args: [0n, 'AA32 paymaster expired or not due'],
      })
    } finally {
      await chainA.testClient.revert({ id: snapshot })
    }
    expect(await handleOpsRevert(chainA, packed)).toBeUndefined()
  })
})

describe('duplicate submissions', () => {
  test('asking pm_getPaymasterData twice for one op signs once: one log entry, the same paymasterData', async () => {
    const op = await buildVoteOperation(chainA, { salt: 9_000n, option: 2n })
    const params = [
      formatUserOperationRequest({ ...op, paymasterData: undefined }),
      chainA.addresses.entryPoint,
      numberToHex(chainA.addresses.chainId),
    ]
    const first = await rpc(gateway, 'pm_getPaymasterData', params, { token })
    const logSize = gateway.services.log.size()
    const second = await rpc(gateway, 'pm_getPaymasterData', params, { token })
    expect(second.result).toStrictEqual(first.result)
    expect(gateway.services.log.size()).toBe(logSize)
    // And once it has landed, the op cannot land again: its account exists now (AA10), and its nonce is spent.
    const sponsored = first.result as { paymasterData: Hex }
    const { packed } = await signAsAccount(chainA, {
      ...op,
      paymasterData: sponsored.paymasterData,
    })
    await handleOps(chainA, packed)
    expect(await handleOpsRevert(chainA, packed)).toStrictEqual({
      errorName: 'FailedOp',
      args: [0n, 'AA10 sender already constructed'],
    })
  })
})
