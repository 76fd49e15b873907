import { describe, expect, test } from 'vitest'
import { buildApprovalStatement } from '../attest/statements.js'
import { createAuditIndex } from './auditIndex.js'
import { type EntrySummary, summarizeStatement } from './entrySummary.js'

const requestDigest = `0x${'ab'.repeat(32)}`

const approvalEvent = (at: string, parameters: Partial<Parameters<typeof buildApprovalStatement>[0]>) =>
  buildApprovalStatement({
    requestDigest,
    decisionEntry: { logIndex: 0, envelopeDigest: 'ee'.repeat(32) },
    action: 'approve',
    actor: { name: 'bob', role: 'operator' },
    approvals: { required: 2, approvers: ['bob'] },
    status: 'pending',
    at,
    gateway: { id: 'gw-1' },
    ...parameters,
  })

describe('approval events in the audit index', () => {
  test('are summarized by request, action, operator and the status they leave it in', () => {
    expect(summarizeStatement(1, approvalEvent('2030-01-01T00:00:01.000Z', {}))).toStrictEqual({
      index: 1,
      kind: 'approval',
      time: '2030-01-01T00:00:01.000Z',
      requestDigest,
      action: 'approve',
      actor: 'bob',
      status: 'pending',
    })
    const statement = buildApprovalStatement({
      requestDigest,
      decisionEntry: { logIndex: 0, envelopeDigest: 'ee'.repeat(32) },
      action: 'expire',
      approvals: { required: 2, approvers: [] },
      status: 'expired',
      reason: { code: 'APPROVAL_EXPIRED', message: 'late' },
      at: '2030-01-01T01:00:00.000Z',
      gateway: { id: 'gw-1' },
    })
    expect(summarizeStatement(2, statement)).toStrictEqual({
      index: 2,
      kind: 'approval',
      time: '2030-01-01T01:00:00.000Z',
      requestDigest,
      action: 'expire',
      status: 'expired',
      reasons: ['APPROVAL_EXPIRED'],
    })
  })

  test('are found under the template and instance of their held decision, and in its lookup', () => {
    const held: EntrySummary = {
      index: 0,
      kind: 'decision',
      time: '2030-01-01T00:00:00.000Z',
      requestDigest,
      templateId: 'community-poll',
      instanceId: 'inst_held',
      decision: 'held',
      reasons: ['APPROVAL_REQUIRED'],
    }
    const index = createAuditIndex()
    index.add(held)
    index.add(summarizeStatement(1, approvalEvent('2030-01-01T00:00:01.000Z', {})))
    const found = index.query(
      { kind: 'approval', template: 'community-poll', instance: 'inst_held' },
      { limit: 10 },
    )
    expect(found.entries.map((entry) => entry.index)).toEqual([1])
    expect(index.query({ decision: 'held' }, { limit: 10 }).entries.map((entry) => entry.index)).toEqual([0])
    expect(index.lookup({ requestDigest }).map((entry) => entry.kind)).toEqual(['decision', 'approval'])
  })
})
