import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CliIo } from '../../../src/cli/cliIo.js'
import { runPolicy } from '../../../src/cli/policy.js'
import type { RunningGateway } from '../../../src/main.js'
import type { ReplayPolicyResult } from '../../../src/pipeline/replayPolicy.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { repoRoot } from '../../support/paths.js'
import { heldAbove, submitTokenApproval } from '../approvals/approvalSetup.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser, tokenCall } from '../pipeline/metaTxSetup.js'
import { generateSigningKey, type RegoEdit, signEditedPolicies } from '../policy/policyBundles.js'

// Policies built by the real opa from the repository's Rego with one rule changed each, as an
// operator's candidate would be: replay and shadow must tell allow, deny and hold (with k) apart.
const harness = createGatewayHarness()
const workDir = mkdtempSync(join(tmpdir(), 'intentgate-held-replay-'))
const bundleKey = generateSigningKey(workDir, 'ops', 'rsa')
const publicKeyFile = join(workDir, 'ops.public.pem')
let gateway: RunningGateway
const candidates: Record<'stricter' | 'noHolds' | 'denyToken', string> = {
  stricter: join(workDir, 'stricter.tar.gz'),
  noHolds: join(workDir, 'no-holds.tar.gz'),
  denyToken: join(workDir, 'deny-token.tar.gz'),
}

/** Asks one more approval than the template says, and holds any token amount above 1. */
const stricter: RegoEdit[] = [
  {
    file: 'approvals.rego',
    from: '"required": approvals_section.required,',
    to: '"required": approvals_section.required + 1,',
  },
  {
    file: 'approvals.rego',
    from: 'decimal.greater_than(total, threshold.amount)',
    to: 'decimal.greater_than(total, "1")',
  },
]
const noHolds: RegoEdit[] = [
  { file: 'approvals.rego', from: 'count(approval_triggers) > 0', to: 'count(approval_triggers) > 1000' },
]

beforeAll(async () => {
  writeFileSync(publicKeyFile, bundleKey.publicKeyPem)
  const addresses = await fixtureAddresses()
  const data = JSON.parse(readFileSync(join(repoRoot, 'policies/intentgate/data.json'), 'utf8'))
  const sign = (revision: keyof typeof candidates, changes: Parameters<typeof signEditedPolicies>[1]) =>
    signEditedPolicies(workDir, changes, {
      key: bundleKey,
      keyId: 'ops',
      revision,
      output: candidates[revision],
    })
  sign('stricter', { rego: stricter })
  sign('noHolds', { rego: noHolds })
  sign('denyToken', {
    data: { ...data, config: { ...data.config, denylist: { addresses: [addresses.targets.demoToken] } } },
  })
  gateway = await harness.start({ POLICY_BUNDLE_KEYS: `ops=${publicKeyFile}` })

  // The log: an allowed approval of 5, one of 11 held for 2 approvals, and a denied mint.
  const { token } = await demoInstance(harness, gateway, { intent: heldAbove('10', 2) })
  const allowed = await submitTokenApproval(gateway, token, { user: freshUser(), amount: 5n })
  expect(allowed.answer.body.status).toBe('queued')
  const held = await submitTokenApproval(gateway, token, { user: freshUser(), amount: 11n })
  expect(held.answer.body).toMatchObject({ status: 'awaiting_approval', approval: { required: 2 } })
  const mint = await signForwardRequest({
    account: freshUser(),
    rpcUrl: anvilUrl,
    forwarder: addresses.forwarder,
    to: addresses.targets.demoToken,
    data: tokenCall('mint', [freshUser().address, 1n]),
  })
  const denied = await callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body: mint })
  expect(denied.status).toBe(403)
}, 20 * 60_000)
afterAll(() => harness.stopAll())

