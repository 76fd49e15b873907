import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadChainAddresses } from '../../../src/chain/addresses.js'
import { signEnvelope } from '../../../src/crypto/dsse.js'
import { generateSigningKey } from '../../../src/crypto/ed25519.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { signTemplate } from '../../../src/templates/signTemplate.js'
import { templateDigest } from '../../../src/templates/templateDigest.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureAddressesPath } from '../../support/paths.js'
import { openRedis } from '../../support/redisClient.js'

const harness = createGatewayHarness()
const [authorityA, authorityB] = harness.keys.authorities as [
  (typeof harness.keys.authorities)[0],
  (typeof harness.keys.authorities)[0],
]
const { operator, auditor } = harness.keys.admin
let gateway: RunningGateway
let poll: `0x${string}`
let token: `0x${string}`

beforeAll(async () => {
  gateway = await harness.start()
  const addresses = await loadChainAddresses(fixtureAddressesPath)
  poll = addresses.targets.communityPoll
  token = addresses.targets.demoToken
})
afterAll(() => harness.stopAll())

const inAYear = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z')

/** A fresh manifest per test, so digests never collide across cases. */
function manifest(overrides: Record<string, unknown> = {}) {
  return { ...communityPollManifest({ chainId: 31337, expiresAt: inAYear, poll, token }), ...overrides }
}

function publish(envelope: unknown, bearer = operator) {
  return callJson(gateway.url, 'POST', '/v1/admin/templates', { bearer, body: envelope })
}

