import { describe, expect, test } from 'vitest'
import { createDecisionRates } from './decisionRates.js'

describe('createDecisionRates', () => {
  test('counts per wall-clock minute and verdict-reason pair, and forgets minutes past the window', () => {
    let now = Date.parse('2030-01-01T00:00:10Z')
    const rates = createDecisionRates({ minutes: 3, now: () => now })
    rates.record('allow', 'none')
    rates.record('deny', 'SELECTOR_NOT_ALLOWED')
    rates.record('deny', 'SELECTOR_NOT_ALLOWED')
    now += 60_000
    rates.record('allow', 'none')
    expect(rates.perMinute()).toStrictEqual([
      { minute: '2029-12-31T23:59:00.000Z', counts: {}, total: 0 },
      {
        minute: '2030-01-01T00:00:00.000Z',
        counts: { 'allow none': 1, 'deny SELECTOR_NOT_ALLOWED': 2 },
        total: 3,
      },
      { minute: '2030-01-01T00:01:00.000Z', counts: { 'allow none': 1 }, total: 1 },
    ])
    now += 3 * 60_000
    expect(rates.perMinute().map((minute) => minute.total)).toStrictEqual([0, 0, 0])
  })
})
