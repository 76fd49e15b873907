import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sweepApprovals } from '../../../src/approvals/sweepApprovals.js'
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
  approve,
  createApprovalHarness,
  heldAbove,
  statementIn,
  submitTokenApproval,
} from './approvalSetup.js'

const { harness, env, people } = createApprovalHarness()
/** Held requests expire after 6 s (room for one approval first, even on a loaded machine); the sweep runs every 200 ms. */
let swept: RunningGateway
/** Held requests expire after 2 s, and nothing sweeps: only operators' calls find them expired. */
let unswept: RunningGateway
/** Held requests wait an hour. Every gateway of the harness shares one Redis prefix, so any one relays and sweeps. */
let longWindow: RunningGateway

beforeAll(async () => {
  const { keys } = await fundedRelayerKeys(anvilUrl, 1)
  swept = await harness.start({ ...env, ...relayEnv(keys), APPROVAL_WINDOW_SECONDS: '6' })
  unswept = await harness.start({
    ...env,
    APPROVAL_WINDOW_SECONDS: '2',
    APPROVAL_SWEEP_INTERVAL_MS: '3600000',
  })
  longWindow = await harness.start({ ...env, APPROVAL_WINDOW_SECONDS: '3600' })
})
afterAll(() => harness.stopAll())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function heldOn(gateway: RunningGateway, options: { deadline?: number } = {}) {
  const instance = await demoInstance(harness, gateway, { intent: heldAbove('10') })
  const user = freshUser()
  const submitted = await submitTokenApproval(gateway, instance.token, { user, amount: 20n, ...options })
  expect(submitted.answer).toMatchObject({ status: 202, body: { status: 'awaiting_approval' } })
  const id = String(submitted.answer.body.id)
  const held: RequestView = {
    id,
    status: 'awaiting_approval',
    decisionAttestation: submitted.answer.body.attestation as RequestView['decisionAttestation'],
  }
  return { ...instance, ...submitted, user, id, held }
}

describe('approval windows', () => {
  test('a held request not approved in its window expires: attested, its reservation released', async () => {
    const { id, token, held } = await heldOn(swept)
    expect((await limitUsage(harness.keyPrefix, held))['sender-count-1d']).toBe(1n)
    expect(await approve(swept, id, people.bob)).toMatchObject({ status: 200, body: { counted: true } })

    const view = await waitForStatus(swept.url, token, id, ['cancelled'], 20_000)
    expect(view.reason).toMatchObject({ code: 'APPROVAL_EXPIRED' })
    const expiry = statementIn(view.outcomeAttestation?.envelope)
    expect(expiry.predicate).toMatchObject({
      action: 'expire',
      status: 'expired',
      approvals: { required: 2, approvers: ['bob'] },
      reason: { code: 'APPROVAL_EXPIRED' },
      decisionEntry: { logIndex: held.decisionAttestation.logIndex },
    })
    expect(expiry.predicate).not.toHaveProperty('actor')
    const usage = await limitUsage(harness.keyPrefix, held)
    expect(Object.values(usage).every((used) => used === 0n)).toBe(true)
    expect(await approve(swept, id, people.dave)).toMatchObject({
      status: 409,
      body: { error: { code: 'APPROVAL_NOT_PENDING', message: expect.stringContaining('expired') } },
    })
    const listed = await callJson(swept.url, 'GET', '/v1/admin/approvals', { bearer: people.carol })
    expect((listed.body.approvals as { id: string }[]).map((approval) => approval.id)).not.toContain(id)
  })

  test('an approval that arrives after the window is refused, and expires the request on the spot', async () => {
    const { id, token, held } = await heldOn(unswept)
    await sleep(2_500)
    const late = await approve(unswept, id, people.bob)
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'APPROVAL_NOT_PENDING' } } })
    const view = await callJson(unswept.url, 'GET', `/v1/requests/${id}`, { bearer: token })
    expect(view.body).toMatchObject({ status: 'cancelled', reason: { code: 'APPROVAL_EXPIRED' } })
    const usage = await limitUsage(harness.keyPrefix, held)
    expect(Object.values(usage).every((used) => used === 0n)).toBe(true)
    // A rejection that comes too late is refused the same way.
    const other = await heldOn(unswept)
    await sleep(2_500)
    const rejected = await callJson(unswept.url, 'POST', `/v1/admin/approvals/${other.id}/reject`, {
      bearer: people.bob,
      body: { reason: 'too late anyway' },
    })
    expect(rejected).toMatchObject({ status: 409, body: { error: { code: 'APPROVAL_NOT_PENDING' } } })
  })

  test("the window never outlasts the request's own deadline", async () => {
    const deadline = Math.floor(Date.now() / 1000) + 90
    const { id } = await heldOn(longWindow, { deadline })
    const view = await callJson(longWindow.url, 'GET', `/v1/admin/approvals/${id}`, { bearer: people.carol })
    expect(view.body).toMatchObject({ approval: { expiresAt: new Date(deadline * 1000).toISOString() } })
  })
})

