import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { issueCapabilityToken } from '../../../src/auth/capabilityToken.js'
import { loadChainAddresses } from '../../../src/chain/addresses.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { signTemplate } from '../../../src/templates/signTemplate.js'
import { templateDigest } from '../../../src/templates/templateDigest.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureAddressesPath } from '../../support/paths.js'

const harness = createGatewayHarness()
const { operator, auditor } = harness.keys.admin
const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
let gateway: RunningGateway
let addresses: Awaited<ReturnType<typeof loadChainAddresses>>
let version = 0

beforeAll(async () => {
  gateway = await harness.start()
  addresses = await loadChainAddresses(fixtureAddressesPath)
})
afterAll(() => harness.stopAll())

/** Publishes a fresh version of the demo template and returns its digest. */
async function publishTemplate(overrides: Record<string, unknown> = {}): Promise<string> {
  version++
  const document = {
    ...communityPollManifest({ chainId: 31337, expiresAt }),
    version: `3.0.${version}`,
    ...overrides,
  }
  const response = await callJson(gateway.url, 'POST', '/v1/admin/templates', {
    bearer: operator,
    body: signTemplate(document, [harness.keys.authorities[0] as (typeof harness.keys.authorities)[0]]),
  })
  expect(response.status).toBe(201)
  return templateDigest(document)
}

async function createInstance(digest: string, params?: Record<string, unknown>) {
  return callJson(gateway.url, 'POST', '/v1/admin/instances', {
    bearer: operator,
    body: {
      templateDigest: digest,
      params: params ?? { poll: addresses.targets.communityPoll, token: addresses.targets.demoToken },
    },
  })
}

async function instanceWithToken(digest?: string) {
  const created = await createInstance(digest ?? (await publishTemplate()))
  expect(created.status).toBe(201)
  return created.body as { instance: { id: string }; token: string; tokenClaims: { jti: string } }
}

const session = (token: string) => callJson(gateway.url, 'GET', '/v1/session', { bearer: token })

describe('instances', () => {
  test('an instance resolves its params into a concrete intent and its token opens a session', async () => {
    const digest = await publishTemplate()
    const { instance, token } = await instanceWithToken(digest)
    const opened = await session(token)
    expect(opened.status).toBe(200)
    expect(opened.body).toMatchObject({
      instance: { id: instance.id },
      template: { id: 'community-poll', digest, verificationLevel: 1 },
      capabilities: ['relay:meta-tx', 'sponsor:user-op'],
    })
    const intent = (opened.body.instance as { intent: { calls: { to: string }[] } }).intent
    expect(intent.calls.map((call) => call.to)).toStrictEqual([
      addresses.targets.communityPoll,
      addresses.targets.demoToken,
    ])
  })

  test('params that do not match the declared types are PARAMS_INVALID naming the param', async () => {
    const digest = await publishTemplate()
    const wrongType = await createInstance(digest, {
      poll: 'not-an-address',
      token: addresses.targets.demoToken,
    })
    expect(wrongType.status).toBe(400)
    expect(wrongType.body.error?.code).toBe('PARAMS_INVALID')
    expect(wrongType.body.error?.message).toContain('poll')
    const unknown = await createInstance(digest, {
      poll: addresses.targets.communityPoll,
      token: addresses.targets.demoToken,
      colour: 'blue',
    })
    expect(unknown.body.error?.code).toBe('PARAMS_INVALID')
    const missing = await createInstance(digest, { poll: addresses.targets.communityPoll })
    expect(missing.body.error?.message).toContain('token')
  })

  test('an unknown template digest is TEMPLATE_NOT_FOUND', async () => {
    const response = await createInstance(`sha256:${'0'.repeat(64)}`)
    expect(response).toMatchObject({ status: 404, body: { error: { code: 'TEMPLATE_NOT_FOUND' } } })
  })

  test('a revoked instance refuses every token with INSTANCE_REVOKED', async () => {
    const { instance, token } = await instanceWithToken()
    const second = await callJson(gateway.url, 'POST', `/v1/admin/instances/${instance.id}/tokens`, {
      bearer: operator,
      body: {},
    })
    expect(second.status).toBe(201)
    const revoked = await callJson(gateway.url, 'POST', `/v1/admin/instances/${instance.id}/revoke`, {
      bearer: operator,
      body: { reason: 'app misbehaved' },
    })
    expect(revoked.body).toMatchObject({
      instance: { status: 'revoked', statusReason: 'app misbehaved', statusBy: 'alice' },
    })
    for (const presented of [token, second.body.token as string]) {
      expect(await session(presented)).toMatchObject({
        status: 403,
        body: { error: { code: 'INSTANCE_REVOKED' } },
      })
    }
    const fresh = await callJson(gateway.url, 'POST', `/v1/admin/instances/${instance.id}/tokens`, {
      bearer: operator,
      body: {},
    })
    expect(fresh.body.error?.code).toBe('INSTANCE_REVOKED')
    const read = await callJson(gateway.url, 'GET', `/v1/admin/instances/${instance.id}`, { bearer: auditor })
    expect(read.body).toMatchObject({ instance: { id: instance.id, status: 'revoked' } })
  })
})

