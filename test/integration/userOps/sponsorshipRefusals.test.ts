import { encodeFunctionData, type Hex, numberToHex } from 'viem'
import { formatUserOperationRequest, type UserOperation } from 'viem/account-abstraction'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { demoBadgeAbi } from '../../../src/chain/artifacts/DemoBadge.js'
import { callJson } from '../../support/gatewayHarness.js'
import { statementOf } from '../pipeline/metaTxSetup.js'
import {
  rpc,
  smartAccountClient,
  sponsoredInstance,
  startUserOpEnvironment,
  type UserOpEnvironment,
} from './userOpEnvironment.js'

let environment: UserOpEnvironment
let token: string

beforeAll(async () => {
  environment = await startUserOpEnvironment()
  ;({ token } = await sponsoredInstance(environment, []))
}, 120_000)
afterAll(() => environment?.stop())

const poll = () => environment.chain.addresses.targets.communityPoll
const voteCall = (option: bigint) => ({
  to: poll(),
  data: encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] }),
})
/** DemoBadge is on the chain but not in the template: a disallowed target. */
const badgeCall = () => ({
  to: environment.chain.addresses.targets.demoBadge,
  data: encodeFunctionData({
    abi: demoBadgeAbi,
    functionName: 'setApprovalForAll',
    args: ['0x000000000000000000000000000000000000bEEF', true],
  }),
})

/** An op of a fresh account as a client would ask pm_getPaymasterData for it, gas already estimated. */
async function unsponsoredOperation(calls: { to: Hex; data: Hex }[]) {
  const client = await smartAccountClient(environment, { token })
  const { account } = client
  const fees = await environment.chain.publicClient.estimateFeesPerGas()
  return formatUserOperationRequest({
    sender: account.address,
    nonce: await account.getNonce(),
    ...(await account.getFactoryArgs()),
    callData: await account.encodeCalls(calls),
    callGasLimit: 200_000n,
    verificationGasLimit: 500_000n,
    preVerificationGas: 80_000n,
    maxFeePerGas: fees.maxFeePerGas * 2n,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    signature: await account.getStubSignature(),
  })
}

const paymasterParams = (op: unknown, context: unknown = null) => [
  op,
  environment.chain.addresses.entryPoint,
  numberToHex(environment.chain.addresses.chainId),
  context,
]

/** A vote sponsored through the gateway and signed by its account, ready to send. */
async function sponsoredVote(option: bigint, bearer = token) {
  const client = await smartAccountClient(environment, { token: bearer })
  const prepared = await client.prepareUserOperation({ calls: [voteCall(option)] })
  const signature = await client.account.signUserOperation(prepared)
  return { client, op: { ...prepared, signature } as UserOperation<'0.7'> }
}

const send = (op: UserOperation<'0.7'>) =>
  rpc(environment.gateway, 'eth_sendUserOperation', [
    formatUserOperationRequest(op),
    environment.chain.addresses.entryPoint,
  ])

describe('what the paymaster refuses to sponsor', () => {
  test('a disallowed target: a provisional refusal at the stub, an attested one at pm_getPaymasterData', async () => {
    const op = await unsponsoredOperation([badgeCall()])
    const stub = await rpc(environment.gateway, 'pm_getPaymasterStubData', paymasterParams(op), { token })
    expect(stub.error).toMatchObject({ code: -33403, data: { code: 'POLICY_DENIED' } })
    expect(stub.error?.data?.reasons?.map((reason) => reason.code)).toContain('TARGET_NOT_ALLOWED')
    expect(stub.error?.data?.attestation).toBeUndefined()

    const full = await rpc(environment.gateway, 'pm_getPaymasterData', paymasterParams(op), { token })
    expect(full.error).toMatchObject({ code: -33403, data: { code: 'POLICY_DENIED' } })
    expect(full.error?.data?.reasons?.map((reason) => reason.code)).toContain('TARGET_NOT_ALLOWED')
    const attestation = full.error?.data?.attestation
    const statement = statementOf(attestation?.envelope)
    expect(statement.predicate.decision.allow).toBe(false)
    expect(await environment.gateway.services.log.entry(attestation?.logIndex ?? -1)).toBeDefined()
  })

  test('an executeBatch with one bad inner call is refused whole', async () => {
    const op = await unsponsoredOperation([voteCall(1n), badgeCall()])
    const full = await rpc(environment.gateway, 'pm_getPaymasterData', paymasterParams(op), { token })
    expect(full.error?.data?.code).toBe('POLICY_DENIED')
    const reasons = full.error?.data?.reasons ?? []
    expect(reasons.map((reason) => reason.code)).toStrictEqual(['TARGET_NOT_ALLOWED'])
    // The inner call is named by its place in the batch.
    expect(reasons[0]?.message).toContain('0.1')
  })

  test('an op whose simulation reverts is refused before anything is reserved', async () => {
    const op = await unsponsoredOperation([voteCall(99n)])
    const full = await rpc(environment.gateway, 'pm_getPaymasterData', paymasterParams(op), { token })
    expect(full.error).toMatchObject({ code: -33422, data: { code: 'SIMULATION_REVERTED' } })
    expect(full.error?.data?.reasons?.[0]?.message).toContain('InvalidOption(99)')
  })

  test('a gateway whose key the paymaster does not trust sponsors nothing, and says which setting is wrong', async () => {
    const misconfigured = await environment.startGateway({ PAYMASTER_SIGNER_KEY: generatePrivateKey() })
    const op = await unsponsoredOperation([voteCall(1n)])
    for (const method of ['pm_getPaymasterStubData', 'pm_getPaymasterData']) {
      const answer = await rpc(misconfigured, method, paymasterParams(op), { token })
      expect(answer.error).toMatchObject({ code: -33503, data: { code: 'DEPENDENCY_UNAVAILABLE' } })
      expect(answer.error?.message).toContain('PAYMASTER_SIGNER_KEY')
    }
  })

  test('the context: unknown fields, a hint of another instance and an unknown EntryPoint are refused', async () => {
    const op = await unsponsoredOperation([voteCall(1n)])
    const unknown = await rpc(
      environment.gateway,
      'pm_getPaymasterData',
      paymasterParams(op, { sponsorshipPolicyId: 'sp_1' }),
      { token },
    )
    expect(unknown.error?.code).toBe(-32602)
    expect(unknown.error?.data?.reasons?.[0]?.message).toContain(
      'unknown context field "sponsorshipPolicyId"',
    )
    const hint = await rpc(
      environment.gateway,
      'pm_getPaymasterData',
      paymasterParams(op, { instanceId: 'other' }),
      {
        token,
      },
    )
    expect(hint.error?.data?.code).toBe('INVALID_REQUEST')
    const [userOp, , chainId] = paymasterParams(op)
    const entryPoint = await rpc(
      environment.gateway,
      'pm_getPaymasterStubData',
      [userOp, '0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789', chainId],
      { token },
    )
    expect(entryPoint.error).toMatchObject({ code: -33400, data: { code: 'ENTRY_POINT_NOT_SUPPORTED' } })
    const noToken = await rpc(environment.gateway, 'pm_getPaymasterData', paymasterParams(op))
    expect(noToken.error).toMatchObject({ code: -33401, data: { code: 'UNAUTHENTICATED' } })
  })
})

