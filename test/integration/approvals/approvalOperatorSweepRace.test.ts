import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ApprovalDeps } from '../../../src/approvals/approvalDeps.js'
import type { ApprovalEntry } from '../../../src/approvals/approvalStore.js'
import { approveRequest, rejectRequest } from '../../../src/approvals/decideApproval.js'
import { sweepApprovals } from '../../../src/approvals/sweepApprovals.js'
import type { RunningGateway } from '../../../src/main.js'
import { approvalEventsIn, approve, createApprovalHarness, holdTokenApproval } from './approvalSetup.js'

// An operator's approve or reject call finishes what it decided itself; the sweep finishes any
// decided approval still unfinished `grace` seconds after it was decided. Here the operator's call
// stalls (a slow signer: its attestation waits at a gate) past a one-second grace while a sweep
// pass runs, and the log must still hold each approval event once, with one relay and one release.
const { harness, quietEnv, people } = createApprovalHarness()
let gateway: RunningGateway
const graceSeconds = 1

beforeAll(async () => {
  gateway = await harness.start(quietEnv)
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
const noCounts = (): Counts => ({ hold: 0, enqueue: 0, release: 0 })

/** When the sweep may finish a decided approval: the grace runs from its close. */
const closedAt = (entry: ApprovalEntry) => entry.closedAt ?? 0
/** When the sweep may attest a pending approval's first vote: the grace runs from the later of its creation and the vote. */
const firstVoteAt = (entry: ApprovalEntry) => Math.max(entry.createdAt, entry.votes[0]?.at ?? 0)

/**
 * The race: `decide` runs with its attestation stalled; once it waits there, the approval must
 * stand as `expected`, and a sweep pass runs after the grace from `graceFrom(entry)`; then the
 * call goes on. Returns what it decided and the holds, enqueues and releases both made.
 */
async function stallPastTheSweep<T>(
  id: string,
  decide: (deps: ApprovalDeps) => Promise<T>,
  expected: Record<string, unknown>,
  graceFrom: (entry: ApprovalEntry) => number,
) {
  const counts = noCounts()
  const stalled = depsOf(counts, { stalled: true })
  const deciding = decide(stalled.deps)
  await stalled.arrived
  const entry = await gateway.services.approvals.approvals.get(id)
  expect(entry).toMatchObject(expected)
  await waitPast((entry ? graceFrom(entry) : 0) + graceSeconds)

  await sweep(depsOf(counts, { stalled: false }).deps)
  stalled.open()
  return { decided: await deciding, counts }
}

describe('an operator call stalled past the grace while a sweep runs', () => {
  test('the k-th approval is attested once and the request enqueued once', async () => {
    const { id } = await holdTokenApproval(harness, gateway)
    expect((await approve(gateway, id, people.bob)).status).toBe(200)
    const { decided, counts } = await stallPastTheSweep(
      id,
      (deps) => approveRequest(deps, { id, operator: operator('dave') }),
      { status: 'approved' },
      closedAt,
    )
    expect(decided).toMatchObject({ counted: true })

    expect(await approvalEvents(id)).toStrictEqual(['approve bob', 'approve dave'])
    expect(counts).toStrictEqual({ hold: 1, enqueue: 1, release: 0 })
    expect(await gateway.services.approvals.approvals.unfinished(500)).not.toContain(id)
    expect((await gateway.services.requests.get(id))?.status).not.toBe('awaiting_approval')
  })

  test('a rejection is attested once and its reservation released once', async () => {
    const { id } = await holdTokenApproval(harness, gateway)
    const { decided, counts } = await stallPastTheSweep(
      id,
      (deps) => rejectRequest(deps, { id, operator: operator('erin'), reason: 'no' }),
      { status: 'rejected' },
      closedAt,
    )
    expect(decided).toMatchObject({ status: 'rejected' })

    expect(await approvalEvents(id)).toStrictEqual(['reject erin'])
    expect(counts).toStrictEqual({ hold: 0, enqueue: 0, release: 1 })
    expect(await gateway.services.requests.get(id)).toMatchObject({ status: 'cancelled' })
    expect(await gateway.services.limits.reservation(id)).toBeUndefined()
  })

  test('a first approval (attest-votes) is attested once', async () => {
    const { id } = await holdTokenApproval(harness, gateway)
    const { decided } = await stallPastTheSweep(
      id,
      (deps) => approveRequest(deps, { id, operator: operator('bob') }),
      { status: 'pending', votes: [{ by: 'bob' }] },
      firstVoteAt,
    )
    expect(decided).toMatchObject({ counted: true })

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
    await waitPast((entry ? firstVoteAt(entry) : 0) + graceSeconds)
    const counts = noCounts()
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
