import { encodeFunctionData, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { demoBadgeAbi } from '../../../src/chain/artifacts/DemoBadge.js'
import { demoTokenAbi } from '../../../src/chain/artifacts/DemoToken.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness, type JsonResponse } from '../../support/gatewayHarness.js'
import {
  anvilUrl,
  attestationOf,
  demoInstance,
  fixtureAddresses,
  freshUser,
  mintDemoToken,
  statementOf,
  tokenCall,
} from './metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway
let token: string
let instanceId: string
let addresses: Awaited<ReturnType<typeof fixtureAddresses>>

beforeAll(async () => {
  gateway = await harness.start()
  addresses = await fixtureAddresses()
  ;({ token, instanceId } = await demoInstance(harness, gateway))
})
afterAll(() => harness.stopAll())

const submit = (body: unknown, bearer = token) =>
  callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer, body })
const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })

/** Signs a request from a fresh user, unless `account` is given. */
function request(
  to: `0x${string}`,
  data: `0x${string}`,
  options: Partial<Parameters<typeof signForwardRequest>[0]> = {},
) {
  return signForwardRequest({
    account: freshUser(),
    rpcUrl: anvilUrl,
    forwarder: addresses.forwarder,
    to,
    data,
    ...options,
  })
}

async function loggedEnvelope(logIndex: number): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await gateway.services.log.entry(logIndex)))
}

/** Asserts the refusal, that it carries its attestation, and that the log holds exactly that envelope. */
async function expectRefused(response: JsonResponse, status: number, code: string, reason: string) {
  expect({ status: response.status, code: response.body.error?.code }).toStrictEqual({ status, code })
  expect(response.body.error?.reasons?.map((entry) => entry.code)).toContain(reason)
  const { logIndex, envelope } = attestationOf(response)
  const statement = statementOf(envelope)
  expect(statement.predicateType).toBe('https://intentgate.dev/attestations/decision/v1')
  expect(statement.predicate.decision.allow).toBe(false)
  expect(statement.predicate.decision.reasons.map((entry) => entry.code)).toContain(reason)
  expect(await loggedEnvelope(logIndex)).toStrictEqual(envelope)
}

