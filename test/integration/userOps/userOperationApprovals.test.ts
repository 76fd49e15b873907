import { createHash } from 'node:crypto'
import { encodeFunctionData, type Hex, numberToHex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateAdminKey } from '../../../src/auth/adminKeys.js'
import { demoTokenAbi } from '../../../src/chain/artifacts/DemoToken.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { callJson } from '../../support/gatewayHarness.js'
import { limitUsage, type RequestView } from '../../support/relayHarness.js'
import { approve, reject, statementIn } from '../approvals/approvalSetup.js'
import { demoInstance } from '../pipeline/metaTxSetup.js'
import {
  rpc,
  rpcErrorOf,
  smartAccountClient,
  sponsoredEvents,
  startUserOpEnvironment,
  type UserOpEnvironment,
  waitForSettlement,
} from './userOpEnvironment.js'

let environment: UserOpEnvironment
/** A gateway of the environment whose admin keys add dave, a third operator: alice submits, bob and dave approve. */
let gateway: RunningGateway
const dave = generateAdminKey()
const spender = '0x000000000000000000000000000000000000bEEF'

beforeAll(async () => {
  environment = await startUserOpEnvironment()
  gateway = await environment.startGateway({
    ADMIN_KEYS: `${environment.harness.env.ADMIN_KEYS},dave:operator:${dave.hash}`,
    APPROVAL_SWEEP_INTERVAL_MS: '200',
  })
}, 120_000)
afterAll(() => environment?.stop())

const people = () => ({
  alice: environment.harness.keys.admin.operator,
  bob: environment.harness.keys.admin.operator2,
  carol: environment.harness.keys.admin.auditor,
  dave: dave.key,
})

/** An instance of the demo template that holds DemoToken approvals above 10 for two operators. */
async function heldInstance() {
  const base = communityPollManifest({
    chainId: environment.chain.addresses.chainId,
    expiresAt: '2099-01-01T00:00:00Z',
  })
  return demoInstance(environment.harness, gateway, {
    overrides: {
      intent: {
        ...base.intent,
        limits: [{ id: 'instance-ops', scope: 'instance', metric: 'count', window: '1d', max: '10' }],
        gas: { maxGasLimit: '3000000', maxFeePerGasWei: '100000000000', maxCostWei: '100000000000000000' },
        approvals: { required: 2, tokenAmountsAbove: [{ token: '{{token}}', amount: '10' }] },
      },
    },
  })
}

const approveCall = (amount: bigint) => ({
  to: environment.chain.addresses.targets.demoToken,
  data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [spender, amount] }),
})

/**
 * The op's nonce, gas and fees fixed up front, so asking again sends exactly the same op (the
 * request digest covers them): viem would otherwise pick a new nonce key for every op, and with
 * every gas field given it asks the stub and skips estimation.
 */
async function fixedGas(client: Awaited<ReturnType<typeof smartAccountClient>>) {
  const fees = await environment.chain.publicClient.estimateFeesPerGas()
  return {
    nonce: await client.account.getNonce({ key: 0n }),
    callGasLimit: 200_000n,
    verificationGasLimit: 500_000n,
    preVerificationGas: 80_000n,
    maxFeePerGas: fees.maxFeePerGas * 2n,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  }
}

type HeldData = {
  code: string
  id: string
  approval: { required: number; approvals: number; reason: string; expiresAt: number }
  reasons: { code: string }[]
  attestation: { logIndex: number; envelope: unknown }
}

