import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runApprovals } from '../../../src/cli/approvals.js'
import type { CliIo } from '../../../src/cli/cliIo.js'
import type { RunningGateway } from '../../../src/main.js'
import { callJson } from '../../support/gatewayHarness.js'
import {
  forwarderNonce,
  fundedRelayerKeys,
  limitUsage,
  type RequestView,
  relayEnv,
  waitForStatus,
} from '../../support/relayHarness.js'
import { anvilUrl, demoInstance, freshUser } from '../pipeline/metaTxSetup.js'
import {
  allowanceOf,
  approve,
  createApprovalHarness,
  heldAbove,
  reject,
  statementIn,
  submitTokenApproval,
} from './approvalSetup.js'

const { harness, env, people } = createApprovalHarness()
let gateway: RunningGateway

beforeAll(async () => {
  const { keys } = await fundedRelayerKeys(anvilUrl, 1)
  gateway = await harness.start({ ...env, ...relayEnv(keys) })
})
afterAll(() => harness.stopAll())

type ApprovalAnswer = {
  counted: boolean
  approval: { status: string; requestStatus: string; approvals: { by: string }[]; required: number }
}

/** A held request: an approval of 11 DemoToken where the template holds anything above 10. */
async function heldRequest(required = 2, overrides: Record<string, unknown> = {}) {
  const instance = await demoInstance(harness, gateway, { intent: heldAbove('10', required), overrides })
  const user = freshUser()
  const submitted = await submitTokenApproval(gateway, instance.token, { user, amount: 11n })
  expect(submitted.answer.status).toBe(202)
  return { ...instance, user, ...submitted, id: String(submitted.answer.body.id) }
}

