import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { parseLimitWindow } from './limitWindow.js'
import { addressProblem, MAX_UINT256, placeholderName, uint256Problem } from './scalarFormats.js'

describe('uint256Problem', () => {
  test('accepts every uint256 in its canonical decimal form', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_UINT256 }), (value) => {
        expect(uint256Problem(value.toString())).toBeUndefined()
      }),
    )
  })

  test('refuses everything from 2^256 up', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MAX_UINT256 + 1n, max: 2n ** 300n }), (value) => {
        expect(uint256Problem(value.toString())).toMatch(/is not a uint256: above 2\^256 - 1$/)
      }),
    )
  })

  test.each([
    ['', '"" is not a uint256: expected a decimal string of digits'],
    ['-1', '"-1" is not a uint256: expected a decimal string of digits'],
    ['1e18', '"1e18" is not a uint256: expected a decimal string of digits'],
    [' 1', '" 1" is not a uint256: expected a decimal string of digits'],
    ['00', '"00" is not a uint256: leading zeros are not allowed'],
  ])('refuses %j', (value, message) => {
    expect(uint256Problem(value)).toBe(message)
  })
})

describe('addressProblem', () => {
  test('accepts lower-case, upper-case and checksummed addresses, refuses a wrong checksum', () => {
    expect(addressProblem('0xdc64a140aa3e981100a9beca4e685f962f0cf6c9')).toBeUndefined()
    expect(addressProblem('0xDC64A140AA3E981100A9BECA4E685F962F0CF6C9')).toBeUndefined()
    expect(addressProblem('0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9')).toBeUndefined()
    expect(addressProblem('0xdC64a140Aa3E981100a9becA4E685f962f0cF6C9')).toBe(
      '"0xdC64a140Aa3E981100a9becA4E685f962f0cF6C9" is not an address: its mixed-case EIP-55 checksum is wrong',
    )
    expect(addressProblem('0x1234')).toBe('"0x1234" is not an address: expected 0x and 40 hex digits')
  })
})

describe('placeholderName', () => {
  test('reads what is between double braces, and nothing else', () => {
    expect(placeholderName('{{poll}}')).toBe('poll')
    expect(placeholderName('{{}}')).toBe('')
    expect(placeholderName('{poll}')).toBeUndefined()
    expect(placeholderName('0x{{poll}}')).toBeUndefined()
  })
})

describe('parseLimitWindow', () => {
  test.each([
    ['1d', { windowKind: 'utc-day', windowSeconds: 86_400 }],
    ['7d', { windowKind: 'utc-day', windowSeconds: 604_800 }],
    ['24h', { windowKind: 'rolling', windowSeconds: 86_400 }],
    ['15m', { windowKind: 'rolling', windowSeconds: 900 }],
    ['90s', { windowKind: 'rolling', windowSeconds: 90 }],
  ])('%s', (window, expected) => {
    expect(parseLimitWindow(window)).toStrictEqual(expected)
  })

  test.each(['0d', '01h', '1w', 'd', '1.5h', '1 d'])('refuses %s', (window) => {
    expect(parseLimitWindow(window)).toStrictEqual({
      problem: `"${window}" is not a window: expected a positive count and a unit s, m, h or d, as in 1d or 12h`,
    })
  })

  test('refuses a window whose length in seconds is not a safe integer', () => {
    expect(parseLimitWindow('999999999999999d')).toStrictEqual({
      problem: '"999999999999999d" is too long a window',
    })
  })
})
