import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RunningGateway } from '../../../src/main.js'
import { callJson } from '../../support/gatewayHarness.js'
import { limitUsage } from '../../support/relayHarness.js'
import { demoInstance, freshUser } from '../pipeline/metaTxSetup.js'
import { approve, createApprovalHarness, heldAbove, submitTokenApproval } from './approvalSetup.js'

// Nothing sweeps here (an hour between passes, an hour's window): only an operator's approval can
// find that the request may no longer go on, so these tests see the check made at approval time.
const { harness, quietEnv, people } = createApprovalHarness()
let gateway: RunningGateway

beforeAll(async () => {
  gateway = await harness.start(quietEnv)
})
afterAll(() => harness.stopAll())

async function heldRequest(overrides: Record<string, unknown> = {}) {
  const instance = await demoInstance(harness, gateway, { intent: heldAbove('10'), overrides })
  const submitted = await submitTokenApproval(gateway, instance.token, { user: freshUser(), amount: 11n })
  expect(submitted.answer).toMatchObject({ status: 202, body: { status: 'awaiting_approval' } })
  const id = String(submitted.answer.body.id)
  const approved = await approve(gateway, id, people.bob)
  expect(approved.body).toMatchObject({ counted: true })
  return { ...instance, id, attestation: submitted.answer.body.attestation }
}

/** The approval as operators see it, and what the request still holds of its limits. */
async function ending(id: string, attestation: unknown) {
  const admin = await callJson(gateway.url, 'GET', `/v1/admin/approvals/${id}`, { bearer: people.carol })
  const usage = await limitUsage(harness.keyPrefix, {
    id,
    status: 'awaiting_approval',
    decisionAttestation: attestation as never,
  })
  return { approval: admin.body.approval, released: Object.values(usage).every((used) => used === 0n) }
}

describe('an approval reads again what the request depends on', () => {
  test('a revoked instance: the approval is refused and the request cancelled, its reservation given back', async () => {
    const { id, instanceId, attestation } = await heldRequest()
    const revoked = await callJson(gateway.url, 'POST', `/v1/admin/instances/${instanceId}/revoke`, {
      bearer: people.dave,
      body: { reason: 'abuse' },
    })
    expect(revoked.status).toBe(200)
    expect(await approve(gateway, id, people.dave)).toMatchObject({
      status: 403,
      body: { error: { code: 'INSTANCE_REVOKED' } },
    })
    expect(await ending(id, attestation)).toMatchObject({
      approval: {
        status: 'cancelled',
        requestStatus: 'cancelled',
        closed: { reason: { code: 'INSTANCE_REVOKED' } },
      },
      released: true,
    })
  })

  test('a template past its expiresAt: the approval is refused and the request cancelled', async () => {
    // Long enough to publish, issue a token and be held on a loaded machine; then it lapses for real.
    const expiry = Math.ceil(Date.now() / 1000) + 8
    const expiresAt = new Date(expiry * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
    const { id, attestation } = await heldRequest({ expiresAt })
    await new Promise((resolve) => setTimeout(resolve, expiry * 1000 - Date.now() + 50))

    expect(await approve(gateway, id, people.dave)).toMatchObject({
      status: 422,
      body: {
        error: { code: 'TEMPLATE_EXPIRED', message: expect.stringContaining(`expired at ${expiresAt}`) },
      },
    })
    expect(await ending(id, attestation)).toMatchObject({
      approval: {
        status: 'cancelled',
        requestStatus: 'cancelled',
        approvals: [{ by: 'bob' }],
        closed: { reason: { code: 'TEMPLATE_EXPIRED' } },
      },
      released: true,
    })
    expect(await gateway.services.requests.get(id)).toMatchObject({
      status: 'cancelled',
      reason: { code: 'TEMPLATE_EXPIRED' },
    })
  })
})
