import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'

/**
 * Log flooding: a token whose instance was revoked (or killed) is refused on every request, and
 * every refusal after normalization is attested. ATTESTED_REFUSALS_PER_MINUTE bounds how many of
 * one instance's refusals are signed and logged per minute, counted atomically in Redis: past it
 * the refusal is still answered with its code, unattested.
 */
const harness = createGatewayHarness()
const perMinute = 5
let gateway: RunningGateway

beforeAll(async () => {
  gateway = await harness.start({ ATTESTED_REFUSALS_PER_MINUTE: String(perMinute) })
})
afterAll(() => harness.stopAll())

const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })

async function signedVote() {
  const addresses = await fixtureAddresses()
  return signForwardRequest({
    account: freshUser(),
    rpcUrl: anvilUrl,
    forwarder: addresses.forwarder,
    to: addresses.targets.communityPoll,
    data: vote,
    nonce: 0n,
  })
}

const submit = async (token: string) =>
  callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body: await signedVote() })

describe('attested refusals are bounded per instance', () => {
  test('a revoked instance hammering the gateway gets every refusal, but only the budget of them in the log, even all at once', async () => {
    const revoked = await demoInstance(harness, gateway)
    const revocation = await callJson(
      gateway.url,
      'POST',
      `/v1/admin/instances/${revoked.instanceId}/revoke`,
      {
        bearer: harness.keys.admin.operator,
        body: { reason: 'abuse' },
      },
    )
    expect(revocation.status).toBe(200)
    const before = gateway.services.log.size()
    const answers = await Promise.all(Array.from({ length: 4 * perMinute }, () => submit(revoked.token)))
    expect(answers.map((answer) => answer.body.error?.code)).toStrictEqual(
      answers.map(() => 'INSTANCE_REVOKED'),
    )
    const attested = answers.filter((answer) => answer.body.error?.attestation !== undefined)
    const unattested = answers.filter((answer) => answer.body.error?.attestation === undefined)
    // Exactly the budget, though every request raced for it: the count is one atomic step in Redis.
    expect(attested).toHaveLength(perMinute)
    expect(gateway.services.log.size() - before).toBe(perMinute)
    for (const answer of unattested) {
      expect(answer.status).toBe(403)
      expect(answer.body.error?.reasons?.map((reason) => reason.code)).toContain('REFUSAL_NOT_ATTESTED')
    }
  })

  test("one instance's flood does not spend another's budget, and approvals are never held back", async () => {
    const flooding = await demoInstance(harness, gateway)
    const other = await demoInstance(harness, gateway)
    await callJson(gateway.url, 'POST', '/v1/admin/kill-switch', {
      bearer: harness.keys.admin.operator,
      body: { scope: 'instance', target: flooding.instanceId, reason: 'drill' },
    })
    for (let index = 0; index < 2 * perMinute; index++) {
      expect((await submit(flooding.token)).body.error?.code).toBe('KILL_SWITCH')
    }
    const refusedElsewhere = await callJson(gateway.url, 'POST', '/v1/meta-transactions', {
      bearer: other.token,
      body: { ...(await signedVote()), signature: `0x${'11'.repeat(64)}1b` },
    })
    expect(refusedElsewhere.body.error?.code).toBe('REQUEST_SIGNATURE_INVALID')
    expect(refusedElsewhere.body.error?.attestation).toBeDefined()
    const approved = await submit(other.token)
    expect(approved.status).toBe(202)
    expect(approved.body.attestation).toBeDefined()
  })
})
