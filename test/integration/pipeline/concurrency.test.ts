import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser, statementOf } from './metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway

beforeAll(async () => {
  gateway = await harness.start()
})
afterAll(() => harness.stopAll())

test('500 parallel requests against a per-instance daily cap of 50 give exactly 50 approvals', {
  timeout: 180_000,
}, async () => {
  const addresses = await fixtureAddresses()
  const instance = await demoInstance(harness, gateway, { params: { dailyRequestCap: '50' } })
  const data = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
  // Distinct users, so the per-sender limit of the template never decides anything here.
  const bodies = await Promise.all(
    Array.from({ length: 500 }, () =>
      signForwardRequest({
        account: freshUser(),
        rpcUrl: anvilUrl,
        forwarder: addresses.forwarder,
        to: addresses.targets.communityPoll,
        data,
        nonce: 0n,
      }),
    ),
  )
  const logSizeBefore = gateway.services.log.size()

  const responses = await Promise.all(
    bodies.map((body) =>
      callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: instance.token, body }),
    ),
  )

  const statuses = responses.map((response) => response.status)
  const outcomes: Record<string, number> = {}
  for (const response of responses) {
    const key = `${response.status} ${response.body.error?.reasons?.[0]?.code ?? response.body.error?.code ?? ''}`
    outcomes[key] = (outcomes[key] ?? 0) + 1
  }
  expect(
    statuses.filter((status) => status === 202),
    JSON.stringify(outcomes),
  ).toHaveLength(50)
  expect(statuses.filter((status) => status === 429)).toHaveLength(450)
  expect(new Set(responses.filter((r) => r.status === 429).map((r) => r.body.error?.code))).toStrictEqual(
    new Set(['LIMIT_EXCEEDED']),
  )

  const { redis } = await openRedis()
  try {
    const keys = await redis.keys(
      `${harness.keyPrefix}lim:instance-daily-requests:instance:${instance.instanceId}:*`,
    )
    expect(keys).toHaveLength(1)
    expect(await redis.get(keys[0] ?? '')).toBe('50')
  } finally {
    redis.disconnect()
  }

  const decisions = { approved: 0, denied: 0 }
  for (let index = logSizeBefore; index < gateway.services.log.size(); index++) {
    const envelope = JSON.parse(new TextDecoder().decode(await gateway.services.log.entry(index)))
    const { predicate } = statementOf(envelope) as unknown as {
      predicate: { instance: { id: string }; decision: { allow: boolean } }
    }
    if (predicate.instance.id !== instance.instanceId) continue
    if (predicate.decision.allow) decisions.approved++
    else decisions.denied++
  }
  expect(decisions).toStrictEqual({ approved: 50, denied: 450 })
})
