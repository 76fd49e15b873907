import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { canonicalJson } from '../crypto/canonicalJson.js'
import { verifyEnvelope } from '../crypto/dsse.js'
import { generateSigningKey } from '../crypto/ed25519.js'
import type { Intent } from '../intents/intent.js'
import { inTotoPayloadType, parseStatement, predicateTypes } from './statementSchemas.js'
import {
  buildAdminActionStatement,
  buildApprovalStatement,
  buildDecisionStatement,
  buildOutcomeStatement,
  type DecisionStatementParameters,
  signStatement,
} from './statements.js'

const requestDigest = `0x${'ab'.repeat(32)}` as const

const sampleIntent: Intent = {
  kind: 'meta-tx',
  chainId: 31337,
  sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  calls: [
    {
      path: '0',
      depth: 0,
      role: 'call',
      to: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      value: '0',
      selector: '0x0121b93f',
      dataHash: `0x${'11'.repeat(32)}`,
      dataLength: 36,
    },
  ],
  gas: { limit: '100000', maxFeePerGas: '2000000000', maxCostWei: '200000000000000' },
  validUntil: 1_900_000_000,
  nonce: '0',
  requestDigest,
}

const decisionParameters: DecisionStatementParameters = {
  requestDigest: requestDigest.toUpperCase().replace('0X', '0x'),
  decision: {
    allow: false,
    reasons: [{ code: 'SELECTOR_NOT_ALLOWED', message: 'call 0: selector not allowed' }],
  },
  template: { id: 'poll', digest: `sha256:${'cd'.repeat(32)}` },
  instance: { id: 'inst-1' },
  policy: { revision: 'r7', digest: `sha256:${'ef'.repeat(32)}` },
  intent: sampleIntent,
  limits: [],
  decidedAt: '2030-01-02T03:04:05.000Z',
  gateway: { id: 'gw-1' },
}

describe('buildDecisionStatement', () => {
  test('builds an in-toto Statement v1 about the request, with every part of the decision', () => {
    expect(buildDecisionStatement(decisionParameters)).toStrictEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: `request:${requestDigest}`, digest: { keccak256: 'ab'.repeat(32) } }],
      predicateType: 'https://intentgate.dev/attestations/decision/v1',
      predicate: {
        gateway: { id: 'gw-1' },
        decidedAt: '2030-01-02T03:04:05.000Z',
        decision: {
          allow: false,
          reasons: [{ code: 'SELECTOR_NOT_ALLOWED', message: 'call 0: selector not allowed' }],
        },
        template: { id: 'poll', digest: `sha256:${'cd'.repeat(32)}` },
        instance: { id: 'inst-1' },
        policy: { revision: 'r7', digest: `sha256:${'ef'.repeat(32)}` },
        intent: sampleIntent,
        limits: [],
      },
    })
  })

  test('records the token att, a held approval and the limits reserved when there are some', () => {
    const limit = { id: 'daily', scope: 'instance', keyParts: [], metric: 'count', amount: '1', max: '50' }
    const statement = buildDecisionStatement({
      ...decisionParameters,
      decision: { allow: true, reasons: [] },
      att: 'sha256:runtime',
      approval: { required: 2, reason: 'value above threshold' },
      limits: [limit],
    })
    expect(statement.predicate.att).toBe('sha256:runtime')
    expect(statement.predicate.approval).toStrictEqual({ required: 2, reason: 'value above threshold' })
    expect(statement.predicate.limits).toStrictEqual([limit])
  })

  test('refuses a digest that is not the intent’s, a bad time, and values JSON cannot hold', () => {
    expect(() =>
      buildDecisionStatement({ ...decisionParameters, requestDigest: `0x${'cd'.repeat(32)}` }),
    ).toThrow('not the one of the intent')
    expect(() => buildDecisionStatement({ ...decisionParameters, decidedAt: 'yesterday' })).toThrow()
    expect(() => buildDecisionStatement({ ...decisionParameters, limits: [{ amount: 1n }] })).toThrow()
    expect(() => buildDecisionStatement({ ...decisionParameters, instance: { id: '' } })).toThrow()
  })
})

describe('buildOutcomeStatement', () => {
  test('points back to the decision entry and records the result, amounts as decimals', () => {
    const statement = buildOutcomeStatement({
      requestDigest,
      decisionEntry: { logIndex: 41, envelopeDigest: 'ee'.repeat(32) },
      outcome: {
        status: 'confirmed',
        chainId: 31337,
        txHash: `0x${'AA'.repeat(32)}`,
        blockNumber: 12n,
        gasUsed: 51_234,
        actualCostWei: '102468000000000',
      },
      recordedAt: '2030-01-02T03:04:09.000Z',
      gateway: { id: 'gw-1' },
    })
    expect(statement).toStrictEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: `request:${requestDigest}`, digest: { keccak256: 'ab'.repeat(32) } }],
      predicateType: 'https://intentgate.dev/attestations/outcome/v1',
      predicate: {
        gateway: { id: 'gw-1' },
        recordedAt: '2030-01-02T03:04:09.000Z',
        decisionEntry: { logIndex: 41, envelopeDigest: 'ee'.repeat(32) },
        outcome: {
          status: 'confirmed',
          chainId: 31337,
          txHash: `0x${'aa'.repeat(32)}`,
          blockNumber: '12',
          gasUsed: '51234',
          actualCostWei: '102468000000000',
        },
      },
    })
  })

  test('refuses an unknown status, a bad pointer, or an inexact number', () => {
    const base = {
      requestDigest,
      decisionEntry: { logIndex: 0, envelopeDigest: 'ee'.repeat(32) },
      recordedAt: '2030-01-02T03:04:09.000Z',
      gateway: { id: 'gw-1' },
    }
    expect(() => buildOutcomeStatement({ ...base, outcome: { status: 'queued' as 'failed' } })).toThrow()
    expect(() =>
      buildOutcomeStatement({
        ...base,
        decisionEntry: { logIndex: -1, envelopeDigest: 'ee' },
        outcome: { status: 'failed' },
      }),
    ).toThrow()
    expect(() => buildOutcomeStatement({ ...base, outcome: { status: 'failed', gasUsed: 2 ** 60 } })).toThrow(
      RangeError,
    )
  })
})

