import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { ApprovalClaimLostError, withApprovalClaim } from '../../../src/approvals/approvalClaim.js'
import { type ApprovalStore, createApprovalStore } from '../../../src/approvals/approvalStore.js'
import { createRedisKeys } from '../../../src/redis/keys.js'
import { openRedis } from '../../support/redisClient.js'

let store: ApprovalStore
let ownerOf: (id: string) => Promise<string | null>
let close: () => void
const prefix = `${inject('redisKeyPrefix')}approvals-store:`
const now = 1_800_000_000
let counter = 0

beforeAll(async () => {
  const { redis } = await openRedis()
  const keys = createRedisKeys(prefix)
  store = createApprovalStore({ redis, keys, retentionSeconds: 600 })
  ownerOf = (id) => redis.get(keys.approvalClaim(id))
  close = () => redis.disconnect()
})
afterAll(() => close())

/** A fresh pending approval: k of `required`, alice the only submitter, open for 60 s. */
async function opened(required: number) {
  counter++
  const id = `0x${counter.toString(16).padStart(64, '0')}`
  expect(
    await store.open({
      id,
      kind: 'meta-tx',
      required,
      reason: 'above the threshold',
      createdAt: now,
      expiresAt: now + 60,
      submitters: ['alice'],
    }),
  ).toBe(true)
  return id
}

describe('the approval count in Redis', () => {
  test('opens once per request', async () => {
    const id = await opened(2)
    expect(
      await store.open({
        id,
        kind: 'meta-tx',
        required: 1,
        reason: 'again',
        createdAt: now,
        expiresAt: now + 1,
        submitters: [],
      }),
    ).toBe(false)
    expect(await store.get(id)).toMatchObject({
      status: 'pending',
      required: 2,
      votes: [],
      submitters: ['alice'],
    })
    expect(await store.unfinished(1000)).toContain(id)
  })

  test('of 40 distinct operators approving at once, exactly k count and exactly one is the k-th', async () => {
    const id = await opened(10)
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) => store.vote(id, `operator-${n}`, now + 1)),
    )
    const counted = results.filter((result) => result.kind === 'counted')
    expect(counted).toHaveLength(10)
    expect(
      counted.filter((result) => result.kind === 'counted' && result.status === 'approved'),
    ).toHaveLength(1)
    expect(results.filter((result) => result.kind === 'closed')).toHaveLength(30)
    const entry = await store.get(id)
    expect(entry?.status).toBe('approved')
    expect(new Set(entry?.votes.map((vote) => vote.by)).size).toBe(10)
  })

  test('one operator approving many times at once counts once', async () => {
    const id = await opened(3)
    const results = await Promise.all(Array.from({ length: 20 }, () => store.vote(id, 'bob', now + 1)))
    expect(results.filter((result) => result.kind === 'counted')).toHaveLength(1)
    expect(results.filter((result) => result.kind === 'duplicate')).toHaveLength(19)
    expect((await store.get(id))?.votes).toEqual([{ by: 'bob', at: now + 1 }])
  })

  test('a submitter never counts; an approval after the window, a rejection or an expiry is refused', async () => {
    const id = await opened(2)
    expect(await store.vote(id, 'alice', now + 1)).toEqual({ kind: 'submitter' })
    expect(await store.vote(id, 'bob', now + 60)).toEqual({ kind: 'expired' })
    expect(
      await store.close(id, {
        status: 'rejected',
        by: 'bob',
        reason: { code: 'R', message: 'late' },
        now: now + 60,
      }),
    ).toEqual({ kind: 'expired' })
    expect(
      await store.close(id, {
        status: 'expired',
        by: '',
        reason: { code: 'E', message: 'e' },
        now: now + 59,
      }),
    ).toEqual({ kind: 'not-due' })
    expect(
      await store.close(id, {
        status: 'expired',
        by: '',
        reason: { code: 'E', message: 'e' },
        now: now + 60,
      }),
    ).toEqual({ kind: 'closed' })
    expect(await store.vote(id, 'bob', now + 1)).toEqual({ kind: 'closed', status: 'expired' })

    const rejected = await opened(2)
    expect(
      await store.close(rejected, {
        status: 'rejected',
        by: 'dave',
        reason: { code: 'APPROVAL_REJECTED', message: 'no' },
        now: now + 5,
      }),
    ).toEqual({ kind: 'closed' })
    expect(await store.vote(rejected, 'bob', now + 6)).toEqual({ kind: 'closed', status: 'rejected' })
    expect(
      await store.close(rejected, {
        status: 'cancelled',
        by: '',
        reason: { code: 'X', message: 'x' },
        now: now + 6,
      }),
    ).toEqual({ kind: 'closed-already', status: 'rejected' })
    expect(await store.get(rejected)).toMatchObject({
      status: 'rejected',
      closedBy: 'dave',
      closedAt: now + 5,
      closeReason: { code: 'APPROVAL_REJECTED', message: 'no' },
    })
  })

  test('a rejection racing the k-th approval: exactly one of them wins', async () => {
    for (let round = 0; round < 20; round++) {
      const id = await opened(2)
      await store.vote(id, 'bob', now + 1)
      const [vote, closed] = await Promise.all([
        store.vote(id, 'dave', now + 2),
        store.close(id, {
          status: 'rejected',
          by: 'erin',
          reason: { code: 'APPROVAL_REJECTED', message: 'no' },
          now: now + 2,
        }),
      ])
      const approved = vote.kind === 'counted' && vote.status === 'approved'
      expect(approved).toBe(closed.kind !== 'closed')
      expect((await store.get(id))?.status).toBe(approved ? 'approved' : 'rejected')
    }
  })

  test('attestations are noted per event, never on an approval that is gone; finish and discard', async () => {
    const id = await opened(1)
    await store.vote(id, 'bob', now + 1)
    const ref = { logIndex: 7, envelopeDigest: 'ab'.repeat(32), envelope: { payload: 'e30=' } }
    await store.noteAttestation(id, 'vote:bob', ref)
    expect((await store.get(id))?.voteAttestations).toEqual({ bob: ref })
    await store.finish(id)
    expect(await store.unfinished(1000)).not.toContain(id)
    await store.discard(id)
    expect(await store.get(id)).toBeUndefined()
    await store.noteAttestation(id, 'close', ref)
    expect(await store.get(id)).toBeUndefined()
    expect(await store.vote(id, 'bob', now)).toEqual({ kind: 'missing' })
  })
})

