import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { signEd25519 } from '../../../src/crypto/ed25519.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { signTemplate } from '../../../src/templates/signTemplate.js'
import { malleateEd25519 } from '../../support/forgeries.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { demoInstance, fixtureAddresses } from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway
let token: string
let otherInstanceId: string

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const decode = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'))

beforeAll(async () => {
  gateway = await harness.start()
  token = (await demoInstance(harness, gateway)).token
  otherInstanceId = (await demoInstance(harness, gateway)).instanceId
})
afterAll(() => harness.stopAll())

const publish = (envelope: unknown) =>
  callJson(gateway.url, 'POST', '/v1/admin/templates', {
    bearer: harness.keys.admin.operator,
    body: envelope,
  })

async function sessionWith(bearer: string) {
  return callJson(gateway.url, 'GET', '/v1/session', { bearer })
}

describe('forged capability tokens are 401 TOKEN_INVALID at the gateway', () => {
  test('the genuine token works, so the refusals below are about the forgery', async () => {
    expect((await sessionWith(token)).status).toBe(200)
  })

  test('alg none, with the signature dropped', async () => {
    const [header, payload] = token.split('.')
    const none = `${segment({ ...decode(header), alg: 'none' })}.${payload}.`
    const response = await sessionWith(none)
    expect(response.status).toBe(401)
    expect(response.body.error?.code).toBe('TOKEN_INVALID')
  })

  test('signed by a key the gateway trusts for something else (a template authority), under its kid', async () => {
    const [header, payload] = token.split('.')
    const input = `${header}.${payload}`
    const [authority] = harness.keys.authorities
    if (!authority) throw new Error('the harness has authorities')
    const signature = Buffer.from(signEd25519(authority, Buffer.from(input))).toString('base64url')
    const response = await sessionWith(`${input}.${signature}`)
    expect(response.status).toBe(401)
    expect(response.body.error?.code).toBe('TOKEN_INVALID')
  })

  test('a claim swapped for another instance, keeping the signature', async () => {
    const [header, payload, signature] = token.split('.')
    const swapped = `${header}.${segment({ ...decode(payload), sub: otherInstanceId })}.${signature}`
    const response = await sessionWith(swapped)
    expect(response.status).toBe(401)
    expect(response.body.error?.code).toBe('TOKEN_INVALID')
  })

  test('a lifetime stretched, keeping the signature', async () => {
    const [header, payload, signature] = token.split('.')
    const claims = decode(payload) as { exp: number }
    const stretched = `${header}.${segment({ ...claims, exp: claims.exp + 86_400 })}.${signature}`
    expect((await sessionWith(stretched)).body.error?.code).toBe('TOKEN_INVALID')
  })
})

describe('forged template envelopes are refused at publish', () => {
  async function signedDemo() {
    const addresses = await fixtureAddresses()
    return communityPollManifest({
      chainId: 31337,
      expiresAt: '2099-01-01T00:00:00Z',
      poll: addresses.targets.communityPoll,
      token: addresses.targets.demoToken,
    })
  }

  test('signed by an untrusted key that claims a trusted keyid', async () => {
    const [authority] = harness.keys.authorities
    if (!authority) throw new Error('the harness has authorities')
    const envelope = signTemplate(await signedDemo(), [harness.keys.tokenKey])
    const forged = {
      ...envelope,
      signatures: envelope.signatures.map((s) => ({ ...s, keyid: authority.keyid })),
    }
    const response = await publish(forged)
    expect(response.status).toBe(422)
    expect(response.body.error?.code).toBe('TEMPLATE_SIGNATURE_INVALID')
  })

  test('a genuine signature malleated to S + L, or the payload changed under it', async () => {
    const [authority] = harness.keys.authorities
    if (!authority) throw new Error('the harness has authorities')
    const manifest = await signedDemo()
    const envelope = signTemplate(manifest, [authority])
    const malleated = {
      ...envelope,
      signatures: envelope.signatures.map((s) => ({
        ...s,
        sig: Buffer.from(malleateEd25519(Buffer.from(s.sig, 'base64'))).toString('base64'),
      })),
    }
    const changed = {
      ...envelope,
      payload: Buffer.from(JSON.stringify({ ...manifest, verificationLevel: 3 })).toString('base64'),
    }
    for (const body of [malleated, changed]) {
      const response = await publish(body)
      expect(response.status).toBe(422)
      expect(response.body.error?.code).toBe('TEMPLATE_SIGNATURE_INVALID')
    }
  })
})
