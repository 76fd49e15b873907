import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { jsonNestsDeeperThan } from './jsonNesting.js'

/** Depth of a parsed JSON value, counted the way the scanner counts brackets. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf))
  if (value !== null && typeof value === 'object')
    return 1 + Math.max(0, ...Object.values(value).map(depthOf))
  return 0
}

describe('jsonNestsDeeperThan', () => {
  test('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(jsonNestsDeeperThan('[[{"a":[1]}]]', 4)).toBe(false)
    expect(jsonNestsDeeperThan('[[{"a":[1]}]]', 3)).toBe(true)
    expect(jsonNestsDeeperThan('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false)
    expect(jsonNestsDeeperThan('"\\\\"', 0)).toBe(false)
    expect(jsonNestsDeeperThan('{"a":"\\\\","b":[[1]]}', 2)).toBe(true)
  })

  test('finds 10,000 levels without recursing', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
    expect(jsonNestsDeeperThan(deep, 64)).toBe(true)
    expect(jsonNestsDeeperThan(deep, 10_000)).toBe(false)
  })

  test('agrees with the depth of the parsed value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.nat(8), (value, limit) => {
        const text = JSON.stringify(value)
        expect(jsonNestsDeeperThan(text, limit)).toBe(depthOf(JSON.parse(text)) > limit)
      }),
      { numRuns: 500 },
    )
  })
})
