import { describe, expect, test } from 'vitest'
import { denyDecision, parseDecision } from './decision.js'

const limit = {
  id: 'sender-valueWei-1d',
  scope: 'sender',
  keyParts: ['inst-01', '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'],
  metric: 'valueWei',
  amount: '1000000000000000000',
  max: '5000000000000000000',
  windowSeconds: 86_400,
  windowKind: 'utc-day',
}

const held = {
  allow: false,
  reasons: [{ code: 'APPROVAL_REQUIRED', message: 'value 2 is above 1' }],
  limits: [limit],
  approvals: { required: 2, reason: 'value 2 is above 1' },
}

describe('parseDecision', () => {
  test('accepts an allow with limits', () => {
    const raw = { allow: true, reasons: [], limits: [limit] }
    expect(parseDecision(raw)).toEqual(raw)
  })

  test('accepts a deny with reasons', () => {
    const raw = {
      allow: false,
      reasons: [{ code: 'CHAIN_NOT_ALLOWED', message: 'chain 10 is not allowed' }],
      limits: [],
    }
    expect(parseDecision(raw)).toEqual(raw)
  })

  test('accepts a request held for approval, with the limits it reserves', () => {
    const raw = {
      allow: false,
      reasons: [{ code: 'APPROVAL_REQUIRED', message: 'value 2 is above 1' }],
      limits: [limit],
      approvals: { required: 2, reason: 'value 2 is above 1' },
    }
    expect(parseDecision(raw)).toEqual(raw)
  })

  test('defaults keyParts to the scope alone', () => {
    const { keyParts: _, ...withoutKeyParts } = limit
    const decision = parseDecision({ allow: true, reasons: [], limits: [withoutKeyParts] })
    expect(decision.limits).toEqual([{ ...withoutKeyParts, keyParts: [] }])
  })

  test('drops fields it does not know, so they never reach an attestation unvalidated', () => {
    const decision = parseDecision({ allow: true, reasons: [], limits: [], debug: { secret: 1 } })
    expect(decision).toEqual({ allow: true, reasons: [], limits: [] })
  })

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['a boolean', true],
    ['an array', [{ allow: true, reasons: [], limits: [] }]],
    ['allow as a string', { allow: 'true', reasons: [], limits: [] }],
    ['missing limits', { allow: true, reasons: [] }],
    ['a lower-case code', { allow: false, reasons: [{ code: 'denied', message: 'no' }], limits: [] }],
    ['an empty message', { allow: false, reasons: [{ code: 'DENIED', message: '' }], limits: [] }],
    ['a deny without a reason', { allow: false, reasons: [], limits: [] }],
    ['an allow with a reason', { allow: true, reasons: [{ code: 'NOTE', message: 'fyi' }], limits: [] }],
    ['an amount as a number', { allow: true, reasons: [], limits: [{ ...limit, amount: 1 }] }],
    ['an amount with leading zeros', { allow: true, reasons: [], limits: [{ ...limit, amount: '01' }] }],
    ['an amount above uint256', { allow: true, reasons: [], limits: [{ ...limit, max: '1'.repeat(79) }] }],
    ['a negative max', { allow: true, reasons: [], limits: [{ ...limit, max: '-1' }] }],
    ['an unknown scope', { allow: true, reasons: [], limits: [{ ...limit, scope: 'planet' }] }],
    ['an unknown metric', { allow: true, reasons: [], limits: [{ ...limit, metric: 'calls' }] }],
    ['a fractional window', { allow: true, reasons: [], limits: [{ ...limit, windowSeconds: 1.5 }] }],
    ['a zero window', { allow: true, reasons: [], limits: [{ ...limit, windowSeconds: 0 }] }],
    ['a limit without an id', { allow: true, reasons: [], limits: [{ ...limit, id: undefined }] }],
    ['an empty limit id', { allow: true, reasons: [], limits: [{ ...limit, id: '' }] }],
    ['an unknown window kind', { allow: true, reasons: [], limits: [{ ...limit, windowKind: 'calendar' }] }],
    ['a missing window kind', { allow: true, reasons: [], limits: [{ ...limit, windowKind: undefined }] }],
    ['an empty key part', { allow: true, reasons: [], limits: [{ ...limit, keyParts: ['inst-01', ''] }] }],
    [
      'a deny that reserves limits',
      { allow: false, reasons: [{ code: 'NO', message: 'no' }], limits: [limit] },
    ],
    ['approvals on an allow', { ...held, allow: true, reasons: [] }],
    [
      'approvals beside a real denial',
      { ...held, reasons: [...held.reasons, { code: 'NO', message: 'no' }] },
    ],
    ['approvals without a reason', { ...held, reasons: [] }],
    ['an approval reason without approvals', { ...held, approvals: undefined }],
    ['zero approvals', { ...held, approvals: { required: 0, reason: 'r' } }],
    ['eleven approvals', { ...held, approvals: { required: 11, reason: 'r' } }],
    ['a fractional count of approvals', { ...held, approvals: { required: 1.5, reason: 'r' } }],
    ['approvals as a string', { ...held, approvals: { required: '2', reason: 'r' } }],
    ['approvals with an empty reason', { ...held, approvals: { required: 2, reason: '' } }],
    ['approvals without a reason field', { ...held, approvals: { required: 2 } }],
    ['approvals as true', { ...held, approvals: true }],
  ])('denies %s as POLICY_RESULT_INVALID', (_, raw) => {
    const decision = parseDecision(raw)
    expect(decision.allow).toBe(false)
    expect(decision.limits).toEqual([])
    expect(decision.reasons).toHaveLength(1)
    expect(decision.reasons[0]?.code).toBe('POLICY_RESULT_INVALID')
  })

  test('says which field was wrong', () => {
    expect(parseDecision({ allow: 'yes', reasons: [], limits: [] })).toMatchInlineSnapshot(`
      {
        "allow": false,
        "limits": [],
        "reasons": [
          {
            "code": "POLICY_RESULT_INVALID",
            "message": "policy result is not a decision: allow: Invalid input: expected boolean, received string",
          },
        ],
      }
    `)
  })

  test('keeps the message short when everything is wrong', () => {
    const [reason] = parseDecision({
      allow: false,
      reasons: Array.from({ length: 50 }, () => ({ code: 1, message: 2 })),
      limits: [],
    }).reasons
    expect(reason?.message).toMatch(/; and 97 more$/)
  })
})

describe('denyDecision', () => {
  test('records one reason and reserves nothing', () => {
    expect(denyDecision('POLICY_ERROR', 'boom')).toEqual({
      allow: false,
      reasons: [{ code: 'POLICY_ERROR', message: 'boom' }],
      limits: [],
    })
  })
})
