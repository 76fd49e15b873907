import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadChainAddresses } from '../../../src/chain/addresses.js'
import { freePort } from '../../../src/devtools/redisServer.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { signTemplate } from '../../../src/templates/signTemplate.js'
import { templateDigest } from '../../../src/templates/templateDigest.js'
import { callJson, createGatewayHarness, type JsonResponse } from '../../support/gatewayHarness.js'
import { fixtureAddressesPath } from '../../support/paths.js'
import { openRedis } from '../../support/redisClient.js'

const harness = createGatewayHarness()
const { operator } = harness.keys.admin
// Two gateway processes' worth of state in one test process: separate Redis connections,
// separate kill switch caches and subscriptions, one shared Redis.
let gatewayA: RunningGateway
let gatewayB: RunningGateway
let instanceOne: { id: string; token: string }
let instanceTwo: { id: string; token: string }

beforeAll(async () => {
  gatewayA = await harness.start()
  gatewayB = await harness.start()
  const addresses = await loadChainAddresses(fixtureAddressesPath)
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
  const document = communityPollManifest({
    chainId: 31337,
    expiresAt,
    poll: addresses.targets.communityPoll,
    token: addresses.targets.demoToken,
  })
  const authority = harness.keys.authorities[0] as (typeof harness.keys.authorities)[0]
  await callJson(gatewayA.url, 'POST', '/v1/admin/templates', {
    bearer: operator,
    body: signTemplate(document, [authority]),
  })
  const create = async () => {
    const created = await callJson(gatewayA.url, 'POST', '/v1/admin/instances', {
      bearer: operator,
      body: { templateDigest: templateDigest(document) },
    })
    expect(created.status).toBe(201)
    const body = created.body as { instance: { id: string }; token: string }
    return { id: body.instance.id, token: body.token }
  }
  instanceOne = await create()
  instanceTwo = await create()
})
afterAll(() => harness.stopAll())

const session = (gateway: RunningGateway, token: string) =>
  callJson(gateway.url, 'GET', '/v1/session', { bearer: token })

/** Polls until `predicate` holds and returns how long it took; fails after `limitMs`. */
async function millisecondsUntil(
  probe: () => Promise<JsonResponse>,
  predicate: (response: JsonResponse) => boolean,
) {
  const started = performance.now()
  const limitMs = 3_000
  while (performance.now() - started < limitMs) {
    if (predicate(await probe())) return performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`condition not reached within ${limitMs} ms`)
}

const killed = (response: JsonResponse) =>
  response.status === 403 && response.body.error?.code === 'KILL_SWITCH'
const open = (response: JsonResponse) => response.status === 200

async function engage(body: Record<string, unknown>) {
  const response = await callJson(gatewayA.url, 'POST', '/v1/admin/kill-switch', { bearer: operator, body })
  expect(response.status).toBe(201)
}
async function release(body: Record<string, unknown>) {
  const response = await callJson(gatewayA.url, 'DELETE', '/v1/admin/kill-switch', { bearer: operator, body })
  expect(response.body).toStrictEqual({ released: true })
}

describe('kill switch across gateway processes', () => {
  test('an instance switch flipped on one process stops that instance on the other within 1 s, and only it', async () => {
    expect((await session(gatewayB, instanceOne.token)).status).toBe(200)
    await engage({ scope: 'instance', target: instanceOne.id, reason: 'suspicious burst' })
    const elapsed = await millisecondsUntil(() => session(gatewayB, instanceOne.token), killed)
    expect(elapsed).toBeLessThan(1_000)
    const denied = await session(gatewayB, instanceOne.token)
    // The operator's reason ("suspicious burst") stays with operators; the app learns the scope only.
    expect(JSON.stringify(denied.body)).not.toContain('suspicious burst')
    expect(denied.body.error?.reasons).toStrictEqual([
      { code: 'KILL_SWITCH', message: `instance ${instanceOne.id}: kill switch engaged` },
    ])
    expect((await session(gatewayB, instanceTwo.token)).status).toBe(200)

    await release({ scope: 'instance', target: instanceOne.id })
    expect(await millisecondsUntil(() => session(gatewayB, instanceOne.token), open)).toBeLessThan(1_000)
  })

  test('the template and global switches stop every instance', async () => {
    for (const scope of [{ scope: 'template', target: 'community-poll' }, { scope: 'global' }]) {
      await engage({ ...scope, reason: `drill: ${scope.scope}` })
      for (const { token } of [instanceOne, instanceTwo]) {
        expect(await millisecondsUntil(() => session(gatewayB, token), killed)).toBeLessThan(1_000)
      }
      await release(scope)
      expect(await millisecondsUntil(() => session(gatewayB, instanceTwo.token), open)).toBeLessThan(1_000)
    }
  })

  test('the chain switch stops requests for that chain only', async () => {
    await engage({ scope: 'chain', target: '31337', reason: 'reorg storm' })
    const header = `Bearer ${instanceOne.token}`
    await expect(gatewayB.services.authorizer.authorize(header, { chainId: 31337 })).rejects.toMatchObject({
      code: 'KILL_SWITCH',
    })
    await expect(gatewayB.services.authorizer.authorize(header, { chainId: 8453 })).resolves.toMatchObject({
      instance: { id: instanceOne.id },
    })
    await release({ scope: 'chain', target: '31337' })
  })

  test('a lost pub/sub notice still takes effect within 1 s through the staleness bound', async () => {
    const { redis } = await openRedis()
    try {
      const entry = {
        scope: 'global',
        reason: 'written without a notice',
        by: 'test',
        at: new Date().toISOString(),
      }
      await redis.hset(`${harness.keyPrefix}kill`, 'global', JSON.stringify(entry))
      expect(await millisecondsUntil(() => session(gatewayB, instanceTwo.token), killed)).toBeLessThan(1_000)
      await redis.hdel(`${harness.keyPrefix}kill`, 'global')
      expect(await millisecondsUntil(() => session(gatewayB, instanceTwo.token), open)).toBeLessThan(1_000)
    } finally {
      redis.disconnect()
    }
  })

  test('a kill switch entry is listed with its reason and who engaged it', async () => {
    await engage({ scope: 'instance', target: instanceTwo.id, reason: 'listing check' })
    const listed = await callJson(gatewayB.url, 'GET', '/v1/admin/kill-switch', {
      bearer: harness.keys.admin.auditor,
    })
    expect(listed.body.engaged).toMatchObject([
      { scope: 'instance', target: instanceTwo.id, reason: 'listing check', by: 'alice' },
    ])
    await release({ scope: 'instance', target: instanceTwo.id })
  })

  test('a bad kill switch request is INVALID_REQUEST naming the field', async () => {
    const response = await callJson(gatewayA.url, 'POST', '/v1/admin/kill-switch', {
      bearer: operator,
      body: { scope: 'instance', target: 'nope', reason: 'bad target' },
    })
    expect(response.status).toBe(400)
    expect(response.body.error?.message).toContain('body.target')
  })
})

describe('without Redis', () => {
  test('app requests fail closed with 503 DEPENDENCY_UNAVAILABLE', async () => {
    const offline = await harness.start({
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      DEPENDENCY_TIMEOUT_MS: '200',
    })
    const response = await session(offline, instanceOne.token)
    expect(response).toMatchObject({ status: 503, body: { error: { code: 'DEPENDENCY_UNAVAILABLE' } } })
    const admin = await callJson(offline.url, 'GET', '/v1/admin/templates', {
      bearer: harness.keys.admin.auditor,
    })
    expect(admin.status).toBe(503)
  })
})
