import {
  concat,
  encodeFunctionData,
  type Hex,
  parseSignature,
  serializeCompactSignature,
  signatureToCompactSignature,
  slice,
} from 'viem'
import { getUserOperationHash, toPackedUserOperation, type UserOperation } from 'viem/account-abstraction'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../../../src/chain/artifacts/DemoToken.js'
import { callJson } from '../../support/gatewayHarness.js'
import { handleOps } from '../contracts/userOperationHarness.js'
import { statementOf } from '../pipeline/metaTxSetup.js'
import {
  expectAttestedSettlement,
  outcomeOf,
  rpcErrorOf,
  smartAccountClient,
  sponsoredInstance,
  startUserOpEnvironment,
  type UserOpEnvironment,
  waitForSettlement,
} from './userOpEnvironment.js'

let environment: UserOpEnvironment
const spender = '0x000000000000000000000000000000000000bEEF'

beforeAll(async () => {
  environment = await startUserOpEnvironment()
}, 120_000)
afterAll(() => environment?.stop())

const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })
const voteCall = (option: bigint) => ({
  to: environment.chain.addresses.targets.communityPoll,
  data: vote(option),
})

const hashOf = (userOperation: UserOperation<'0.7'>) =>
  getUserOperationHash({
    chainId: environment.chain.addresses.chainId,
    entryPointAddress: environment.chain.addresses.entryPoint,
    entryPointVersion: '0.7',
    userOperation: { ...userOperation, signature: '0x' },
  })