/** The request's record once the sweep (every 200 ms here) has cancelled it. */
async function cancelledRecord(id: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const record = await gateway.services.requests.get(id)
    if (record?.status === 'cancelled' || Date.now() > deadline) return record
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const entryAt = async (index: number) => {
  const entry = await callJson(gateway.url, 'GET', `/v1/audit/entries/${index}`, { bearer: people.carol })
  return entry.body.statement as { predicateType: string; predicate: Record<string, unknown> }
}

describe('a meta-transaction held for k-of-n approval', () => {
  test('waits, reserved, until two distinct operators approve; then it is relayed once and confirmed', async () => {
    const { id, token, instanceId, user, spender, body, answer } = await heldRequest()
    expect(answer.body).toMatchObject({
      id,
      status: 'awaiting_approval',
      approval: { required: 2, approvals: 0 },
    })
    const held = statementIn((answer.body.attestation as { envelope: unknown }).envelope).predicate
    expect(held.decision).toMatchObject({ allow: false, reasons: [{ code: 'APPROVAL_REQUIRED' }] })
    expect(held.approval).toMatchObject({ required: 2 })
    expect((held.limits as unknown[]).length).toBe(3)

    // Operators (and auditors) see what it does, why it waits, and who may not approve it.
    const listed = await callJson(gateway.url, 'GET', '/v1/admin/approvals', { bearer: people.carol })
    expect(listed.status).toBe(200)
    const view = (listed.body.approvals as Record<string, unknown>[]).find((approval) => approval.id === id)
    expect(view).toMatchObject({
      kind: 'meta-tx',
      status: 'pending',
      requestStatus: 'awaiting_approval',
      templateId: 'community-poll',
      instanceId,
      sender: user.address,
      required: 2,
      approvals: [],
      submitters: ['alice'],
      intent: { calls: [{ decoded: { function: 'approve', args: { spender, amount: '11' } } }] },
    })
    expect(String(view?.reason)).toContain('approve amounts total 11')
    expect(Date.parse(String(view?.expiresAt))).toBeGreaterThan(Date.now())
    // The same signed request again gets the same answer, and is not held twice.
    const again = await callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body })
    expect(again).toMatchObject({ status: 202, body: { id, status: 'awaiting_approval' } })

    // The submitter (alice created the instance) and an auditor never count.
    const byAlice = await approve(gateway, id, people.alice)
    expect(byAlice).toMatchObject({ status: 403, body: { error: { code: 'APPROVER_IS_SUBMITTER' } } })
    const byCarol = await approve(gateway, id, people.carol)
    expect(byCarol).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } })

    // bob counts once, however often he approves.
    const first = await approve(gateway, id, people.bob)
    expect(first.status).toBe(200)
    expect(first.body as ApprovalAnswer).toMatchObject({
      counted: true,
      approval: { status: 'pending', requestStatus: 'awaiting_approval', approvals: [{ by: 'bob' }] },
    })
    const twice = await approve(gateway, id, people.bob)
    expect(twice.body as ApprovalAnswer).toMatchObject({
      counted: false,
      approval: { approvals: [{ by: 'bob' }] },
    })
    const waiting = await callJson(gateway.url, 'GET', `/v1/requests/${id}`, { bearer: token })
    expect(waiting.body).toMatchObject({
      status: 'awaiting_approval',
      approval: { approvals: [{ by: 'bob' }] },
    })
    expect(waiting.body).not.toHaveProperty('nonceKey')
    expect(await forwarderNonce(anvilUrl, user.address)).toBe(0n)

    // dave's is the second distinct approval: the request goes to the relay, and lands once.
    const second = await approve(gateway, id, people.dave)
    expect(second.body as ApprovalAnswer).toMatchObject({
      counted: true,
      approval: { status: 'approved', approvals: [{ by: 'bob' }, { by: 'dave' }] },
    })
    const confirmed = await waitForStatus(gateway.url, token, id, ['confirmed', 'reverted', 'failed'])
    expect(confirmed.status).toBe('confirmed')
    expect(await allowanceOf(user.address, spender)).toBe(11n)
    expect(await forwarderNonce(anvilUrl, user.address)).toBe(1n)
    const late = await approve(gateway, id, people.erin)
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'APPROVAL_NOT_PENDING' } } })
    // An approver asking again counts nothing and changes nothing: the follow-up already ran.
    const retried = await approve(gateway, id, people.dave)
    expect(retried).toMatchObject({
      status: 200,
      body: { counted: false, approval: { requestStatus: 'confirmed' } },
    })

    // The log tells it all, each approval pointing back to the held decision.
    const lookup = await callJson(gateway.url, 'GET', `/v1/audit/requests/${id}`, { bearer: people.carol })
    const entries = lookup.body.entries as {
      index: number
      kind: string
      decision?: string
      actor?: string
    }[]
    expect(entries.map((entry) => entry.kind)).toEqual(['decision', 'approval', 'approval', 'outcome'])
    expect(entries[0]?.decision).toBe('held')
    expect(entries.slice(1, 3).map((entry) => entry.actor)).toEqual(['bob', 'dave'])
    const decisionIndex = entries[0]?.index
    const [bobs, daves] = await Promise.all([
      entryAt(entries[1]?.index ?? -1),
      entryAt(entries[2]?.index ?? -1),
    ])
    expect(bobs.predicate).toMatchObject({
      action: 'approve',
      actor: { name: 'bob', role: 'operator' },
      approvals: { required: 2, approvers: ['bob'] },
      status: 'pending',
      decisionEntry: { logIndex: decisionIndex },
    })
    expect(daves.predicate).toMatchObject({ approvals: { approvers: ['bob', 'dave'] }, status: 'approved' })
    const record = confirmed as RequestView & { approval: { approvals: { by: string; logIndex: number }[] } }
    expect(record.approval.approvals).toEqual([
      expect.objectContaining({ by: 'bob', logIndex: entries[1]?.index }),
      expect.objectContaining({ by: 'dave', logIndex: entries[2]?.index }),
    ])
  })

  test('below the threshold it is not held at all', async () => {
    const instance = await demoInstance(harness, gateway, { intent: heldAbove('10') })
    const { answer } = await submitTokenApproval(gateway, instance.token, { user: freshUser(), amount: 10n })
    expect(answer).toMatchObject({ status: 202, body: { status: 'queued' } })
  })

  test('one rejection ends it: attested, its reservation and sender nonce given back', async () => {
    const { id, token, user, answer } = await heldRequest()
    await approve(gateway, id, people.bob)
    const before = await limitUsage(harness.keyPrefix, waitingView(id, answer.body))
    expect(before['sender-count-1d']).toBe(1n)

    const rejected = await reject(gateway, id, people.erin, 'the amount needs a ticket')
    expect(rejected).toMatchObject({
      status: 200,
      body: { approval: { status: 'rejected', requestStatus: 'cancelled' } },
    })
    const view = await waitForStatus(gateway.url, token, id, ['cancelled'])
    expect(view.reason).toEqual({
      code: 'APPROVAL_REJECTED',
      message: 'rejected by erin: the amount needs a ticket',
    })
    const closing = statementIn(view.outcomeAttestation?.envelope)
    expect(closing.predicate).toMatchObject({
      action: 'reject',
      actor: { name: 'erin' },
      status: 'rejected',
      approvals: { approvers: ['bob'] },
    })
    const after = await limitUsage(harness.keyPrefix, view)
    expect(Object.values(after).every((used) => used === 0n)).toBe(true)

    expect(await approve(gateway, id, people.dave)).toMatchObject({
      status: 409,
      body: { error: { code: 'APPROVAL_NOT_PENDING' } },
    })
    expect(await reject(gateway, id, people.dave)).toMatchObject({ status: 409 })
    // The sender's nonce and daily count are free again: a request below the threshold goes through.
    const instanceToken = token
    const next = await submitTokenApproval(gateway, instanceToken, { user, amount: 3n })
    expect(next.answer).toMatchObject({ status: 202, body: { status: 'queued' } })
  })

  test('an operator who was issued a token of the instance is a submitter too', async () => {
    const { token, instanceId } = await demoInstance(harness, gateway, { intent: heldAbove('10') })
    const issued = await callJson(gateway.url, 'POST', `/v1/admin/instances/${instanceId}/tokens`, {
      bearer: people.bob,
      body: {},
    })
    expect(issued.status).toBe(201)
    const { answer } = await submitTokenApproval(gateway, token, { user: freshUser(), amount: 50n })
    const id = String(answer.body.id)
    expect(await approve(gateway, id, people.bob)).toMatchObject({
      status: 403,
      body: { error: { code: 'APPROVER_IS_SUBMITTER' } },
    })
    const view = await callJson(gateway.url, 'GET', `/v1/admin/approvals/${id}`, { bearer: people.dave })
    expect(view.body).toMatchObject({ approval: { submitters: ['alice', 'bob'], approvals: [] } })
  })

  test('of concurrent approvals only one is the k-th; the same operator at once counts once', async () => {
    const { id, token, user } = await heldRequest(3)
    const bobs = await Promise.all(Array.from({ length: 6 }, () => approve(gateway, id, people.bob)))
    expect(bobs.every((answer) => answer.status === 200)).toBe(true)
    expect(bobs.filter((answer) => (answer.body as ApprovalAnswer).counted)).toHaveLength(1)

    // Two operators can still approve: both at once, with alice (a submitter) trying too.
    const [dave, erin, alice] = await Promise.all([
      approve(gateway, id, people.dave),
      approve(gateway, id, people.erin),
      approve(gateway, id, people.alice),
    ])
    // alice never counts: refused as a submitter, or as too late if the other two got there first.
    expect([403, 409]).toContain(alice.status)
    const answers = [dave, erin].map((answer) => answer.body as ApprovalAnswer)
    expect(answers.every((answer) => answer.counted)).toBe(true)
    const view = await waitForStatus(gateway.url, token, id, ['confirmed', 'reverted', 'failed'])
    expect(view.status).toBe('confirmed')
    expect(await forwarderNonce(anvilUrl, user.address)).toBe(1n)
    const lookup = await callJson(gateway.url, 'GET', `/v1/audit/requests/${id}`, { bearer: people.carol })
    const kinds = (lookup.body.entries as { kind: string }[]).map((entry) => entry.kind)
    expect(kinds).toEqual(['decision', 'approval', 'approval', 'approval', 'outcome'])
  })

  test('two operators racing to be the k-th: one is, the other is told it is no longer pending', async () => {
    for (let round = 0; round < 3; round++) {
      const { id, token } = await heldRequest(2)
      await approve(gateway, id, people.bob)
      const [dave, erin] = await Promise.all([
        approve(gateway, id, people.dave),
        approve(gateway, id, people.erin),
      ])
      const statuses = [dave.status, erin.status].sort()
      expect(statuses).toEqual([200, 409])
      const winner = [dave, erin].find((answer) => answer.status === 200)?.body as ApprovalAnswer
      expect(winner).toMatchObject({ counted: true, approval: { status: 'approved' } })
      expect(winner.approval.approvals).toHaveLength(2)
      expect((await waitForStatus(gateway.url, token, id, ['confirmed'])).status).toBe('confirmed')
    }
  })

  test('three operators approving at once: each approval attested once, the request relayed once', async () => {
    for (let round = 0; round < 3; round++) {
      const { id, token, user } = await heldRequest(3)
      const answers = await Promise.all(
        [people.bob, people.dave, people.erin].map((key) => approve(gateway, id, key)),
      )
      expect(answers.map((answer) => (answer.body as ApprovalAnswer).counted)).toEqual([true, true, true])
      expect((await waitForStatus(gateway.url, token, id, ['confirmed'])).status).toBe('confirmed')
      expect(await forwarderNonce(anvilUrl, user.address)).toBe(1n)
      const lookup = await callJson(gateway.url, 'GET', `/v1/audit/requests/${id}`, { bearer: people.carol })
      const entries = lookup.body.entries as { kind: string; actor?: string }[]
      const approvals = entries.filter((entry) => entry.kind === 'approval').map((entry) => entry.actor)
      expect(approvals.sort()).toEqual(['bob', 'dave', 'erin'])
      const record = await gateway.services.requests.get(id)
      expect(record?.approval?.approvals.map((approval) => approval.by).sort()).toEqual([
        'bob',
        'dave',
        'erin',
      ])
    }
  })

  test('a kill switch refuses approvals while engaged; the sweep cancels the request of a revoked instance', async () => {
    const { id, token, instanceId, answer } = await heldRequest()
    const engaged = await callJson(gateway.url, 'POST', '/v1/admin/kill-switch', {
      bearer: people.dave,
      body: { scope: 'instance', target: instanceId, reason: 'investigating' },
    })
    expect(engaged.status).toBe(201)
    expect(await approve(gateway, id, people.bob)).toMatchObject({
      status: 403,
      body: { error: { code: 'KILL_SWITCH' } },
    })
    await callJson(gateway.url, 'DELETE', '/v1/admin/kill-switch', {
      bearer: people.dave,
      body: { scope: 'instance', target: instanceId },
    })
    const counted = await approve(gateway, id, people.bob)
    expect(counted.body as ApprovalAnswer).toMatchObject({
      counted: true,
      approval: { approvals: [{ by: 'bob' }] },
    })

    await callJson(gateway.url, 'POST', `/v1/admin/instances/${instanceId}/revoke`, {
      bearer: people.dave,
      body: { reason: 'abuse' },
    })
    // Nobody has to try approving it: the sweep gives its reservation back.
    expect(await cancelledRecord(id)).toMatchObject({
      status: 'cancelled',
      reason: { code: 'INSTANCE_REVOKED' },
    })
    expect(await approve(gateway, id, people.dave)).toMatchObject({
      status: 409,
      body: { error: { code: 'APPROVAL_NOT_PENDING' } },
    })
    const admin = await callJson(gateway.url, 'GET', `/v1/admin/approvals/${id}`, { bearer: people.carol })
    expect(admin.body).toMatchObject({
      approval: {
        status: 'cancelled',
        requestStatus: 'cancelled',
        closed: { reason: { code: 'INSTANCE_REVOKED' } },
      },
    })
    const usage = await limitUsage(harness.keyPrefix, waitingView(id, answer.body))
    expect(Object.values(usage).every((used) => used === 0n)).toBe(true)
    // The app's token died with its instance; the record still says how it ended.
    const record = await gateway.services.requests.get(id)
    expect(record).toMatchObject({ status: 'cancelled', reason: { code: 'INSTANCE_REVOKED' } })
    const byApp = await callJson(gateway.url, 'GET', `/v1/requests/${id}`, { bearer: token })
    expect(byApp.body).toMatchObject({ error: { code: 'INSTANCE_REVOKED' } })
  })

  test('the sweep cancels a request whose template expired while it waited', async () => {
    // Long enough to publish, issue a token and be held on a loaded machine; then it lapses for real.
    const expiry = Math.ceil(Date.now() / 1000) + 8
    const expiresAt = new Date(expiry * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
    const { id, answer } = await heldRequest(2, { expiresAt })
    const counted = await approve(gateway, id, people.bob)
    expect(counted.body as ApprovalAnswer).toMatchObject({ counted: true })

    expect(await cancelledRecord(id)).toMatchObject({
      status: 'cancelled',
      reason: { code: 'TEMPLATE_EXPIRED', message: expect.stringContaining(`expired at ${expiresAt}`) },
    })
    expect(Date.now()).toBeGreaterThanOrEqual(expiry * 1000)
    const admin = await callJson(gateway.url, 'GET', `/v1/admin/approvals/${id}`, { bearer: people.carol })
    expect(admin.body).toMatchObject({
      approval: {
        status: 'cancelled',
        requestStatus: 'cancelled',
        approvals: [{ by: 'bob' }],
        closed: { reason: { code: 'TEMPLATE_EXPIRED' } },
      },
    })
    const usage = await limitUsage(harness.keyPrefix, waitingView(id, answer.body))
    expect(Object.values(usage).every((used) => used === 0n)).toBe(true)
    expect(await approve(gateway, id, people.dave)).toMatchObject({ status: 409 })
  })

  test('the CLI lists held requests, approves and rejects them as the operator whose key it holds', async () => {
    const run = async (args: string[], key: string) => {
      let stdout = ''
      const io: CliIo = {
        stdout: (text) => (stdout += text),
        stderr: () => undefined,
        env: { INTENTGATE_URL: gateway.url, INTENTGATE_ADMIN_KEY: key },
      }
      const code = await runApprovals(args, io)
      return { code, stdout }
    }
    const { id, token } = await heldRequest()
    const other = await heldRequest()
    const listed = await run(['list'], people.carol)
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain(`${id}  meta-tx on chain 31337`)
    expect(listed.stdout).toContain('approve(amount=11')
    const json = JSON.parse((await run(['list', '--json'], people.carol)).stdout) as { id: string }[]
    expect(json.map((approval) => approval.id)).toEqual(expect.arrayContaining([id, other.id]))

    expect((await run(['approve', id], people.bob)).stdout).toBe(
      `${id}: counted; 1 of 2 approvals, pending (request awaiting_approval)\n`,
    )
    expect((await run(['approve', id], people.bob)).stdout).toContain('already counted')
    await expect(run(['approve', id], people.alice)).rejects.toThrow(/^APPROVER_IS_SUBMITTER: /)
    expect((await run(['approve', id], people.dave)).stdout).toContain(
      '2 of 2 approvals, approved (request queued)',
    )
    expect((await waitForStatus(gateway.url, token, id, ['confirmed'])).status).toBe('confirmed')

    await expect(run(['reject', other.id], people.erin)).rejects.toThrow('--reason')
    expect((await run(['reject', other.id, '--reason', 'not today'], people.erin)).stdout).toBe(
      `${other.id}: rejected (request cancelled)\n`,
    )
    const shown = JSON.parse((await run(['show', other.id], people.carol)).stdout) as {
      approval: { closed: unknown }
    }
    expect(shown.approval.closed).toMatchObject({ by: 'erin', reason: { code: 'APPROVAL_REJECTED' } })
  })

  test('validates what operators send', async () => {
    const bad = await callJson(gateway.url, 'POST', '/v1/admin/approvals/0x12/approve', {
      bearer: people.bob,
    })
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } })
    const unknown = await approve(gateway, `0x${'ab'.repeat(32)}`, people.bob)
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'REQUEST_NOT_FOUND' } } })
    const noReason = await callJson(gateway.url, 'POST', `/v1/admin/approvals/0x${'ab'.repeat(32)}/reject`, {
      bearer: people.bob,
      body: {},
    })
    expect(noReason).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } })
    const limit = await callJson(gateway.url, 'GET', '/v1/admin/approvals?limit=0', { bearer: people.bob })
    expect(limit).toMatchObject({ status: 400 })
    const anonymous = await callJson(gateway.url, 'GET', '/v1/admin/approvals')
    expect(anonymous.status).toBe(401)
  })
})

/** The request view limitUsage reads the reserved limits from: the held decision's attestation. */
function waitingView(id: string, body: Record<string, unknown>): RequestView {
  return {
    id,
    status: 'awaiting_approval',
    decisionAttestation: body.attestation as RequestView['decisionAttestation'],
  }
}