describe('buildApprovalStatement', () => {
  const approval = {
    requestDigest: requestDigest.toUpperCase().replace('0X', '0x'),
    decisionEntry: { logIndex: 3, envelopeDigest: 'ee'.repeat(32) },
    action: 'approve' as const,
    actor: { name: 'bob', role: 'operator' },
    approvals: { required: 2, approvers: ['bob'] },
    status: 'pending' as const,
    at: '2030-01-02T03:04:06.000Z',
    gateway: { id: 'gw-1' },
  }

  test('records who did what to which held request, pointing back to the held decision', () => {
    expect(buildApprovalStatement(approval)).toStrictEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: `request:${requestDigest}`, digest: { keccak256: 'ab'.repeat(32) } }],
      predicateType: 'https://intentgate.dev/attestations/approval/v1',
      predicate: {
        gateway: { id: 'gw-1' },
        at: '2030-01-02T03:04:06.000Z',
        decisionEntry: { logIndex: 3, envelopeDigest: 'ee'.repeat(32) },
        action: 'approve',
        actor: { name: 'bob', role: 'operator' },
        approvals: { required: 2, approvers: ['bob'] },
        status: 'pending',
      },
    })
  })

  test('an expiry has no actor and says why', () => {
    const { actor: _actor, ...expiry } = approval
    const statement = buildApprovalStatement({
      ...expiry,
      action: 'expire',
      status: 'expired',
      reason: { code: 'APPROVAL_EXPIRED', message: 'not approved in time' },
    })
    expect(statement.predicate).not.toHaveProperty('actor')
    expect(statement.predicate.reason).toStrictEqual({
      code: 'APPROVAL_EXPIRED',
      message: 'not approved in time',
    })
    expect(parseStatement(JSON.parse(JSON.stringify(statement))).success).toBe(true)
  })

  test('refuses an unknown action or status, a bad pointer, or no approvals required', () => {
    expect(() => buildApprovalStatement({ ...approval, action: 'veto' as 'approve' })).toThrow()
    expect(() => buildApprovalStatement({ ...approval, status: 'maybe' as 'pending' })).toThrow()
    expect(() =>
      buildApprovalStatement({ ...approval, decisionEntry: { logIndex: -1, envelopeDigest: 'ee' } }),
    ).toThrow()
    expect(() => buildApprovalStatement({ ...approval, approvals: { required: 0, approvers: [] } })).toThrow()
  })
})

describe('buildAdminActionStatement', () => {
  test('names the action and target, with a digest over action, target and detail', () => {
    const detail = { scope: 'template', templateId: 'poll' }
    const statement = buildAdminActionStatement({
      actor: { name: 'alice', role: 'operator' },
      action: 'kill-switch.engage',
      target: 'template:poll',
      detail,
      at: '2030-01-02T03:04:05.000Z',
      gateway: { id: 'gw-1' },
    })
    const digest = createHash('sha256')
      .update(
        '{"action":"kill-switch.engage","detail":{"scope":"template","templateId":"poll"},"target":"template:poll"}',
      )
      .digest('hex')
    expect(statement).toStrictEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'admin:kill-switch.engage:template:poll', digest: { sha256: digest } }],
      predicateType: 'https://intentgate.dev/attestations/admin-action/v1',
      predicate: {
        gateway: { id: 'gw-1' },
        at: '2030-01-02T03:04:05.000Z',
        actor: { name: 'alice', role: 'operator' },
        action: 'kill-switch.engage',
        target: 'template:poll',
        detail,
      },
    })
  })

  test('refuses an action name that is not a stable dotted name', () => {
    expect(() =>
      buildAdminActionStatement({
        actor: { name: 'alice', role: 'operator' },
        action: 'Publish Template',
        target: 'x',
        at: '2030-01-02T03:04:05.000Z',
        gateway: { id: 'gw-1' },
      }),
    ).toThrow()
  })
})

describe('signStatement and parseStatement', () => {
  const key = generateSigningKey()

  test('the envelope carries the canonical JSON of the statement, signed as in-toto', () => {
    const statement = buildDecisionStatement(decisionParameters)
    const envelope = signStatement(statement, key)
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json')
    expect(envelope.signatures).toHaveLength(1)
    expect(envelope.signatures[0]?.keyid).toBe(key.keyid)
    const verified = verifyEnvelope(envelope, inTotoPayloadType, [key])
    expect(verified.ok).toBe(true)
    if (!verified.ok) return
    expect(Buffer.from(verified.payload).toString()).toBe(canonicalJson(statement))
    expect(parseStatement(JSON.parse(Buffer.from(verified.payload).toString()))).toStrictEqual({
      success: true,
      data: statement,
    })
  })

  test('a verifier refuses a statement whose subject does not match its intent, or of unknown type', () => {
    const statement = buildDecisionStatement(decisionParameters)
    const moved = { ...statement, subject: [{ name: 'request:0x00', digest: { keccak256: '00' } }] }
    expect(parseStatement(moved).success).toBe(false)
    expect(parseStatement({ ...statement, predicateType: `${predicateTypes.decision}2` }).success).toBe(false)
    expect(parseStatement({ ...statement, predicate: { ...statement.predicate, extra: 1 } }).success).toBe(
      false,
    )
  })
})
