import { describe, expect, test } from 'vitest'
import type { Decision } from './decision.js'
import { isPolicyDecision, type ReplayCase, replayDecisions } from './replayDecisions.js'

const decisionCase = (index: number, allow: boolean, reasons: string[], templateId = 'poll'): ReplayCase => ({
  index,
  requestDigest: `0x${index.toString(16).padStart(64, '0')}`,
  templateId,
  recorded: { allow, reasons },
  input: { case: index },
})

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
          recorded: { allow: true, reasons: [] },
          candidate: { allow: false, reasons: ['ADDRESS_DENIED'] },
        },
      ],
    })
    expect(report.newlyAllowed).toMatchObject({ count: 1, byReason: { TARGET_NOT_ALLOWED: 1 } })
    expect(report.reasonsChanged).toMatchObject({
      count: 1,
      byReason: { VALUE_OVER_CAP: 1, TX_VALUE_OVER_CAP: 1 },
    })
  })

  test('only decisions the policy made are replayable', () => {
    expect(isPolicyDecision({ allow: true, reasons: [] })).toBe(true)
    expect(isPolicyDecision({ allow: false, reasons: ['TARGET_NOT_ALLOWED', 'POLICY_ERROR'] })).toBe(true)
    expect(isPolicyDecision({ allow: false, reasons: ['SIMULATION_REVERTED'] })).toBe(false)
    expect(isPolicyDecision({ allow: false, reasons: ['TARGET_NOT_ALLOWED', 'LIMIT_EXCEEDED'] })).toBe(false)
    expect(isPolicyDecision({ allow: false, reasons: [] })).toBe(false)
    expect(isPolicyDecision({ allow: false, reasons: ['toString'] })).toBe(false)
  })
})
