import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { CliIo } from '../../../src/cli/cliIo.js'
import { runPolicy } from '../../../src/cli/policy.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { repoRoot } from '../../support/paths.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser, tokenCall } from '../pipeline/metaTxSetup.js'
import { generateSigningKey, signPoliciesWithData } from '../policy/policyBundles.js'

const harness = createGatewayHarness()
const workDir = mkdtempSync(join(tmpdir(), 'intentgate-replay-'))
const bundleKey = generateSigningKey(workDir, 'ops', 'rsa')
let gateway: RunningGateway
let denyPollBundle: Uint8Array
let denyPollPath: string
let sameBundle: Uint8Array
let votes: number

beforeAll(async () => {
  const publicKeyFile = join(workDir, 'ops.public.pem')
  writeFileSync(publicKeyFile, bundleKey.publicKeyPem)
  gateway = await harness.start({ POLICY_BUNDLE_KEYS: `ops=${publicKeyFile}` })
  const addresses = await fixtureAddresses()
  const data = JSON.parse(readFileSync(join(repoRoot, 'policies/intentgate/data.json'), 'utf8'))
  sameBundle = signPoliciesWithData(workDir, data, {
    key: bundleKey,
    keyId: 'ops',
    revision: 'same',
    output: join(workDir, 'same.tar.gz'),
  })
  data.config.denylist.addresses = [addresses.targets.communityPoll]
  denyPollPath = join(workDir, 'deny-poll.tar.gz')
  denyPollBundle = signPoliciesWithData(workDir, data, {
    key: bundleKey,
    keyId: 'ops',
    revision: 'deny-poll',
    output: denyPollPath,
  })

  const { token } = await demoInstance(harness, gateway)
  const submit = async (to: `0x${string}`, callData: `0x${string}`, tamper = false) => {
    const body = await signForwardRequest({
      account: freshUser(),
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
      to,
      data: callData,
    })
    // Claimed by another sender: the signature no longer recovers to `from`, a refusal before the policy.
    const sent = tamper ? { ...body, from: freshUser().address } : body
    return callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body: sent })
  }
  const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
  votes = 3
  for (let i = 0; i < votes; i++)
    expect((await submit(addresses.targets.communityPoll, vote)).status).toBe(202)
  expect(
    (await submit(addresses.targets.demoToken, tokenCall('mint', [freshUser().address, 1n]))).status,
  ).toBe(403)
  expect((await submit(addresses.targets.communityPoll, vote, true)).status).toBe(422)
}, 20 * 60_000)
afterAll(() => harness.stopAll())

function replay(bundle: Uint8Array, query = '', bearer = harness.keys.admin.operator) {
  return fetch(`${gateway.url}/v1/admin/policy/replay${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/gzip' },
    body: Buffer.from(bundle),
  })
}

describe('policy replay', () => {
  test('reports the votes a candidate that deny-lists the poll would deny, and writes nothing', async () => {
    const sizeBefore = gateway.services.log.size()
    const response = await replay(denyPollBundle)
    expect(response.status).toBe(200)
    const report = (await response.json()) as {
      newlyDenied: { byTemplate: Record<string, number>; examples: unknown[] }
    }
    expect(report).toMatchObject({
      candidate: { revision: 'deny-poll' },
      considered: votes + 2,
      replayed: votes + 1,
      unchanged: 1,
      skipped: { count: 1, byCause: { 'not-decided-by-policy': 1 } },
      newlyDenied: { count: votes, byReason: { ADDRESS_DENIED: votes } },
      newlyAllowed: { count: 0 },
      reasonsChanged: { count: 0 },
    })
    expect(Object.values(report.newlyDenied.byTemplate)).toStrictEqual([votes])
    expect(report.newlyDenied.examples[0]).toMatchObject({
      recorded: { allow: true, reasons: [] },
      candidate: { allow: false, reasons: ['ADDRESS_DENIED'] },
    })
    expect(gateway.services.log.size()).toBe(sizeBefore)
    expect(gateway.services.policies.current().revision).toBe('builtin')
  })

  test('the same rules in a new bundle change nothing; last narrows the replay', async () => {
    expect(await (await replay(sameBundle)).json()).toMatchObject({
      replayed: votes + 1,
      unchanged: votes + 1,
    })
    expect(await (await replay(denyPollBundle, '?last=2')).json()).toMatchObject({ considered: 2 })
    expect(await (await replay(denyPollBundle, '?since=2099-01-01T00:00:00Z')).json()).toMatchObject({
      considered: 0,
    })
  })

  test('intentgate policy replay prints the report', async () => {
    let stdout = ''
    const io: CliIo = {
      stdout: (text) => (stdout += text),
      stderr: () => undefined,
      env: { INTENTGATE_URL: gateway.url, INTENTGATE_ADMIN_KEY: harness.keys.admin.operator },
    }
    expect(await runPolicy(['replay', '--bundle', denyPollPath], io)).toBe(0)
    expect(stdout).toContain('candidate deny-poll')
    expect(stdout).toMatch(new RegExp(`newly denied +${votes} +by reason: ADDRESS_DENIED ${votes}`))
  })

  test('refuses auditors, unsigned bundles and bad queries with stable codes', async () => {
    const codeOf = async (response: Response) => [
      response.status,
      ((await response.json()) as { error: { code: string } }).error.code,
    ]
    expect(await codeOf(await replay(denyPollBundle, '', harness.keys.admin.auditor))).toStrictEqual([
      403,
      'FORBIDDEN',
    ])
    expect(await codeOf(await replay(new TextEncoder().encode('not a bundle')))).toStrictEqual([
      422,
      'POLICY_BUNDLE_INVALID',
    ])
    expect(await codeOf(await replay(denyPollBundle, '?last=2&since=2030-01-01T00:00:00Z'))).toStrictEqual([
      400,
      'INVALID_REQUEST',
    ])
    expect(await codeOf(await replay(denyPollBundle, '?last=0'))).toStrictEqual([400, 'INVALID_REQUEST'])
  })
})
