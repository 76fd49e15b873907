import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sweepApprovals } from '../../../src/approvals/sweepApprovals.js'
import type { RunningGateway } from '../../../src/main.js'
import { demoInstance, freshUser } from '../pipeline/metaTxSetup.js'
import { approvalEventsIn, createApprovalHarness, heldAbove, submitTokenApproval } from './approvalSetup.js'

// Two API processes of one gateway (one Redis prefix, a log each), whose sweeps run only when the
// test says: every API process sweeps, so after an outage they all find the same unfinished work.
const { harness, quietEnv, people } = createApprovalHarness()
let first: RunningGateway
let second: RunningGateway

beforeAll(async () => {
  first = await harness.start(quietEnv)
  second = await harness.start(quietEnv)
})
afterAll(() => harness.stopAll())

async function heldRequestId(): Promise<string> {
  const { token } = await demoInstance(harness, first, { intent: heldAbove('10', 2) })
  const { answer } = await submitTokenApproval(first, token, { user: freshUser(), amount: 20n })
  expect(answer.body.status).toBe('awaiting_approval')
  return String(answer.body.id)
}

/** The approval events about `id` in both processes' logs, as `action by`. */
const approvalEvents = (id: string) => approvalEventsIn([first, second], id, people.carol)

const sweepBoth = (graceSeconds: number) =>
  Promise.all([
    sweepApprovals(first.services.approvals, { graceSeconds }),
    sweepApprovals(second.services.approvals, { graceSeconds }),
  ])

describe('two processes sweeping the same interrupted approvals', () => {
  test('approvals a crash left unattested are attested once, and the request sent on once', async () => {
    const id = await heldRequestId()
    const store = first.services.approvals.approvals
    const now = Math.floor(Date.now() / 1000)
    // Counted, then nothing: as if the deciding process died before attesting either.
    expect(await store.vote(id, 'bob', now)).toMatchObject({ kind: 'counted' })
    expect(await store.vote(id, 'dave', now)).toMatchObject({ kind: 'counted', status: 'approved' })

    await sweepBoth(0)
    expect(await approvalEvents(id)).toStrictEqual(['approve bob', 'approve dave'])
    expect(await first.services.requests.get(id)).toMatchObject({ status: 'queued' })
    expect(await store.unfinished(500)).not.toContain(id)
  })

  test('a rejection a crash left unattested is attested once, its reservation given back', async () => {
    const id = await heldRequestId()
    const store = first.services.approvals.approvals
    const reason = { code: 'APPROVAL_REJECTED', message: 'rejected by erin: no' }
    const now = Math.floor(Date.now() / 1000)
    expect(await store.close(id, { status: 'rejected', by: 'erin', reason, now })).toStrictEqual({
      kind: 'closed',
    })

    await sweepBoth(0)
    expect(await approvalEvents(id)).toStrictEqual(['reject erin'])
    expect(await first.services.requests.get(id)).toMatchObject({ status: 'cancelled' })
    expect(await first.services.limits.reservation(id)).toBeUndefined()
  })
})