describe('POST /v1/meta-transactions', () => {
  test('an allowed vote is queued with its attestation, and its status can be read back', async () => {
    const response = await submit(await request(addresses.targets.communityPoll, vote(1n)))
    expect(response.status).toBe(202)
    expect(response.body).toMatchObject({ id: expect.stringMatching(/^0x[0-9a-f]{64}$/), status: 'queued' })
    const { logIndex, envelope } = attestationOf(response)
    const statement = statementOf(envelope)
    expect(statement.predicate.decision).toStrictEqual({ allow: true, reasons: [] })
    expect(statement.predicate.limits).toHaveLength(3)
    expect(await loggedEnvelope(logIndex)).toStrictEqual(envelope)

    const status = await callJson(gateway.url, 'GET', `/v1/requests/${response.body.id}`, { bearer: token })
    expect(status.body).toMatchObject({ id: response.body.id, status: 'queued', decision: { allow: true } })
  })

  test('a function the template does not allow is SELECTOR_NOT_ALLOWED', async () => {
    const user = freshUser()
    const data = tokenCall('mint', [user.address, 1n])
    const response = await submit(await request(addresses.targets.demoToken, data, { account: user }))
    await expectRefused(response, 403, 'POLICY_DENIED', 'SELECTOR_NOT_ALLOWED')
  })

  test('a target the template does not name is TARGET_NOT_ALLOWED', async () => {
    const user = freshUser()
    const data = encodeFunctionData({ abi: demoBadgeAbi, functionName: 'balanceOf', args: [user.address] })
    const response = await submit(await request(addresses.targets.demoBadge, data, { account: user }))
    await expectRefused(response, 403, 'POLICY_DENIED', 'TARGET_NOT_ALLOWED')
  })

  test('value over the function cap is VALUE_OVER_CAP', async () => {
    const data = encodeFunctionData({ abi: communityPollAbi, functionName: 'donate' })
    const response = await submit(
      await request(addresses.targets.communityPoll, data, { value: parseEther('0.02') }),
    )
    await expectRefused(response, 403, 'POLICY_DENIED', 'VALUE_OVER_CAP')
  })

  test('a token transfer over the cap is TOKEN_AMOUNT_OVER_CAP', async () => {
    const user = freshUser()
    await mintDemoToken(user.address, parseEther('200'))
    const data = tokenCall('transfer', [freshUser().address, parseEther('101')])
    const response = await submit(await request(addresses.targets.demoToken, data, { account: user }))
    await expectRefused(response, 403, 'POLICY_DENIED', 'TOKEN_AMOUNT_OVER_CAP')
  })

  test('a chain the template does not list is CHAIN_NOT_ALLOWED', async () => {
    const baseOnly = await demoInstance(harness, gateway, { chains: [8453] })
    const response = await submit(await request(addresses.targets.communityPoll, vote(1n)), baseOnly.token)
    await expectRefused(response, 403, 'POLICY_DENIED', 'CHAIN_NOT_ALLOWED')
  })

  test('a batch with one bad inner call is refused for that call', async () => {
    const user = freshUser()
    await mintDemoToken(user.address, parseEther('10'))
    const data = encodeFunctionData({
      abi: demoTokenAbi,
      functionName: 'multicall',
      args: [[tokenCall('transfer', [freshUser().address, 1n]), tokenCall('mint', [user.address, 1n])]],
    })
    const response = await submit(await request(addresses.targets.demoToken, data, { account: user }))
    await expectRefused(response, 403, 'POLICY_DENIED', 'SELECTOR_NOT_ALLOWED')
    // Both the multicall itself (not listed for the token) and the inner mint are named.
    const messages = (response.body.error?.reasons ?? [])
      .filter((entry) => entry.code === 'SELECTOR_NOT_ALLOWED')
      .map((entry) => entry.message)
    expect(messages).toHaveLength(2)
    expect(messages[0]).toMatch(/^call 0 to 0x[0-9a-fA-F]{40}: multicall must be listed for this target/)
    expect(messages[1]).toMatch(/^call 0\.1 to /)
  })

  test('a forbidden call nested inside a multicall is found and refused', async () => {
    const user = freshUser()
    const mint = tokenCall('mint', [user.address, 1n])
    const inner = encodeFunctionData({ abi: demoTokenAbi, functionName: 'multicall', args: [[mint]] })
    const data = encodeFunctionData({ abi: demoTokenAbi, functionName: 'multicall', args: [[inner]] })
    const response = await submit(await request(addresses.targets.demoToken, data, { account: user }))
    await expectRefused(response, 403, 'POLICY_DENIED', 'SELECTOR_NOT_ALLOWED')
  })

  test('an expired deadline is REQUEST_EXPIRED', async () => {
    const deadline = Math.floor(Date.now() / 1000) - 5
    const response = await submit(await request(addresses.targets.communityPoll, vote(1n), { deadline }))
    await expectRefused(response, 422, 'REQUEST_EXPIRED', 'REQUEST_EXPIRED')
  })

  test('a request signed by someone other than from is REQUEST_SIGNATURE_INVALID', async () => {
    const victim = freshUser()
    const forged = await request(addresses.targets.communityPoll, vote(2n))
    const response = await submit({ ...forged, from: victim.address })
    await expectRefused(response, 422, 'REQUEST_SIGNATURE_INVALID', 'REQUEST_SIGNATURE_INVALID')
  })

  test('a signature made for another chain is REQUEST_SIGNATURE_INVALID', async () => {
    const response = await submit(
      await request(addresses.targets.communityPoll, vote(1n), { signingChainId: 1 }),
    )
    await expectRefused(response, 422, 'REQUEST_SIGNATURE_INVALID', 'REQUEST_SIGNATURE_INVALID')
  })

  test('a replayed request gets the same answer and is counted and logged once', async () => {
    const body = await request(addresses.targets.communityPoll, vote(3n))
    const first = await submit(body)
    expect(first.status).toBe(202)
    const sizeAfterFirst = gateway.services.log.size()
    const replay = await submit(body)
    expect(replay).toStrictEqual(first)
    expect(gateway.services.log.size()).toBe(sizeAfterFirst)
  })

  test('a revoked template is refused, and the refusal is attested', async () => {
    const revoked = await demoInstance(harness, gateway)
    const revoke = await callJson(
      gateway.url,
      'POST',
      `/v1/admin/templates/${revoked.templateDigest}/revoke`,
      {
        bearer: harness.keys.admin.operator,
        body: { reason: 'found a drain' },
      },
    )
    expect(revoke.status).toBe(200)
    const response = await submit(await request(addresses.targets.communityPoll, vote(1n)), revoked.token)
    await expectRefused(response, 403, 'TEMPLATE_REVOKED', 'TEMPLATE_REVOKED')
  })

  test('malformed bodies are INVALID_REQUEST naming the field, and never reach the log', async () => {
    const size = gateway.services.log.size()
    const good = await request(addresses.targets.communityPoll, vote(1n))
    const badSignature = await submit({ ...good, signature: '0x1234' })
    expect(badSignature.status).toBe(400)
    expect(badSignature.body.error?.message).toContain('signature')
    const unknownField = await submit({ ...good, extra: true })
    expect(unknownField.body.error?.code).toBe('INVALID_REQUEST')
    const otherChain = await submit({ ...good, chainId: 10 })
    expect(otherChain).toMatchObject({ status: 400, body: { error: { code: 'CHAIN_NOT_SERVED' } } })
    expect(gateway.services.log.size()).toBe(size)
  })

  test('the operator dry run runs the same stages with no counters, no log and no record', async () => {
    const size = gateway.services.log.size()
    const body = await request(addresses.targets.communityPoll, vote(1n))
    const evaluate = (payload: unknown, bearer = harness.keys.admin.operator) =>
      callJson(gateway.url, 'POST', '/v1/policy/evaluate', { bearer, body: payload })

    const dry = await evaluate({ instanceId, metaTransaction: body })
    expect(dry.status).toBe(200)
    expect(dry.body).toMatchObject({
      decision: { allow: true, reasons: [] },
      policy: { revision: 'builtin' },
      checks: { signature: { ok: true }, deadline: { ok: true }, simulation: { ok: true } },
    })
    const intent = dry.body.intent as { calls: { selector: string }[] }
    const denied = await evaluate({
      instanceId,
      intent: { ...intent, calls: intent.calls.map((call) => ({ ...call, selector: '0xdeadbeef' })) },
    })
    expect(
      (denied.body.decision as { reasons: { code: string }[] }).reasons.map((r) => r.code),
    ).toStrictEqual(['SELECTOR_NOT_ALLOWED'])
    expect(gateway.services.log.size()).toBe(size)
    // The same request, submitted for real afterwards, is decided afresh: the dry run recorded nothing.
    expect((await submit(body)).status).toBe(202)
    expect((await evaluate({ instanceId, metaTransaction: body }, harness.keys.admin.auditor)).status).toBe(
      403,
    )
  })

  test("a forged body carrying someone's signature cannot pin a refusal on their real request", async () => {
    const user = freshUser()
    const real = await request(addresses.targets.communityPoll, vote(1n), { account: user })
    const forged = await submit({ ...real, data: vote(2n) })
    await expectRefused(forged, 422, 'REQUEST_SIGNATURE_INVALID', 'REQUEST_SIGNATURE_INVALID')
    const answer = await submit(real)
    expect(answer.status).toBe(202)
  })

  test("another instance replaying a request gets 409 and learns nothing of the first instance's answer", async () => {
    const other = await demoInstance(harness, gateway)
    const body = await request(addresses.targets.communityPoll, vote(1n))
    expect((await submit(body)).status).toBe(202)
    const replay = await submit(body, other.token)
    expect(replay.status).toBe(409)
    expect(replay.body.error).toMatchObject({ code: 'REQUEST_REPLAYED' })
    expect(replay.body.error?.attestation).toBeUndefined()
    expect(JSON.stringify(replay.body)).not.toContain(instanceId)
  })
})
