import { describe, expect, test } from 'vitest'
import { replacementCap } from './dueTransactions.js'

describe('replacementCap', () => {
  const record = { replacements: 1, capPerGas: '50000000000' }
  const now = 1_800_000_000_000

  test('the request cap while replacements remain and the window is open', () => {
    expect(replacementCap(record, 3, now)).toBe(50_000_000_000n)
    expect(replacementCap({ ...record, validUntil: now / 1000 + 1 }, 3, now)).toBe(50_000_000_000n)
  })

  test('zero, so the transaction is cancelled, once out of replacements', () => {
    expect(replacementCap({ ...record, replacements: 3 }, 3, now)).toBe(0n)
  })

  test('zero from validUntil on: a bundle landing after its window would revert at the relayer cost', () => {
    expect(replacementCap({ ...record, validUntil: now / 1000 }, 3, now)).toBe(0n)
    expect(replacementCap({ ...record, validUntil: now / 1000 - 60 }, 3, now)).toBe(0n)
  })
})