/** Sends through permissionless and returns the JSON-RPC error it threw. */
async function refusedSend(client: Awaited<ReturnType<typeof smartAccountClient>>, parameters: object) {
  const error = await client.sendUserOperation({ calls: [approveCall(11n)], ...parameters }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeDefined()
  const { code, data } = rpcErrorOf(error)
  return { code, data: data as unknown as HeldData }
}

describe('a user operation held for k-of-n approval, through permissionless and Alto', () => {
  test('APPROVAL_REQUIRED with the request id; once two operators approve, the same op is sponsored and lands', async () => {
    const { token } = await heldInstance()
    const owner = generatePrivateKey()
    const client = await smartAccountClient(environment, { token, owner, gateway })
    const gas = await fixedGas(client)

    const first = await refusedSend(client, gas)
    expect(first.code).toBe(-33202)
    expect(first.data).toMatchObject({
      code: 'APPROVAL_REQUIRED',
      approval: { required: 2, approvals: 0 },
      reasons: [{ code: 'APPROVAL_REQUIRED' }],
    })
    const { id } = first.data
    expect(id).toMatch(/^0x[0-9a-f]{64}$/)
    const held = statementIn(first.data.attestation.envelope).predicate
    expect(held).toMatchObject({ decision: { allow: false }, approval: { required: 2 } })
    const waiting = await callJson(gateway.url, 'GET', `/v1/requests/${id}`, { bearer: token })
    expect(waiting.body).toMatchObject({ kind: 'user-op', status: 'awaiting_approval' })

    // Listed for operators; alice created the instance, so she may not approve.
    const { alice, bob, carol, dave: daveKey } = people()
    const listed = await callJson(gateway.url, 'GET', '/v1/admin/approvals', { bearer: carol })
    const view = (listed.body.approvals as { id: string; kind: string; sender: string }[]).find(
      (approval) => approval.id === id,
    )
    expect(view).toMatchObject({ kind: 'user-op', sender: client.account.address })
    expect(await approve(gateway, id, alice)).toMatchObject({ status: 403 })
    expect(await approve(gateway, id, bob)).toMatchObject({ status: 200, body: { counted: true } })

    // Asked again meanwhile: still held, with the approval counted so far, and nothing reserved twice.
    const again = await refusedSend(client, gas)
    expect(again).toMatchObject({ code: -33202, data: { id, approval: { approvals: 1 } } })

    const approvedAt = Math.floor(Date.now() / 1000)
    const second = await approve(gateway, id, daveKey)
    expect(second).toMatchObject({
      status: 200,
      body: { approval: { status: 'approved', requestStatus: 'sponsored' } },
    })

    // Another op of the same account and nonce (other fees) is not what was approved.
    const other = await refusedSend(client, { ...gas, maxFeePerGas: gas.maxFeePerGas + 1n })
    expect(other).toMatchObject({ code: -33409, data: { code: 'NONCE_CONFLICT' } })

    // The same op, asked for again: sponsored, valid for the window from the approval, and it lands.
    const userOpHash = await client.sendUserOperation({ calls: [approveCall(11n)], ...gas })
    const { receipt, success } = await client.waitForUserOperationReceipt({ hash: userOpHash })
    expect(success).toBe(true)
    const allowance = await environment.chain.publicClient.readContract({
      address: environment.chain.addresses.targets.demoToken,
      abi: demoTokenAbi,
      functionName: 'allowance',
      args: [client.account.address, spender],
    })
    expect(allowance).toBe(11n)
    const settled = await waitForSettlement(gateway, token, userOpHash)
    expect(settled).toMatchObject({
      id,
      status: 'confirmed',
      approval: { approvals: [{ by: 'bob' }, { by: 'dave' }] },
    })
    const { validUntil } = settled.userOperation as { validUntil: number }
    expect(validUntil).toBeGreaterThanOrEqual(approvedAt + 120)
    expect(validUntil).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 120)

    // On chain the paymaster names the held decision, which the approvals and the outcome point back to.
    const decision = settled.decisionAttestation as { logIndex: number }
    expect(decision.logIndex).toBe(first.data.attestation.logIndex)
    const logged = await gateway.services.log.entry(decision.logIndex)
    const decisionDigest = `0x${createHash('sha256').update(logged).digest('hex')}`
    expect(sponsoredEvents(receipt)[0]?.args.decisionDigest).toBe(decisionDigest)
    const outcome = statementIn((settled.outcomeAttestation as { envelope: unknown }).envelope).predicate
    expect(outcome).toMatchObject({
      decisionEntry: { logIndex: decision.logIndex, envelopeDigest: decisionDigest.slice(2) },
    })

    // Reserved once, when it was held: the count is 1, not 2.
    const view2: RequestView = { id, status: 'confirmed', decisionAttestation: first.data.attestation }
    expect(await limitUsage(environment.harness.keyPrefix, view2)).toEqual({ 'instance-ops': 1n })
  })

  test('a kill switch engaged after the approval stops the hand-out of the signed fields until released', async () => {
    const { token, instanceId } = await heldInstance()
    const client = await smartAccountClient(environment, { token, gateway })
    const gas = await fixedGas(client)
    const { data } = await refusedSend(client, gas)
    // The op exactly as it was held, to ask pm_getPaymasterData for it directly, without the stub
    // call first that permissionless makes (an app need not).
    const held = (await gateway.services.requests.get(data.id)) as { heldUserOperation?: { userOp: object } }
    const askDirectly = () =>
      rpc(
        gateway,
        'pm_getPaymasterData',
        [
          held.heldUserOperation?.userOp,
          environment.chain.addresses.entryPoint,
          numberToHex(environment.chain.addresses.chainId),
          null,
        ],
        { token },
      )
    const { alice, bob, dave: daveKey } = people()
    expect(await approve(gateway, data.id, bob)).toMatchObject({ status: 200 })
    expect(await approve(gateway, data.id, daveKey)).toMatchObject({
      status: 200,
      body: { approval: { requestStatus: 'sponsored' } },
    })

    // Signed at the approval, not yet fetched by the app: the switch stops that.
    const killSwitch = (method: 'POST' | 'DELETE', body: object) =>
      callJson(gateway.url, method, '/v1/admin/kill-switch', { bearer: alice, body })
    const target = { scope: 'instance', target: instanceId }
    expect(await killSwitch('POST', { ...target, reason: 'incident' })).toMatchObject({ status: 201 })
    expect(await askDirectly()).toMatchObject({ error: { code: -33403, data: { code: 'KILL_SWITCH' } } })
    expect(await refusedSend(client, gas)).toMatchObject({ code: -33403, data: { code: 'KILL_SWITCH' } })

    expect((await killSwitch('DELETE', target)).status).toBe(200)
    expect(await askDirectly()).toMatchObject({
      result: { paymaster: environment.chain.addresses.paymaster },
    })
    const hash = await client.sendUserOperation({ calls: [approveCall(11n)], ...gas })
    expect((await client.waitForUserOperationReceipt({ hash })).success).toBe(true)
  })

  test('a rejected op is refused when asked again; its reservation and nonce are given back', async () => {
    const { token } = await heldInstance()
    const client = await smartAccountClient(environment, { token, gateway })
    const gas = await fixedGas(client)
    const { data } = await refusedSend(client, gas)
    const rejected = await reject(gateway, data.id, people().bob, 'not for this account')
    expect(rejected).toMatchObject({ status: 200, body: { approval: { status: 'rejected' } } })

    const after = await refusedSend(client, gas)
    expect(after).toMatchObject({ code: -33403, data: { code: 'APPROVAL_REJECTED' } })
    const view: RequestView = { id: data.id, status: 'cancelled', decisionAttestation: data.attestation }
    expect(await limitUsage(environment.harness.keyPrefix, view)).toEqual({ 'instance-ops': 0n })

    // The nonce is free: an op below the threshold from the same account is sponsored and lands.
    const hash = await client.sendUserOperation({ calls: [approveCall(5n)] })
    expect((await client.waitForUserOperationReceipt({ hash: hash as Hex })).success).toBe(true)
  })
})
