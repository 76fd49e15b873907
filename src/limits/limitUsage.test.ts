import { describe, expect, test } from 'vitest'
import { highestByLimit } from '../observability/stateGauges.js'
import { type LimitUsage, usageRatio } from './limitUsage.js'

describe('usageRatio', () => {
  test('is exact for wei amounts past 2^53, to four places', () => {
    expect(usageRatio(10n ** 24n, 4n * 10n ** 24n)).toBe(0.25)
    expect(usageRatio(1n, 3n)).toBe(0.3333)
    expect(usageRatio(0n, 50n)).toBe(0)
    expect(usageRatio(0n, 0n)).toBe(0)
    expect(usageRatio(1n, 0n)).toBe(1)
  })
})

describe('highestByLimit', () => {
  test('keeps the fullest counter of each template limit, whatever the number of instances', () => {
    const usage = (instanceId: string, limitId: string, ratio: number): LimitUsage => ({
      instanceId,
      templateId: 'community-poll',
      limitId,
      scope: 'instance',
      metric: 'count',
      used: '0',
      max: '1',
      ratio,
    })
    expect(
      highestByLimit([usage('a', 'daily', 0.2), usage('b', 'daily', 0.7), usage('a', 'value', 0.1)]),
    ).toStrictEqual(
      new Map([
        ['community-poll\ndaily', 0.7],
        ['community-poll\nvalue', 0.1],
      ]),
    )
  })
})
