import { describe, expect, test } from 'vitest'
import {
  compareDecisions,
  outcomeLabel,
  transitionLabel,
  type Verdict,
  verdictOf,
} from './compareDecisions.js'

const allow: Verdict = { allow: true, reasons: [] }
const deny = (...reasons: string[]): Verdict => ({ allow: false, reasons })
const hold = (required: number): Verdict => ({
  allow: false,
  reasons: ['APPROVAL_REQUIRED'],
  approvals: { required },
})

describe('compareDecisions', () => {
  test('every pair of allow, deny and hold maps to the change the second one makes', () => {
    const pairs: [Verdict, Verdict][] = [
      [allow, allow],
      [allow, deny('ADDRESS_DENIED')],
      [allow, hold(2)],
      [deny('ADDRESS_DENIED'), allow],
      [deny('ADDRESS_DENIED'), deny('ADDRESS_DENIED')],
      [deny('ADDRESS_DENIED'), deny('LEVEL_TOO_LOW')],
      [deny('ADDRESS_DENIED'), hold(2)],
      [hold(2), allow],
      [hold(2), deny('ADDRESS_DENIED')],
      [hold(2), hold(2)],
      [hold(2), hold(3)],
    ]
    expect(
      pairs.map(
        ([baseline, candidate]) =>
          `${transitionLabel(baseline, candidate)}: ${compareDecisions(baseline, candidate)}`,
      ),
    ).toStrictEqual([
      'allow->allow: unchanged',
      'allow->deny: newly-denied',
      'allow->held k=2: newly-held',
      'deny->allow: newly-allowed',
      'deny->deny: unchanged',
      'deny->deny: reasons-changed',
      'deny->held k=2: newly-held',
      'held k=2->allow: no-longer-held',
      'held k=2->deny: newly-denied',
      'held k=2->held k=2: unchanged',
      'held k=2->held k=3: approvals-changed',
    ])
  })

  test('denials compare by their set of codes, not their order or repetition', () => {
    expect(compareDecisions(deny('A', 'B'), deny('B', 'A', 'A'))).toBe('unchanged')
    expect(compareDecisions(deny('A', 'B'), deny('A'))).toBe('reasons-changed')
  })

  test('labels name each outcome, a hold with its k', () => {
    expect([allow, deny('A'), hold(3)].map(outcomeLabel)).toStrictEqual(['allow', 'deny', 'held k=3'])
    expect(transitionLabel(hold(2), hold(3))).toBe('held k=2->held k=3')
    expect(transitionLabel(allow, hold(2))).toBe('allow->held k=2')
  })

  test('verdictOf keeps codes once each and a hold with its approvals', () => {
    expect(
      verdictOf({
        allow: false,
        reasons: [
          { code: 'APPROVAL_REQUIRED', message: 'value' },
          { code: 'APPROVAL_REQUIRED', message: 'token' },
        ],
        limits: [],
        approvals: { required: 2, reason: 'value; token' },
      }),
    ).toStrictEqual({
      allow: false,
      reasons: ['APPROVAL_REQUIRED'],
      approvals: { required: 2, reason: 'value; token' },
    })
    expect(verdictOf({ allow: true, reasons: [], limits: [] })).toStrictEqual({ allow: true, reasons: [] })
  })
})