describe('what eth_sendUserOperation refuses to relay', () => {
  test('an op altered after sponsorship: raised gas, changed callData, changed paymaster gas', async () => {
    const { client, op } = await sponsoredVote(1n)
    const altered: UserOperation<'0.7'>[] = [
      { ...op, callGasLimit: op.callGasLimit + 10_000n },
      { ...op, callData: await client.account.encodeCalls([voteCall(2n)]) },
      { ...op, paymasterPostOpGasLimit: (op.paymasterPostOpGasLimit ?? 0n) - 1n },
    ]
    for (const variant of altered) {
      const answer = await send(variant)
      expect(answer.error).toMatchObject({ code: -33422, data: { code: 'SPONSORSHIP_INVALID' } })
    }
    // The op exactly as sponsored is relayed, and lands.
    const relayed = await send(op)
    expect(relayed.result).toMatch(/^0x[0-9a-f]{64}$/)
    const receipt = await client.waitForUserOperationReceipt({ hash: relayed.result as Hex })
    expect(receipt.success).toBe(true)
    // And it is not relayed a second time.
    expect((await send(op)).error?.data?.code).toMatch(/^(REQUEST_REPLAYED|BUNDLER_REJECTED)$/)
  })

  test('an op naming another paymaster is refused', async () => {
    const { op } = await sponsoredVote(1n)
    const answer = await send({ ...op, paymaster: '0x000000000000000000000000000000000000dEaD' })
    expect(answer.error).toMatchObject({ code: -33422, data: { code: 'PAYMASTER_MISMATCH' } })
    const unpaid = await send({
      ...op,
      paymaster: undefined,
      paymasterData: undefined,
      paymasterVerificationGasLimit: undefined,
      paymasterPostOpGasLimit: undefined,
    })
    expect(unpaid.error?.data?.code).toBe('PAYMASTER_MISMATCH')
  })

  test('a sponsorship whose instance was killed after it was signed is not relayed', async () => {
    const killed = await sponsoredInstance(environment, [])
    const { op } = await sponsoredVote(1n, killed.token)
    const engaged = await callJson(environment.gateway.url, 'POST', '/v1/admin/kill-switch', {
      bearer: environment.harness.keys.admin.operator,
      body: { scope: 'instance', target: killed.instanceId, reason: 'drill' },
    })
    expect(engaged.status).toBeLessThan(300)
    const answer = await send(op)
    expect(answer.error).toMatchObject({ code: -33403, data: { code: 'KILL_SWITCH' } })
  })

  test('an expired sponsorship is refused', async () => {
    const shortLived = await environment.startGateway({ SPONSORSHIP_WINDOW_SECONDS: '2' })
    const client = await smartAccountClient(environment, { token, gateway: shortLived })
    const prepared = await client.prepareUserOperation({ calls: [voteCall(1n)] })
    const op = {
      ...prepared,
      signature: await client.account.signUserOperation(prepared),
    } as UserOperation<'0.7'>
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const answer = await rpc(shortLived, 'eth_sendUserOperation', [
      formatUserOperationRequest(op),
      environment.chain.addresses.entryPoint,
    ])
    expect(answer.error).toMatchObject({ code: -33422, data: { code: 'SPONSORSHIP_EXPIRED' } })
  })

  test('eth_chainId and eth_supportedEntryPoints are answered locally; unknown hashes are null', async () => {
    const { gateway, chain } = environment
    expect((await rpc(gateway, 'eth_chainId', [])).result).toBe(numberToHex(chain.addresses.chainId))
    expect((await rpc(gateway, 'eth_supportedEntryPoints', [])).result).toStrictEqual([
      chain.addresses.entryPoint,
    ])
    const hash = `0x${'ab'.repeat(32)}`
    expect((await rpc(gateway, 'eth_getUserOperationReceipt', [hash])).result).toBeNull()
    expect((await rpc(gateway, 'eth_getUserOperationByHash', [hash])).result).toBeNull()
  })
})
