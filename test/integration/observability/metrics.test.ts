import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser, tokenCall } from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway

// No RELAYER_KEYS: approved requests stay queued, so the queue depth is known.
beforeAll(async () => {
  gateway = await harness.start()
})
afterAll(() => harness.stopAll())

/** The samples of one metric family, as `labels -> value`, from a real scrape. */
async function samples(name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text()
  const found = new Map<string, number>()
  for (const match of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm')))
    found.set(match[1] ?? '', Number(match[2]))
  return found
}

describe('decision metrics against a real gateway', () => {
  test('decisions are counted by verdict, reason and template; every stage is timed; state gauges read the real state', async () => {
    const addresses = await fixtureAddresses()
    const { token } = await demoInstance(harness, gateway)
    const submit = async (to: `0x${string}`, data: `0x${string}`) =>
      callJson(gateway.url, 'POST', '/v1/meta-transactions', {
        bearer: token,
        body: await signForwardRequest({
          account: freshUser(),
          rpcUrl: anvilUrl,
          forwarder: addresses.forwarder,
          to,
          data,
        }),
      })
    const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
    expect((await submit(addresses.targets.communityPoll, vote)).status).toBe(202)
    expect((await submit(addresses.targets.communityPoll, vote)).status).toBe(202)
    const denied = await submit(addresses.targets.demoToken, tokenCall('mint', [freshUser().address, 1n]))
    expect(denied.status).toBe(403)
    const reason = denied.body.error?.reasons?.[0]?.code
    expect(reason).toBe('SELECTOR_NOT_ALLOWED')

    const decisions = await samples('intentgate_decisions_total')
    expect(decisions.get('{decision="allow",reason="none",template="community-poll"}')).toBe(2)
    expect(decisions.get(`{decision="deny",reason="${reason}",template="community-poll"}`)).toBe(1)

    const stages = await samples('intentgate_decision_stage_duration_seconds_count')
    for (const stage of ['normalize', 'simulate', 'decide', 'attest'])
      expect(stages.get(`{stage="${stage}"}`), stage).toBe(3)
    // An approval re-checks revocations and kill switches just before it commits.
    expect(stages.get('{stage="authorize"}')).toBe(5)
    // Only approvals reserve and enqueue.
    expect(stages.get('{stage="reserve"}')).toBe(2)
    expect(stages.get('{stage="enqueue"}')).toBe(2)

    const policy = gateway.services.policies.current()
    expect(await samples('intentgate_policy_info')).toStrictEqual(
      new Map([[`{revision="${policy.revision}",digest="${policy.digest}"}`, 1]]),
    )
    expect((await samples('intentgate_log_entries')).get('')).toBe(gateway.services.log.size())
    expect((await samples('intentgate_log_uncheckpointed_entries')).get('')).toBeGreaterThanOrEqual(0)
    expect((await samples('intentgate_log_checkpoint_age_seconds')).get('')).toBeGreaterThanOrEqual(0)
    expect((await samples('intentgate_relay_queue_depth')).get('{chain="31337"}')).toBe(2)
    // Two of the instance's 50 daily requests (the demo template's dailyRequestCap).
    expect(
      (await samples('intentgate_limit_utilisation_ratio')).get(
        '{template="community-poll",limit="instance-daily-requests"}',
      ),
    ).toBe(0.04)
  })
})