async function replay(candidate: keyof typeof candidates): Promise<ReplayPolicyResult> {
  const response = await fetch(`${gateway.url}/v1/admin/policy/replay`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${harness.keys.admin.operator}`,
      'content-type': 'application/gzip',
    },
    body: readFileSync(candidates[candidate]),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as ReplayPolicyResult
}

describe('policy replay of held decisions', () => {
  test('a candidate that holds more and asks more approvals: newly held and k changed, not newly denied', async () => {
    const report = await replay('stricter')
    expect(report).toMatchObject({
      replayed: 3,
      unchanged: 1,
      newlyDenied: { count: 0 },
      newlyHeld: {
        count: 1,
        byReason: { APPROVAL_REQUIRED: 1 },
        byTransition: { 'allow->held k=3': 1 },
        examples: [
          {
            recorded: { allow: true, outcome: 'allow' },
            candidate: {
              allow: false,
              outcome: 'held',
              reasons: ['APPROVAL_REQUIRED'],
              approvals: { required: 3 },
            },
          },
        ],
      },
      approvalsChanged: {
        count: 1,
        byTransition: { 'held k=2->held k=3': 1 },
        examples: [{ recorded: { outcome: 'held', approvals: { required: 2 } } }],
      },
    })
  })

  test('a candidate without holds: no longer held; one that deny-lists the token denies the hold', async () => {
    const withoutHolds = await replay('noHolds')
    // The hold in the log is replayed, not skipped.
    expect(withoutHolds).toMatchObject({
      considered: 3,
      replayed: 3,
      skipped: { count: 0 },
      unchanged: 2,
      noLongerHeld: { count: 1, byReason: { APPROVAL_REQUIRED: 1 }, byTransition: { 'held k=2->allow': 1 } },
      newlyAllowed: { count: 0 },
    })
    const denyToken = await replay('denyToken')
    expect(denyToken).toMatchObject({
      unchanged: 0,
      newlyDenied: {
        count: 2,
        byReason: { ADDRESS_DENIED: 2 },
        byTransition: { 'allow->deny': 1, 'held k=2->deny': 1 },
      },
      reasonsChanged: { count: 1 },
    })
  })

  test('intentgate policy replay prints each transition, a hold with its k and reason', async () => {
    let stdout = ''
    const io: CliIo = {
      stdout: (text) => (stdout += text),
      stderr: () => undefined,
      env: { INTENTGATE_URL: gateway.url, INTENTGATE_ADMIN_KEY: harness.keys.admin.operator },
    }
    expect(await runPolicy(['replay', '--bundle', candidates.stricter], io)).toBe(0)
    expect(stdout).toMatch(
      /newly held +1 +by reason: APPROVAL_REQUIRED 1 .* by transition: allow->held k=3 1/,
    )
    expect(stdout).toMatch(/k changed +1 .* by transition: held k=2->held k=3 1/)
    expect(stdout).toMatch(/: allow -> held k=3 \(token .*amounts total 5 /)
    expect(stdout).toMatch(/: held k=2 -> held k=3 \(token .*amounts total 11 /)
    expect(stdout).toMatch(/no longer held +0/)
  })
})

describe('shadow mode with holds', () => {
  test('a hold against an allow, and a hold for another k, are counted by what each policy decided', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) })
    const shadowed = await harness.start(
      { POLICY_BUNDLE_KEYS: `ops=${publicKeyFile}`, POLICY_SHADOW_BUNDLE_FILE: candidates.stricter },
      { logger },
    )
    const { token } = await demoInstance(harness, shadowed, { intent: heldAbove('10', 2) })
    const allowed = await submitTokenApproval(shadowed, token, { user: freshUser(), amount: 5n })
    expect(allowed.answer.body.status).toBe('queued')
    const held = await submitTokenApproval(shadowed, token, { user: freshUser(), amount: 11n })
    // Never enforced: the active policy's k stands.
    expect(held.answer.body).toMatchObject({ status: 'awaiting_approval', approval: { required: 2 } })

    const metrics = await (await fetch(`${shadowed.url}/metrics`)).text()
    const series = [...metrics.matchAll(/^intentgate_policy_shadow_decisions_total\{(.*)\} (\d+)$/gm)].map(
      (match) => `${match[1]} ${match[2]}`,
    )
    expect(series.sort()).toStrictEqual([
      'change="approvals-changed",active="held",shadow="held" 1',
      'change="newly-held",active="allow",shadow="held" 1',
    ])
    const disagreements = lines
      .map((line) => JSON.parse(line) as { msg: string; shadowPolicy?: Record<string, unknown> })
      .filter((line) => line.msg === 'the shadow policy disagrees')
      .map((line) => line.shadowPolicy)
    expect(disagreements).toHaveLength(2)
    expect(disagreements).toContainEqual(
      expect.objectContaining({
        change: 'approvals-changed',
        transition: 'held k=2->held k=3',
        active: expect.objectContaining({
          outcome: 'held',
          decision: expect.objectContaining({ approvals: expect.objectContaining({ required: 2 }) }),
        }),
        shadow: expect.objectContaining({
          outcome: 'held',
          revision: 'stricter',
          decision: expect.objectContaining({ approvals: expect.objectContaining({ required: 3 }) }),
        }),
      }),
    )
  })
})