describe('the follow-up claim', () => {
  test('one holder at a time; renewed and checked only by its owner, given back after the work', async () => {
    const id = await opened(2)
    expect(await store.claim(id, 'sweep-a', 60)).toBe(true)
    expect(await store.claim(id, 'operator-b', 60)).toBe(false)
    expect(await store.renewClaim(id, 'operator-b', 60)).toBe(false)
    expect(await store.holdsClaim(id, 'operator-b')).toBe(false)
    expect(await store.renewClaim(id, 'sweep-a', 60)).toBe(true)
    expect(await store.holdsClaim(id, 'sweep-a')).toBe(true)

    // Held elsewhere past the wait: not run; given back during the wait: run, then given back.
    const work = async () => 'done'
    expect(await withApprovalClaim(store, id, { waitMs: 100 }, work)).toStrictEqual({ held: false })
    setTimeout(() => void store.releaseClaim(id, 'sweep-a'), 100)
    expect(await withApprovalClaim(store, id, { waitMs: 2_000 }, work)).toStrictEqual({
      held: true,
      value: 'done',
    })
    expect(await store.claim(id, 'sweep-a', 60)).toBe(true)
  })

  test('a holder whose claim lapsed and was taken stops at its next step', async () => {
    const id = await opened(2)
    const outcome = withApprovalClaim(store, id, { waitMs: 0 }, async (claim) => {
      await claim.assertHeld()
      // Stalled past the claim's time: it lapsed, and the sweep took it.
      await store.releaseClaim(id, (await ownerOf(id)) ?? '')
      expect(await store.claim(id, 'sweep', 60)).toBe(true)
      await claim.assertHeld()
      return 'acted'
    })
    await expect(outcome).rejects.toBeInstanceOf(ApprovalClaimLostError)
    // Its release left the new holder's claim alone.
    expect(await store.holdsClaim(id, 'sweep')).toBe(true)
  })
})
