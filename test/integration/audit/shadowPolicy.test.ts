import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { repoRoot } from '../../support/paths.js'
import {
  anvilUrl,
  demoInstance,
  fixtureAddresses,
  freshUser,
  statementOf,
  tokenCall,
} from '../pipeline/metaTxSetup.js'
import { generateSigningKey, signPoliciesWithData } from '../policy/policyBundles.js'

const harness = createGatewayHarness()
const workDir = mkdtempSync(join(tmpdir(), 'intentgate-shadow-'))
const bundleKey = generateSigningKey(workDir, 'ops', 'rsa')
let gateway: RunningGateway
let bundleKeys: string
let shadowFile: string

beforeAll(async () => {
  const publicKeyFile = join(workDir, 'ops.public.pem')
  writeFileSync(publicKeyFile, bundleKey.publicKeyPem)
  bundleKeys = `ops=${publicKeyFile}`
  const addresses = await fixtureAddresses()
  const data = JSON.parse(readFileSync(join(repoRoot, 'policies/intentgate/data.json'), 'utf8'))
  data.config.denylist.addresses = [addresses.targets.communityPoll]
  shadowFile = join(workDir, 'deny-poll.tar.gz')
  signPoliciesWithData(workDir, data, {
    key: bundleKey,
    keyId: 'ops',
    revision: 'deny-poll',
    output: shadowFile,
  })
  gateway = await harness.start({ POLICY_BUNDLE_KEYS: bundleKeys, POLICY_SHADOW_BUNDLE_FILE: shadowFile })
}, 20 * 60_000)
afterAll(() => harness.stopAll())

async function shadowCounts(): Promise<Record<string, number>> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text()
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(
    /^intentgate_policy_shadow_decisions_total\{change="([a-z-]+)",active="[a-z]+",shadow="[a-z]+"\} (\d+)$/gm,
  ))
    counts[match[1] as string] = (counts[match[1] as string] ?? 0) + Number(match[2])
  return counts
}

describe('shadow mode', () => {
  test('live decisions follow the active policy; the candidate only counts its disagreements', async () => {
    const addresses = await fixtureAddresses()
    const { token, instanceId } = await demoInstance(harness, gateway)
    const submit = async (to: `0x${string}`, data: `0x${string}`) => {
      const body = await signForwardRequest({
        account: freshUser(),
        rpcUrl: anvilUrl,
        forwarder: addresses.forwarder,
        to,
        data,
      })
      return callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body })
    }
    const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [2n] })
    const approved = await submit(addresses.targets.communityPoll, vote)
    expect(approved.status).toBe(202)
    const attestation = approved.body.attestation as { envelope: unknown }
    expect(statementOf(attestation.envelope).predicate.policy.revision).toBe('builtin')
    expect(
      (await submit(addresses.targets.demoToken, tokenCall('mint', [freshUser().address, 1n]))).status,
    ).toBe(403)
    expect(await shadowCounts()).toStrictEqual({ 'newly-denied': 1, unchanged: 1 })

    // An operator's dry run is not traffic: the shadow does not see it.
    const dry = await callJson(gateway.url, 'POST', '/v1/policy/evaluate', {
      bearer: harness.keys.admin.operator,
      body: {
        instanceId,
        metaTransaction: await signForwardRequest({
          account: freshUser(),
          rpcUrl: anvilUrl,
          forwarder: addresses.forwarder,
          to: addresses.targets.communityPoll,
          data: vote,
        }),
      },
    })
    expect(dry.status).toBe(200)
    expect(await shadowCounts()).toStrictEqual({ 'newly-denied': 1, unchanged: 1 })
  })

  test('a shadow bundle that does not verify stops boot with the setting named', async () => {
    const unsigned = join(workDir, 'unsigned.tar.gz')
    writeFileSync(unsigned, 'not a bundle')
    await expect(
      harness.start({ POLICY_BUNDLE_KEYS: bundleKeys, POLICY_SHADOW_BUNDLE_FILE: unsigned }),
    ).rejects.toThrow(/POLICY_SHADOW_BUNDLE_FILE/)
  })
})
