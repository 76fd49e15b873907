import { describe, expect, test } from 'vitest'
import { limitCounter, rollingBuckets } from './limitKeys.js'

const base = { prefix: 'ig:', id: 'daily', scope: 'sender', keyParts: ['inst_1', '0xAbC'], metric: 'count' }
const day = 86_400

describe('limitCounter', () => {
  test('a 1d window is one bucket per UTC day, kept past midnight by a margin', () => {
    const now = Date.UTC(2026, 10, 22, 23, 0, 0) / 1000
    const counter = limitCounter({ ...base, windowKind: 'utc-day', windowSeconds: day, now })
    const midnight = Date.UTC(2026, 10, 22) / 1000
    expect(counter).toStrictEqual({
      sumKeys: [`ig:lim:daily:sender:inst_1:0xAbC:count:d86400:${midnight}`],
      ttlSeconds: 3600 + 300,
    })
    const nextDay = limitCounter({ ...base, windowKind: 'utc-day', windowSeconds: day, now: midnight + day })
    expect(nextDay.sumKeys[0]).toBe(`ig:lim:daily:sender:inst_1:0xAbC:count:d86400:${midnight + day}`)
  })

  test('a rolling window sums every sub-bucket that overlaps it, the current one last', () => {
    const counter = limitCounter({ ...base, windowKind: 'rolling', windowSeconds: 3600, now: 1_000_030 })
    expect(counter.sumKeys).toHaveLength(rollingBuckets + 1)
    expect(counter.sumKeys[0]).toBe(
      `ig:lim:daily:sender:inst_1:0xAbC:count:r60:${Math.floor((1_000_030 - 3600) / 60)}`,
    )
    expect(counter.sumKeys.at(-1)).toBe(
      `ig:lim:daily:sender:inst_1:0xAbC:count:r60:${Math.floor(1_000_030 / 60)}`,
    )
    expect(counter.ttlSeconds).toBe(3600 + 60 + 300)
  })

  test('key parts cannot run together: separators inside parts are escaped', () => {
    const a = limitCounter({
      ...base,
      keyParts: ['a:b', 'c'],
      windowKind: 'utc-day',
      windowSeconds: day,
      now: 0,
    })
    const b = limitCounter({
      ...base,
      keyParts: ['a', 'b:c'],
      windowKind: 'utc-day',
      windowSeconds: day,
      now: 0,
    })
    expect(a.sumKeys[0]).not.toBe(b.sumKeys[0])
    expect(a.sumKeys[0]).toContain('a%3Ab:c')
  })

  test('rejects a window or a time that is not a whole number of seconds', () => {
    expect(() => limitCounter({ ...base, windowKind: 'rolling', windowSeconds: 0, now: 1 })).toThrow(
      RangeError,
    )
    expect(() => limitCounter({ ...base, windowKind: 'rolling', windowSeconds: 60, now: 1.5 })).toThrow(
      RangeError,
    )
  })
})