describe('publishing templates', () => {
  test('a template signed by a trusted authority is published once, then found and listed', async () => {
    const document = manifest({ version: '1.0.1' })
    const envelope = signTemplate(document, [authorityA])
    const first = await publish(envelope)
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({
      created: true,
      template: {
        digest: templateDigest(document),
        id: 'community-poll',
        version: '1.0.1',
        status: 'active',
      },
    })
    const again = await publish(envelope)
    expect(again).toMatchObject({ status: 200, body: { created: false } })

    const fetched = await callJson(gateway.url, 'GET', `/v1/admin/templates/${templateDigest(document)}`, {
      bearer: auditor,
    })
    expect(fetched.status).toBe(200)
    expect((fetched.body.template as { envelope: unknown }).envelope).toStrictEqual(envelope)
    const listed = await callJson(gateway.url, 'GET', '/v1/admin/templates', { bearer: auditor })
    const ids = (listed.body.templates as { id: string; versions: { version: string }[] }[]).map((t) => t.id)
    expect(ids).toContain('community-poll')
  })

  test('a tampered manifest is refused with TEMPLATE_SIGNATURE_INVALID', async () => {
    const envelope = signTemplate(manifest({ version: '1.0.2' }), [authorityA])
    const tampered = {
      ...envelope,
      payload: Buffer.from(JSON.stringify(manifest({ version: '1.0.2', verificationLevel: 3 }))).toString(
        'base64',
      ),
    }
    const response = await publish(tampered)
    expect(response.status).toBe(422)
    expect(response.body.error?.code).toBe('TEMPLATE_SIGNATURE_INVALID')
  })

  test('a template signed by an untrusted key is refused', async () => {
    const response = await publish(signTemplate(manifest({ version: '1.0.3' }), [generateSigningKey()]))
    expect(response.status).toBe(422)
    expect(response.body.error?.code).toBe('TEMPLATE_SIGNATURE_INVALID')
  })

  test('a payload type swap is refused, even when correctly signed for the other type', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(manifest({ version: '1.0.4' })))
    const response = await publish(signEnvelope('application/vnd.in-toto+json', bytes, [authorityA]))
    expect(response.status).toBe(422)
    expect(response.body.error?.code).toBe('TEMPLATE_SIGNATURE_INVALID')
    expect(response.body.error?.message).toContain(
      'envelope.payloadType: expected "application/vnd.intentgate.template+json"',
    )
  })

  test('too few distinct authority signatures for the level are refused; enough are accepted', async () => {
    const audited = manifest({ version: '2.0.0', verificationLevel: 2 })
    const one = await publish(signTemplate(audited, [authorityA]))
    expect(one.status).toBe(422)
    expect(one.body.error?.code).toBe('TEMPLATE_SIGNATURES_INSUFFICIENT')
    expect(one.body.error?.message).toContain('have 1, need 2')
    const sameKeyTwice = await publish(signTemplate(audited, [authorityA, authorityA]))
    expect(sameKeyTwice.body.error?.code).toBe('TEMPLATE_SIGNATURES_INSUFFICIENT')
    const two = await publish(signTemplate(audited, [authorityA, authorityB]))
    expect(two.status).toBe(201)
  })

  test('an expired template is refused with TEMPLATE_EXPIRED', async () => {
    const response = await publish(
      signTemplate(manifest({ version: '1.0.5', expiresAt: '2020-01-01T00:00:00Z' }), [authorityA]),
    )
    expect(response.status).toBe(422)
    expect(response.body.error?.code).toBe('TEMPLATE_EXPIRED')
  })

  test('a signed but invalid manifest is refused with TEMPLATE_INVALID naming the field', async () => {
    const response = await publish(signTemplate(manifest({ version: '1.0.6', colour: 'blue' }), [authorityA]))
    expect(response.status).toBe(400)
    expect(response.body.error?.code).toBe('TEMPLATE_INVALID')
    expect(response.body.error?.message).toContain('colour')
  })

  test('a body that is not JSON, or not an object, is INVALID_REQUEST', async () => {
    const notJson = await fetch(`${gateway.url}/v1/admin/templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: '{"payload":',
    })
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST')
    const array = await publish([1, 2])
    expect(array.body.error?.code).toBe('INVALID_REQUEST')
  })
})

describe('admin roles', () => {
  test('no key is UNAUTHENTICATED, an unknown key too', async () => {
    const none = await callJson(gateway.url, 'GET', '/v1/admin/templates')
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } })
    const unknown = await callJson(gateway.url, 'GET', '/v1/admin/templates', {
      bearer: `igk_${'A'.repeat(43)}`,
    })
    expect(unknown).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } })
  })

  test('an auditor reads but cannot write: FORBIDDEN with the role it needs', async () => {
    expect((await callJson(gateway.url, 'GET', '/v1/admin/kill-switch', { bearer: auditor })).status).toBe(
      200,
    )
    const write = await publish(signTemplate(manifest({ version: '1.0.7' }), [authorityA]), auditor)
    expect(write.status).toBe(403)
    expect(write.body.error).toMatchObject({
      code: 'FORBIDDEN',
      reasons: [{ code: 'ROLE_REQUIRED', message: 'this needs the operator role' }],
    })
    const engage = await callJson(gateway.url, 'POST', '/v1/admin/kill-switch', {
      bearer: auditor,
      body: { scope: 'global', reason: 'auditor should not be able to' },
    })
    expect(engage.status).toBe(403)
  })

  test('admin actions are recorded with who did them', async () => {
    const document = manifest({ version: '1.0.8' })
    await publish(signTemplate(document, [authorityA]))
    const { redis } = await openRedis()
    try {
      const entries = await redis.xrange(`${harness.keyPrefix}admin:actions`, '-', '+')
      const publishes = entries
        .map(([, fields]) =>
          Object.fromEntries(
            fields.flatMap((value, index, all) => (index % 2 ? [] : [[value, all[index + 1]]])),
          ),
        )
        .filter((entry) => entry.action === 'template.publish' && entry.target === templateDigest(document))
      expect(publishes).toHaveLength(1)
      expect(publishes[0]).toMatchObject({ actor: 'alice', role: 'operator' })
    } finally {
      redis.disconnect()
    }
  })
})
