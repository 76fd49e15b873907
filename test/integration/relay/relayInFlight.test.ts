import type { Address } from 'viem'
import { afterEach, beforeAll, expect, test } from 'vitest'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
import {
  forwarderNonce,
  fundedRelayerKeys,
  relayEnv,
  submitApprove,
  waitForStatus,
} from '../../support/relayHarness.js'
import { anvilUrl, demoInstance, freshUser } from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
afterEach(() => harness.stopAll())

let relayers: { keys: `0x${string}`[]; addresses: Address[] }
beforeAll(async () => {
  relayers = await fundedRelayerKeys(anvilUrl, 2)
})

test('a worker that starts behind a backlog keeps no more transactions in flight than its keys may hold, and lands them all', {
  timeout: 180_000,
}, async () => {
  // The backlog: 40 requests admitted while no worker runs.
  const api = await harness.start(relayEnv(relayers.keys), { role: 'api' })
  const instance = await demoInstance(harness, api)
  const users = Array.from({ length: 40 }, () => freshUser())
  const ids = await Promise.all(
    users.map((user) =>
      submitApprove({ gatewayUrl: api.url, token: instance.token, rpcUrl: anvilUrl, user }),
    ),
  )

  // Two keys, two transactions each in flight at most, sixteen jobs at once: the jobs wait for a place.
  const { redis } = await openRedis()
  // The cap counts what is not seen mined yet (`due`); mined ones waiting for confirmations do not hold a place.
  const inFlightKeys = [`${harness.keyPrefix}relay:due:31337`]
  let most = 0
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      const counts = await Promise.all(inFlightKeys.map((key) => redis.zcard(key)))
      most = Math.max(
        most,
        counts.reduce((sum, count) => sum + count, 0),
      )
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })()
  try {
    const worker = await harness.start(
      relayEnv(relayers.keys, { RELAY_MAX_IN_FLIGHT_PER_KEY: '2', RELAY_CONCURRENCY: '16' }),
    )
    const views = await Promise.all(
      ids.map((id) =>
        waitForStatus(worker.url, instance.token, id, ['confirmed', 'reverted', 'failed'], 120_000),
      ),
    )
    expect(views.map((view) => view.status)).toStrictEqual(ids.map(() => 'confirmed'))
  } finally {
    sampling = false
    await sampler
    redis.disconnect()
  }
  expect(most).toBeGreaterThan(0)
  expect(most).toBeLessThanOrEqual(4)
  // Each executed once.
  for (const user of users) expect(await forwarderNonce(anvilUrl, user.address)).toBe(1n)
})