describe('interrupted approvals', () => {
  test('an approval counted when its process died is attested and acted on by the sweep', async () => {
    const { id, token, user } = await heldOn(longWindow)
    const deps = longWindow.services.approvals
    // The count, as the Lua script makes it, with nothing after it: as if the process died there.
    const now = Math.floor(Date.now() / 1000)
    expect(await deps.approvals.vote(id, 'bob', now)).toMatchObject({ kind: 'counted', status: 'pending' })
    expect(await deps.approvals.vote(id, 'dave', now)).toMatchObject({ kind: 'counted', status: 'approved' })
    expect(await longWindow.services.requests.get(id)).toMatchObject({ status: 'awaiting_approval' })

    // Within the grace period the sweep leaves it to the call that decided it.
    expect(await sweepApprovals(deps, { graceSeconds: 3600 })).toMatchObject({ completed: 0 })
    const result = await sweepApprovals(deps, { graceSeconds: 0 })
    expect(result.completed).toBeGreaterThanOrEqual(1)
    const view = await waitForStatus(longWindow.url, token, id, ['confirmed', 'failed', 'reverted'])
    expect(view.status).toBe('confirmed')
    expect(await forwarderNonce(anvilUrl, user.address)).toBe(1n)
    // The approvals were attested by this process, and the outcome by the relaying one: each has its own log.
    const lookup = await callJson(longWindow.url, 'GET', `/v1/audit/requests/${id}`, { bearer: people.carol })
    const kinds = (lookup.body.entries as { kind: string; actor?: string }[]).map((entry) => entry.kind)
    expect(kinds).toEqual(['decision', 'approval', 'approval'])
    // Finished: a later sweep does nothing more for it.
    expect(await deps.approvals.unfinished(500)).not.toContain(id)
  })

  /**
   * An approval opened, its limit reserved and its sender nonce claimed, and then no request
   * record: a hold whose record never landed. `age` seconds ago, with a window of `window`.
   */
  async function orphanedHold(seed: string, times: { age: number; window: number }) {
    const deps = longWindow.services.approvals
    const id = `0x${seed.repeat(32)}`
    const now = Math.floor(Date.now() / 1000)
    const limit = {
      id: `orphan-count-${seed}`,
      scope: 'global',
      keyParts: [],
      metric: 'count',
      amount: '1',
      max: '10',
      windowSeconds: 3600,
      windowKind: 'rolling',
    } as const
    expect(await longWindow.services.limits.reserve(id, [limit], now)).toMatchObject({ ok: true })
    const nonceKey = `31337:forwarder:orphan:${id}`
    expect(await longWindow.services.requests.claimNonce(nonceKey, id, 3600)).toBeUndefined()
    await deps.approvals.open({
      id,
      kind: 'meta-tx',
      required: 2,
      reason: 'orphaned',
      createdAt: now - times.age,
      expiresAt: now - times.age + times.window,
      submitters: [],
      nonceKey,
    })
    return { deps, id, nonceKey }
  }

  /**
   * Sweeps until `settled` holds. The other gateways of the harness sweep the same approvals every
   * 200 ms, and a sweep that finds one claimed by another leaves it to that one.
   */
  async function sweepUntil(graceSeconds: number, settled: () => Promise<boolean>) {
    for (let pass = 0; pass < 50 && !(await settled()); pass++) {
      await sweepApprovals(longWindow.services.approvals, { graceSeconds })
      await sleep(100)
    }
  }
  const discarded = (id: string) => async () =>
    (await longWindow.services.approvals.approvals.get(id)) === undefined

  /** Nothing of the orphan is left: no approval, no reservation, and its sender nonce is free. */
  async function expectGivenBack({ deps, id, nonceKey }: Awaited<ReturnType<typeof orphanedHold>>) {
    expect(await deps.approvals.get(id)).toBeUndefined()
    expect(await deps.approvals.unfinished(500)).not.toContain(id)
    expect(await longWindow.services.limits.reservation(id)).toBeUndefined()
    expect(
      await longWindow.services.requests.claimNonce(nonceKey, `0x${'6f'.repeat(32)}`, 60),
    ).toBeUndefined()
  }

  test('an approval whose held request was never recorded is discarded with its reservation and nonce claim', async () => {
    const orphan = await orphanedHold('5e', { age: 120, window: 3600 })
    const listed = await callJson(longWindow.url, 'GET', '/v1/admin/approvals', { bearer: people.carol })
    expect((listed.body.approvals as { id: string }[]).map((approval) => approval.id)).not.toContain(
      orphan.id,
    )
    await sweepUntil(60, discarded(orphan.id))
    await expectGivenBack(orphan)
  })

  test('one whose window ended before the sweep came to it is discarded too, not expired for ever', async () => {
    // Past its window and its grace at once (the sweeps were down meanwhile): expiring it would
    // wait for a record that never comes, holding the reservation and the nonce.
    const late = await orphanedHold('7a', { age: 120, window: 30 })
    await sweepUntil(60, discarded(late.id))
    await expectGivenBack(late)
    // Expired within its grace (the record might still have landed), then discarded after it.
    const early = await orphanedHold('7b', { age: 10, window: 5 })
    await sweepUntil(60, async () => (await early.deps.approvals.get(early.id))?.status === 'expired')
    expect(await early.deps.approvals.get(early.id)).toMatchObject({ status: 'expired' })
    await sweepUntil(0, discarded(early.id))
    await expectGivenBack(early)
  })
})