describe('sponsored user operations through permissionless and Alto', () => {
  test('the first vote of a new account (initCode) is sponsored, deploys the account, lands and is attested', async () => {
    const { chain } = environment
    const gasLimit = {
      id: 'instance-gas',
      scope: 'instance',
      metric: 'gasWei',
      window: '1d',
      max: '10000000000000000000',
    }
    const { token } = await sponsoredInstance(environment, [gasLimit])
    const client = await smartAccountClient(environment, { token })
    expect(await chain.publicClient.getCode({ address: client.account.address })).toBeUndefined()

    const userOpHash = await client.sendUserOperation({ calls: [voteCall(1n)] })
    const { receipt, success, actualGasCost } = await client.waitForUserOperationReceipt({ hash: userOpHash })
    expect(success).toBe(true)
    expect(await chain.publicClient.getCode({ address: client.account.address })).toMatch(/^0x.+/)

    // On chain, the paymaster names the decision; the log holds exactly the attestation it names.
    await expectAttestedSettlement(environment, { token, userOpHash, receipt, actualGasCost })
  })

  test('a per-sender daily count limit holds across a stream of ops from one account', async () => {
    const { token } = await sponsoredInstance(environment, [
      { scope: 'sender', metric: 'count', window: '1d', max: '3' },
    ])
    const client = await smartAccountClient(environment, { token })
    // Approvals, unlike votes, can be repeated by one account.
    const approve = (amount: bigint) => ({
      to: environment.chain.addresses.targets.demoToken,
      data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [spender, amount] }),
    })
    for (const amount of [1n, 2n, 3n]) {
      const hash = await client.sendUserOperation({ calls: [approve(amount)] })
      expect((await client.waitForUserOperationReceipt({ hash })).success).toBe(true)
    }
    const refused = await client.sendUserOperation({ calls: [approve(4n)] }).catch((error: unknown) => error)
    const { code, data } = rpcErrorOf(refused)
    expect({ code, dataCode: data?.code }).toStrictEqual({ code: -33429, dataCode: 'LIMIT_EXCEEDED' })
    expect(data?.reasons?.map((reason) => reason.code)).toStrictEqual(['LIMIT_EXCEEDED'])
    expect(data?.attestation).toBeDefined()
  })

  test("an unused sponsorship's reservation is released once its window has passed", async () => {
    const { chain } = environment
    const { token } = await sponsoredInstance(environment, [
      { scope: 'sender', metric: 'count', window: '1d', max: '1' },
    ])
    const shortLived = await environment.startGateway({ SPONSORSHIP_WINDOW_SECONDS: '3' })
    const owner = generatePrivateKey()
    const client = await smartAccountClient(environment, { token, owner, gateway: shortLived })
    const unused = await client.prepareUserOperation({ calls: [voteCall(1n)] })
    const userOpHash = getUserOperationHash({
      chainId: chain.addresses.chainId,
      entryPointAddress: chain.addresses.entryPoint,
      entryPointVersion: '0.7',
      userOperation: { ...unused, signature: '0x' },
    })
    // The sender's one op of the day is taken while the sponsorship is live.
    const second = await client
      .prepareUserOperation({ calls: [voteCall(2n)], maxFeePerGas: unused.maxFeePerGas + 1n })
      .catch((error: unknown) => error)
    expect(rpcErrorOf(second).data?.code).toBe('LIMIT_EXCEEDED')

    // Past validUntil on the clock and on chain, with no UserOperationEvent: released.
    await new Promise((resolve) => setTimeout(resolve, 4_000))
    await chain.testClient.mine({ blocks: 1 })
    const released = await waitForSettlement(shortLived, token, userOpHash)
    expect(released.status).toBe('cancelled')
    expect(outcomeOf(released).outcome).toMatchObject({
      status: 'cancelled',
      userOpHash,
      reason: { code: 'SPONSORSHIP_EXPIRED' },
    })
    expect(await shortLived.services.pipeline.limits.reservation(released.id as string)).toBeUndefined()

    // The count came back: the same account is sponsored again (with a window Alto accepts), and lands.
    const again = await smartAccountClient(environment, { token, owner })
    expect(again.account.address).toBe(client.account.address)
    const hash = await again.sendUserOperation({
      calls: [voteCall(3n)],
      maxFeePerGas: unused.maxFeePerGas + 2n,
    })
    expect((await again.waitForUserOperationReceipt({ hash })).success).toBe(true)
  })

  test('an op paid under another encoding of our signature, included by another bundler, is settled', async () => {
    const { chain, gateway } = environment
    const { token } = await sponsoredInstance(environment, [])
    const client = await smartAccountClient(environment, { token })
    const prepared = await client.prepareUserOperation({ calls: [voteCall(1n)] })
    const signedFor = hashOf(prepared)
    // The same paymaster signature in its ERC-2098 compact form: the paymaster accepts it, and
    // the op gets another userOpHash than the one the gateway signed for.
    const paymasterData = prepared.paymasterData as Hex
    const compact = serializeCompactSignature(
      signatureToCompactSignature(parseSignature(slice(paymasterData, 44))),
    )
    const variant = { ...prepared, paymasterData: concat([slice(paymasterData, 0, 44), compact]) }
    const signed = { ...variant, signature: await client.account.signUserOperation(variant) }
    expect(hashOf(signed)).not.toBe(signedFor)
    const receipt = await handleOps(chain, toPackedUserOperation(signed))

    const settled = await waitForSettlement(gateway, token, signedFor)
    expect(settled).toMatchObject({ status: 'confirmed', txHash: receipt.transactionHash })
    expect(outcomeOf(settled).outcome).toMatchObject({ status: 'confirmed', userOpHash: hashOf(signed) })
  })

  test('the context carries a token when headers are impossible, and webhookData into the attestation', async () => {
    const { token, instanceId } = await sponsoredInstance(environment, [])
    const webhookData = { orderId: 'order-77', tags: ['poll'] }
    const client = await smartAccountClient(environment, {
      paymasterContext: { token, instanceId, webhookData },
    })
    const prepared = await client.prepareUserOperation({ calls: [voteCall(1n)] })
    const userOpHash = getUserOperationHash({
      chainId: environment.chain.addresses.chainId,
      entryPointAddress: environment.chain.addresses.entryPoint,
      entryPointVersion: '0.7',
      userOperation: { ...prepared, signature: '0x' as Hex },
    })
    const record = await callJson(environment.gateway.url, 'GET', `/v1/requests/${userOpHash}`, {
      bearer: token,
    })
    expect(record.body.status).toBe('sponsored')
    const decision = record.body.decisionAttestation as { envelope: unknown }
    expect(
      (statementOf(decision.envelope).predicate as unknown as { appData: unknown }).appData,
    ).toStrictEqual(webhookData)
  })
})