describe('template status', () => {
  test('a deprecated template refuses new instances but keeps existing ones working', async () => {
    const digest = await publishTemplate()
    const { token } = await instanceWithToken(digest)
    const deprecated = await callJson(gateway.url, 'POST', `/v1/admin/templates/${digest}/deprecate`, {
      bearer: operator,
      body: { reason: 'superseded by 4.0' },
    })
    expect(deprecated.body).toMatchObject({
      template: { status: 'deprecated', statusReason: 'superseded by 4.0' },
    })
    expect(await createInstance(digest)).toMatchObject({
      status: 403,
      body: { error: { code: 'TEMPLATE_DEPRECATED' } },
    })
    expect((await session(token)).status).toBe(200)
  })

  test('a revoked template refuses every instance, and cannot be brought back by deprecating it', async () => {
    const digest = await publishTemplate()
    const { token } = await instanceWithToken(digest)
    const revoked = await callJson(gateway.url, 'POST', `/v1/admin/templates/${digest}/revoke`, {
      bearer: operator,
      body: { reason: 'drains user funds' },
    })
    expect(revoked.body).toMatchObject({ template: { status: 'revoked', statusReason: 'drains user funds' } })
    expect(await session(token)).toMatchObject({ status: 403, body: { error: { code: 'TEMPLATE_REVOKED' } } })
    const deprecate = await callJson(gateway.url, 'POST', `/v1/admin/templates/${digest}/deprecate`, {
      bearer: operator,
      body: { reason: 'try to undo revoke' },
    })
    expect(deprecate.body.error?.code).toBe('TEMPLATE_REVOKED')
    expect(await createInstance(digest)).toMatchObject({
      status: 403,
      body: { error: { code: 'TEMPLATE_REVOKED' } },
    })
  })

  test('a template revoked while a request is in flight stops that request at its recheck', async () => {
    const digest = await publishTemplate()
    const { token } = await instanceWithToken(digest)
    const { authorizer, registry } = gateway.services
    const inFlight = await authorizer.authorize(`Bearer ${token}`)
    expect(inFlight.template.status).toBe('active')
    await registry.revoke(digest, 'alice', 'revoked mid-request')
    await expect(authorizer.recheck(inFlight)).rejects.toMatchObject({ code: 'TEMPLATE_REVOKED' })
  })

  test('an instance or a token revoked while a request is in flight stops it at its recheck, which reads only what can change', async () => {
    const { authorizer, instances } = gateway.services
    const first = await instanceWithToken()
    const inFlight = await authorizer.authorize(`Bearer ${first.token}`)
    // Still good: the recheck answers the session it was given, with the instance's params and
    // intent as first read.
    expect(await authorizer.recheck(inFlight, { chainId: 31337 })).toEqual(inFlight)
    await instances.revoke(first.instance.id, 'alice', 'revoked mid-request')
    await expect(authorizer.recheck(inFlight)).rejects.toMatchObject({ code: 'INSTANCE_REVOKED' })

    const second = await instanceWithToken()
    const alsoInFlight = await authorizer.authorize(`Bearer ${second.token}`)
    await instances.revokeToken(second.tokenClaims.jti, 'alice', 'leaked')
    await expect(authorizer.recheck(alsoInFlight)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' })
  })
})

describe('capability tokens', () => {
  test('a token revoked by its jti is TOKEN_REVOKED while its siblings keep working', async () => {
    const { instance, token, tokenClaims } = await instanceWithToken()
    const sibling = await callJson(gateway.url, 'POST', `/v1/admin/instances/${instance.id}/tokens`, {
      bearer: operator,
      body: { ttlSeconds: 3600 },
    })
    const revoked = await callJson(gateway.url, 'POST', '/v1/admin/tokens/revoke', {
      bearer: operator,
      body: { jti: tokenClaims.jti, reason: 'leaked in a log' },
    })
    expect(revoked.status).toBe(200)
    expect(await session(token)).toMatchObject({ status: 401, body: { error: { code: 'TOKEN_REVOKED' } } })
    expect((await session(sibling.body.token as string)).status).toBe(200)
  })

  test('an expired token is TOKEN_EXPIRED', async () => {
    const { instance } = await instanceWithToken()
    const digest = (
      await callJson(gateway.url, 'GET', `/v1/admin/instances/${instance.id}`, { bearer: auditor })
    ).body.instance as { templateDigest: string }
    const { token } = issueCapabilityToken({
      key: harness.keys.tokenKey,
      issuer: 'intentgate',
      audience: 'intentgate',
      instanceId: instance.id,
      templateDigest: digest.templateDigest,
      capabilities: ['relay:meta-tx'],
      ttlSeconds: 3600,
      now: new Date(Date.now() - 2 * 3600 * 1000),
    })
    expect(await session(token)).toMatchObject({ status: 401, body: { error: { code: 'TOKEN_EXPIRED' } } })
  })

  test('a token for another audience, or signed by another key, is TOKEN_INVALID', async () => {
    const { instance } = await instanceWithToken()
    const stored = (
      await callJson(gateway.url, 'GET', `/v1/admin/instances/${instance.id}`, { bearer: auditor })
    ).body.instance as { templateDigest: string }
    const base = {
      key: harness.keys.tokenKey,
      issuer: 'intentgate',
      audience: 'intentgate',
      instanceId: instance.id,
      templateDigest: stored.templateDigest,
      capabilities: ['relay:meta-tx' as const],
      ttlSeconds: 3600,
      now: new Date(),
    }
    const otherAudience = issueCapabilityToken({ ...base, audience: 'another-gateway' }).token
    expect(await session(otherAudience)).toMatchObject({
      status: 401,
      body: { error: { code: 'TOKEN_INVALID' } },
    })
    const otherKey = issueCapabilityToken({
      ...base,
      key: harness.keys.authorities[0] as typeof base.key,
    }).token
    expect(await session(otherKey)).toMatchObject({ status: 401, body: { error: { code: 'TOKEN_INVALID' } } })
  })

  test('no token is UNAUTHENTICATED and a malformed one TOKEN_INVALID', async () => {
    expect(await callJson(gateway.url, 'GET', '/v1/session')).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED' } },
    })
    expect(await session('not.a.jwt')).toMatchObject({
      status: 401,
      body: { error: { code: 'TOKEN_INVALID' } },
    })
  })
})
