import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness, type JsonResponse } from '../../support/gatewayHarness.js'
import { repoRoot } from '../../support/paths.js'
import { generateSigningKey, signPoliciesWithData } from '../policy/policyBundles.js'
import {
  anvilUrl,
  attestationOf,
  demoInstance,
  fixtureAddresses,
  freshUser,
  statementOf,
} from './metaTxSetup.js'

const harness = createGatewayHarness()
const workDir = mkdtempSync(join(tmpdir(), 'intentgate-swap-'))
const bundleKey = generateSigningKey(workDir, 'ops', 'rsa')
let gateway: RunningGateway
let denyPollBundle: Uint8Array

beforeAll(async () => {
  const publicKeyFile = join(workDir, 'ops.public.pem')
  writeFileSync(publicKeyFile, bundleKey.publicKeyPem)
  gateway = await harness.start({ POLICY_BUNDLE_KEYS: `ops=${publicKeyFile}` })
  // The candidate differs from the built-in policy in one way: it deny-lists the poll.
  const addresses = await fixtureAddresses()
  const data = JSON.parse(readFileSync(join(repoRoot, 'policies/intentgate/data.json'), 'utf8'))
  data.config.denylist.addresses = [addresses.targets.communityPoll]
  denyPollBundle = signPoliciesWithData(workDir, data, {
    key: bundleKey,
    keyId: 'ops',
    revision: 'deny-poll',
    output: join(workDir, 'deny-poll.tar.gz'),
  })
}, 20 * 60_000)
afterAll(() => harness.stopAll())

function upload(bundle: Uint8Array, bearer = harness.keys.admin.operator) {
  return fetch(`${gateway.url}/v1/admin/policy/bundles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/gzip' },
    body: bundle,
  })
}

/** The revision that decided a response, read from its attestation, and whether it agrees with the answer. */
function decidedBy(response: JsonResponse): { revision: string; consistent: boolean } {
  const { predicate } = statementOf(attestationOf(response).envelope)
  const codes = response.body.error?.reasons?.map((reason) => reason.code) ?? []
  const consistent =
    predicate.policy.revision === 'builtin'
      ? response.status === 202 && predicate.decision.allow
      : response.status === 403 && codes.includes('ADDRESS_DENIED') && !predicate.decision.allow
  return { revision: predicate.policy.revision, consistent }
}

describe('policy hot swap', () => {
  test('refuses an unsigned bundle and an auditor, and keeps the active policy', async () => {
    const unsigned = await upload(new Uint8Array(readFileSync(join(repoRoot, 'policies/build/policy.wasm'))))
    expect(unsigned.status).toBe(422)
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('POLICY_BUNDLE_INVALID')
    expect((await upload(denyPollBundle, harness.keys.admin.auditor)).status).toBe(403)
    expect(gateway.services.policies.current().revision).toBe('builtin')
  })

  test('requests in flight during a swap each get a decision from exactly one revision, recorded', {
    timeout: 120_000,
  }, async () => {
    const addresses = await fixtureAddresses()
    const instance = await demoInstance(harness, gateway, { params: { dailyRequestCap: '1000' } })
    const data = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [2n] })
    const sign = () =>
      signForwardRequest({
        account: freshUser(),
        rpcUrl: anvilUrl,
        forwarder: addresses.forwarder,
        to: addresses.targets.communityPoll,
        data,
        nonce: 0n,
      })
    const [before, after] = await Promise.all([
      Promise.all(Array.from({ length: 60 }, sign)),
      Promise.all(Array.from({ length: 20 }, sign)),
    ])
    const submit = (body: unknown) =>
      callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: instance.token, body })

    const inFlight = before.map(submit)
    await Promise.race(inFlight)
    const swapped = await upload(denyPollBundle)
    expect(swapped.status).toBe(201)
    const later = await Promise.all(after.map(submit))
    const during = await Promise.all(inFlight)

    const verdicts = [...during, ...later].map(decidedBy)
    expect(verdicts.every((verdict) => verdict.consistent)).toBe(true)
    expect(later.map(decidedBy).every((verdict) => verdict.revision === 'deny-poll')).toBe(true)
    expect(during.map(decidedBy).some((verdict) => verdict.revision === 'builtin')).toBe(true)

    const policy = await callJson(gateway.url, 'GET', '/v1/admin/policy', {
      bearer: harness.keys.admin.auditor,
    })
    expect(policy.body).toMatchObject({
      active: { revision: 'deny-poll', keyId: 'ops' },
      history: [{ revision: 'builtin' }],
    })
    const ready = await callJson(gateway.url, 'GET', '/readyz')
    expect(ready.body.policy).toMatchObject({ revision: 'deny-poll' })
  })
})
