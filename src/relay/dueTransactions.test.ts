import { describe, expect, test } from 'vitest'
import { nextLookAt, replacementCap } from './dueTransactions.js'

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

describe('nextLookAt', () => {
  const now = 1_800_000_000_000
  const replaceAfterMs = 30_000

  test('replaceAfterMs from now for a transaction with no window', () => {
    expect(nextLookAt({}, 'request', now, replaceAfterMs)).toBe(now + replaceAfterMs)
  })

  test("a bundle no later than its op's validUntil, so it is cancelled as soon as it could only revert", () => {
    const validUntil = now / 1000 + 10
    expect(nextLookAt({ validUntil }, 'request', now, replaceAfterMs)).toBe(validUntil * 1000)
    expect(nextLookAt({ validUntil: now / 1000 + 60 }, 'request', now, replaceAfterMs)).toBe(
      now + replaceAfterMs,
    )
    // Already past it (signed just before the window ended): looked at, and cancelled, at once.
    expect(nextLookAt({ validUntil: now / 1000 - 1 }, 'request', now, replaceAfterMs)).toBeLessThan(now)
  })

  test('cancels and gap fillers wait the usual time whatever the window: they only clear the nonce', () => {
    const validUntil = now / 1000 + 10
    expect(nextLookAt({ validUntil }, 'cancel', now, replaceAfterMs)).toBe(now + replaceAfterMs)
    expect(nextLookAt({ validUntil }, 'gap-fill', now, replaceAfterMs)).toBe(now + replaceAfterMs)
  })
})
