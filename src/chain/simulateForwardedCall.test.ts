import { describe, expect, test } from 'vitest'
import { intrinsicGas } from './simulateForwardedCall.js'

describe('intrinsicGas', () => {
  test('counts 4 per zero byte and 16 per other byte over 21000, and the EIP-7623 floor', () => {
    expect(intrinsicGas('0x')).toStrictEqual({ standard: 21_000n, floor: 21_000n })
    expect(intrinsicGas('0x0001ff00')).toStrictEqual({
      standard: 21_000n + 2n * 4n + 2n * 16n,
      floor: 21_000n + 10n * (2n + 4n * 2n),
    })
  })
})
