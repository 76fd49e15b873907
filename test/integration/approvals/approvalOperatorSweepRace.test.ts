import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ApprovalDeps } from '../../../src/approvals/approvalDeps.js'
import { approveRequest, rejectRequest } from '../../../src/approvals/decideApproval.js'
import { sweepApprovals } from '../../../src/approvals/sweepApprovals.js'
import type { RunningGateway } from '../../../src/main.js'
import { approvalEventsIn, approve, createApprovalHarness, holdTokenApproval } from './approvalSetup.js'

// An operator's approve or reject call finishes what it decided itself; the sweep finishes any
// decided approval still unfinished `grace` seconds after it was decided. Here the operator's call
// stalls (a slow signer: its attestation waits at a gate) past a one-second grace while a sweep
// pass runs, and the log must still hold each approval event once, with one relay and one release.
const { harness, env, people } = createApprovalHarness()
let gateway: RunningGateway
const graceSeconds = 1

beforeAll(async () => {
  gateway = await harness.start({
    ...env,
    APPROVAL_WINDOW_SECONDS: '3600',
    APPROVAL_SWEEP_INTERVAL_MS: '3600000',
  })
})
afterAll(() => harness.stopAll())

type Counts = { hold: number; enqueue: number; release: number }

/**
 * The gateway's approval deps, counting relay holds, enqueues and limit releases into `counts`,
 * with an attestor that, while `stalled`, waits at a gate: `arrived` resolves once a call reaches
 * it, `open()` lets every waiting and later call through.
 */
function depsOf(counts: Counts, options: { stalled: boolean }) {
  const base = gateway.services.approvals
  let arrive = () => {}
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve
  })
  let open = () => {}
  const opened = options.stalled
    ? new Promise<void>((resolve) => {
        open = resolve
      })
    : Promise.resolve()
  const deps: ApprovalDeps = {
    ...base,
    attestor: {
      async attestApproval(parameters) {
        arrive()
        await opened
        return base.attestor.attestApproval(parameters)
      },
    },
    relay: {
      hold(job) {
        counts.hold++
        return base.relay.hold(job)
      },
      enqueue(job) {
        counts.enqueue++
        return base.relay.enqueue(job)
      },
    },
    limits: {
      release(digest, amounts) {
        counts.release++
        return base.limits.release(digest, amounts)
      },
    },
  }
  return { deps, arrived, open }
}

/** The approval events about `id` in the gateway's log, as `action by`. */
const approvalEvents = (id: string) => approvalEventsIn([gateway], id, people.carol)

/** Waits until `unixSeconds` has passed by the gateway's clock. */
async function waitPast(unixSeconds: number): Promise<void> {
  while (gateway.services.approvals.now() < unixSeconds) await sleep(50)
}

const sweep = (deps: ApprovalDeps) => sweepApprovals(deps, { graceSeconds })
const operator = (name: string) => ({ name, role: 'operator' as const })

describe('an operator call stalled past the grace while a sweep runs', () => {
  test('the k-th approval is attested once and the request enqueued once', async () => {
    const { id } = await holdTokenApproval(harness, gateway)
    expect((await approve(gateway, id, people.bob)).status).toBe(200)
    const counts: Counts = { hold: 0, enqueue: 0, release: 0 }
    const stalled = depsOf(counts, { stalled: true })
    const deciding = approveRequest(stalled.deps, { id, operator: operator('dave') })
    await stalled.arrived
    const entry = await gateway.services.approvals.approvals.get(id)
    expect(entry).toMatchObject({ status: 'approved' })
    await waitPast((entry?.closedAt ?? 0) + graceSeconds)

    await sweep(depsOf(counts, { stalled: false }).deps)
    stalled.open()
    expect(await deciding).toMatchObject({ counted: true })

    expect(await approvalEvents(id)).toStrictEqual(['approve bob', 'approve dave'])
    expect(counts).toStrictEqual({ hold: 1, enqueue: 1, release: 0 })
    expect(await gateway.services.approvals.approvals.unfinished(500)).not.toContain(id)
    expect((await gateway.services.requests.get(id))?.status).not.toBe('awaiting_approval')
  })

  test('a rejection is attested once and its reservation released once', async () => {
    const { id } = await holdTokenApproval(harness, gateway)
    const counts: Counts = { hold: 0, enqueue: 0, release: 0 }
    const stalled = depsOf(counts, { stalled: true })
    const deciding = rejectRequest(stalled.deps, { id, operator: operator('erin'), reason: 'no' })
    await stalled.arrived
    const entry = await gateway.services.approvals.approvals.get(id)
    expect(entry).toMatchObject({ status: 'rejected' })
    await waitPast((entry?.closedAt ?? 0) + graceSeconds)

    await sweep(depsOf(counts, { stalled: false }).deps)
    stalled.open()
    expect(await deciding).toMatchObject({ status: 'rejected' })

    expect(await approvalEvents(id)).toStrictEqual(['reject erin'])
    expect(counts).toStrictEqual({ hold: 0, enqueue: 0, release: 1 })
    expect(await gateway.services.requests.get(id)).toMatchObject({ status: 'cancelled' })
    expect(await gateway.services.limits.reservation(id)).toBeUndefined()
  })

  test('a first approval (attest-votes) is attested once', async () => {
    const { id } = await holdTokenApproval(harness, gateway)
    const counts: Counts = { hold: 0, enqueue: 0, release: 0 }
    const stalled = depsOf(counts, { stalled: true })
    const deciding = approveRequest(stalled.deps, { id, operator: operator('bob') })
    await stalled.arrived
    const entry = await gateway.services.approvals.approvals.get(id)
    expect(entry).toMatchObject({ status: 'pending', votes: [{ by: 'bob' }] })
    await waitPast(Math.max(entry?.createdAt ?? 0, entry?.votes[0]?.at ?? 0) + graceSeconds)

    await sweep(depsOf(counts, { stalled: false }).deps)
    stalled.open()
    expect(await deciding).toMatchObject({ counted: true })

    expect(await approvalEvents(id)).toStrictEqual(['approve bob'])
    expect(await gateway.services.approvals.approvals.unfinished(500)).toContain(id)
  })
})

describe('a sweep stalled holding the claim while an operator decides', () => {
  test('the operator waits for it, then attests only its own approval and sends the request on once', async () => {
    const { id } = await holdTokenApproval(harness, gateway)
    const store = gateway.services.approvals.approvals
    // bob's approval counted, then nothing: as if his call died before attesting it.
    const counted = await store.vote(id, 'bob', gateway.services.approvals.now())
    expect(counted).toMatchObject({ kind: 'counted', status: 'pending' })
    const entry = await store.get(id)
    await waitPast(Math.max(entry?.createdAt ?? 0, entry?.votes[0]?.at ?? 0) + graceSeconds)
    const counts: Counts = { hold: 0, enqueue: 0, release: 0 }
    const stalledSweep = depsOf(counts, { stalled: true })
    const sweeping = sweep(stalledSweep.deps)
    await stalledSweep.arrived

    const deciding = approveRequest(depsOf(counts, { stalled: false }).deps, {
      id,
      operator: operator('dave'),
    })
    await sleep(300)
    stalledSweep.open()
    await sweeping
    expect(await deciding).toMatchObject({ counted: true })

    expect(await approvalEvents(id)).toStrictEqual(['approve bob', 'approve dave'])
    expect(counts).toStrictEqual({ hold: 1, enqueue: 1, release: 0 })
    expect(await store.unfinished(500)).not.toContain(id)
  })
})
