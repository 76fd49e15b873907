import { describe, expect, test } from 'vitest'
import type { OpenApproval } from '../approvals/approvalStore.js'
import type { Intent } from '../intents/intent.js'
import type { RequestRecord } from '../requests/requestStore.js'
import { HoldNotRecordedError, holdForApproval } from './holdForApproval.js'
import type { DecisionContext, PipelineDeps } from './pipelineDeps.js'

const id = `0x${'ab'.repeat(32)}`
const now = 1_900_000_000
const context: DecisionContext = {
  subject: {
    instanceId: 'inst_1',
    templateId: 'community-poll',
    templateDigest: `sha256:${'cd'.repeat(32)}`,
  },
  intent: { kind: 'meta-tx', requestDigest: id, chainId: 31337, validUntil: now + 600 } as Intent,
  now,
}
const policy = { revision: 'builtin', digest: `sha256:${'ef'.repeat(32)}` }
const held = {
  decision: {
    reasons: [{ code: 'APPROVAL_REQUIRED', message: 'value above 1' }],
    limits: [],
    approvals: { required: 2, reason: 'value above 1' },
  },
  policy: policy as unknown as ReturnType<PipelineDeps['policies']['current']>,
  nonceKey: '31337:forwarder:sender:0',
  notAfter: now + 600,
}

/** The hold's dependencies, each doing what `failing` does not name, and recording what it saw. */
function depsWith(options: { windowSeconds: number; failing?: 'attest' | 'record' }) {
  const seen = { opened: [] as OpenApproval[], discarded: [] as string[], recorded: [] as RequestRecord[] }
  const deps = {
    attestor: {
      async attestDecision() {
        if (options.failing === 'attest') throw new Error('the log is full')
        return { index: 7, envelope: { payload: '' }, envelopeDigest: 'ee'.repeat(32) }
      },
    },
    requests: {
      async record(record: RequestRecord) {
        if (options.failing === 'record') throw new Error('Redis timed out')
        seen.recorded.push(record)
        return true
      },
    },
    policies: { current: () => held.policy },
    hold: {
      windowSeconds: options.windowSeconds,
      tokenHolders: async () => ['alice', 'bob'],
      approvals: {
        async open(entry: OpenApproval) {
          seen.opened.push(entry)
          return true
        },
        async discard(discarded: string) {
          seen.discarded.push(discarded)
        },
      },
    },
  }
  return { deps: deps as unknown as Parameters<typeof holdForApproval>[0], seen }
}

describe('holdForApproval', () => {
  test('opens the approval with the submitters, then answers 202 awaiting_approval', async () => {
    const { deps, seen } = depsWith({ windowSeconds: 3600 })
    const answer = await holdForApproval(deps, context, held)
    expect(answer.body).toMatchObject({
      id,
      status: 'awaiting_approval',
      attestation: { logIndex: 7 },
      approval: { required: 2, approvals: 0, reason: 'value above 1', expiresAt: now + 600 },
    })
    expect(seen.opened).toEqual([
      {
        id,
        kind: 'meta-tx',
        required: 2,
        reason: 'value above 1',
        createdAt: now,
        expiresAt: now + 600,
        submitters: ['alice', 'bob'],
        nonceKey: held.nonceKey,
      },
    ])
    expect(seen.recorded[0]).toMatchObject({ status: 'awaiting_approval', nonceKey: held.nonceKey })
  })

  test('waits the configured window when the request outlives it', async () => {
    const { deps } = depsWith({ windowSeconds: 60 })
    expect((await holdForApproval(deps, context, held)).body.approval.expiresAt).toBe(now + 60)
  })

  test('a hold that could not be logged is discarded; one logged but not recorded is kept', async () => {
    const unlogged = depsWith({ windowSeconds: 60, failing: 'attest' })
    await expect(holdForApproval(unlogged.deps, context, held)).rejects.toThrow('the log is full')
    expect(unlogged.seen.discarded).toEqual([id])

    const unrecorded = depsWith({ windowSeconds: 60, failing: 'record' })
    await expect(holdForApproval(unrecorded.deps, context, held)).rejects.toBeInstanceOf(HoldNotRecordedError)
    expect(unrecorded.seen.discarded).toEqual([])
  })
})
