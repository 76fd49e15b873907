import { describe, expect, test } from 'vitest'
import type { Decision } from './decision.js'
import { isPolicyDecision, type ReplayCase, replayDecisions } from './replayDecisions.js'

const decisionCase = (
  index: number,
  allow: boolean,
  reasons: string[],
  templateId = 'poll',
  approvals?: { required: number; reason: string },
): ReplayCase => ({
  index,
  requestDigest: `0x${index.toString(16).padStart(64, '0')}`,
  templateId,
  recorded: { allow, reasons, ...(approvals ? { approvals } : {}) },
  input: { case: index },
})
/** A logged hold: every reason APPROVAL_REQUIRED, and the k it asked for. */
const heldCase = (index: number, required: number, templateId = 'poll') =>
  decisionCase(index, false, ['APPROVAL_REQUIRED'], templateId, { required, reason: `above ${index}` })

/** A candidate policy written out as a table: what it decides for each case index. */
function candidate(table: Record<number, Decision>) {
  return (input: Record<string, unknown>): Decision => table[input.case as number] as Decision
}
const allow: Decision = { allow: true, reasons: [], limits: [] }
const deny = (...codes: string[]): Decision => ({
  allow: false,
  reasons: codes.map((code) => ({ code, message: code.toLowerCase() })),
  limits: [],
})
const hold = (required: number): Decision => ({
  allow: false,
  reasons: [{ code: 'APPROVAL_REQUIRED', message: 'above the threshold' }],
  limits: [],
  approvals: { required, reason: 'above the threshold' },
})

describe('replayDecisions', () => {
  test('counts unchanged, newly denied, newly allowed and changed reasons, grouped by reason and template', () => {
    const cases = [
      decisionCase(0, true, []),
      decisionCase(1, true, []),
      decisionCase(2, true, [], 'badge'),
      decisionCase(3, false, ['TARGET_NOT_ALLOWED']),
      decisionCase(4, false, ['SELECTOR_NOT_ALLOWED']),
      decisionCase(5, false, ['VALUE_OVER_CAP']),
    ]
    const report = replayDecisions(
      cases,
      candidate({
        0: allow,
        1: deny('ADDRESS_DENIED'),
        2: deny('ADDRESS_DENIED', 'LEVEL_TOO_LOW'),
        3: allow,
        4: deny('SELECTOR_NOT_ALLOWED'),
        5: deny('VALUE_OVER_CAP', 'TX_VALUE_OVER_CAP'),
      }),
      { examples: 1 },
    )
    expect(report).toMatchObject({ replayed: 6, unchanged: 2 })
    expect(report.newlyDenied).toStrictEqual({
      count: 2,
      byReason: { ADDRESS_DENIED: 2, LEVEL_TOO_LOW: 1 },
      byTemplate: { poll: 1, badge: 1 },
      examples: [
        {
          index: 1,
          requestDigest: cases[1]?.requestDigest,
          templateId: 'poll',
          recorded: { allow: true, reasons: [], outcome: 'allow' },
          candidate: { allow: false, reasons: ['ADDRESS_DENIED'], outcome: 'deny' },
        },
      ],
      byTransition: { 'allow->deny': 2 },
    })
    expect(report.newlyAllowed).toMatchObject({ count: 1, byReason: { TARGET_NOT_ALLOWED: 1 } })
    expect(report.reasonsChanged).toMatchObject({
      count: 1,
      byReason: { VALUE_OVER_CAP: 1, TX_VALUE_OVER_CAP: 1 },
    })
  })

  test('holds are a third outcome: newly held, no longer held, k changed, and denied after a hold', () => {
    const cases = [
      decisionCase(0, true, []),
      decisionCase(1, false, ['VALUE_OVER_CAP'], 'badge'),
      heldCase(2, 2),
      heldCase(3, 2),
      heldCase(4, 2),
      heldCase(5, 3),
      heldCase(6, 2, 'badge'),
    ]
    const report = replayDecisions(
      cases,
      candidate({
        0: hold(2),
        1: hold(3),
        2: allow,
        3: hold(3),
        4: deny('ADDRESS_DENIED'),
        5: hold(3),
        6: hold(2),
      }),
    )
    expect(report).toMatchObject({ replayed: 7, unchanged: 2 })
    // Before, a candidate's hold of an allowed request counted as newly denied; it is newly held.
    expect(report.newlyHeld).toStrictEqual({
      count: 2,
      byReason: { APPROVAL_REQUIRED: 2 },
      byTemplate: { poll: 1, badge: 1 },
      byTransition: { 'allow->held k=2': 1, 'deny->held k=3': 1 },
      examples: [
        {
          index: 0,
          requestDigest: cases[0]?.requestDigest,
          templateId: 'poll',
          recorded: { allow: true, reasons: [], outcome: 'allow' },
          candidate: {
            allow: false,
            reasons: ['APPROVAL_REQUIRED'],
            approvals: { required: 2, reason: 'above the threshold' },
            outcome: 'held',
          },
        },
        expect.objectContaining({ index: 1 }),
      ],
    })
    expect(report.noLongerHeld).toMatchObject({
      count: 1,
      byReason: { APPROVAL_REQUIRED: 1 },
      byTransition: { 'held k=2->allow': 1 },
      examples: [{ index: 2, recorded: { outcome: 'held', approvals: { required: 2, reason: 'above 2' } } }],
    })
    expect(report.approvalsChanged).toMatchObject({ count: 1, byTransition: { 'held k=2->held k=3': 1 } })
    expect(report.newlyDenied).toMatchObject({
      count: 1,
      byReason: { ADDRESS_DENIED: 1 },
      byTransition: { 'held k=2->deny': 1 },
    })
    expect(report.newlyAllowed.count + report.reasonsChanged.count).toBe(0)
  })

  test('only decisions the policy made are replayable', () => {
    expect(isPolicyDecision({ allow: true, reasons: [] })).toBe(true)
    expect(isPolicyDecision({ allow: false, reasons: ['TARGET_NOT_ALLOWED', 'POLICY_ERROR'] })).toBe(true)
    expect(isPolicyDecision({ allow: false, reasons: ['SIMULATION_REVERTED'] })).toBe(false)
    expect(isPolicyDecision({ allow: false, reasons: ['TARGET_NOT_ALLOWED', 'LIMIT_EXCEEDED'] })).toBe(false)
    expect(isPolicyDecision({ allow: false, reasons: [] })).toBe(false)
    expect(isPolicyDecision({ allow: false, reasons: ['toString'] })).toBe(false)
    expect(isPolicyDecision({ allow: false, reasons: ['APPROVAL_REQUIRED'] })).toBe(true)
  })
})
