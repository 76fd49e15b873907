import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { bumpFees, type Eip1559Fees, feesAtCap, initialFees, raiseByPercent } from './feeStrategy.js'

const gwei = 1_000_000_000n

describe('initialFees', () => {
  test('twice the base fee plus the tip, when the cap allows it', () => {
    expect(
      initialFees({ baseFeePerGas: 10n * gwei, priorityFeePerGas: gwei, capPerGas: 100n * gwei }),
    ).toStrictEqual({
      kind: 'send',
      fees: { maxFeePerGas: 21n * gwei, maxPriorityFeePerGas: gwei },
      capped: false,
    })
  })

  test('lowered to the cap, with the tip never above the max fee', () => {
    expect(
      initialFees({ baseFeePerGas: 10n * gwei, priorityFeePerGas: 50n * gwei, capPerGas: 15n * gwei }),
    ).toStrictEqual({
      kind: 'send',
      fees: { maxFeePerGas: 15n * gwei, maxPriorityFeePerGas: 15n * gwei },
      capped: true,
    })
  })

  test('a cap below the base fee is reported, not sent to be refused', () => {
    expect(
      initialFees({ baseFeePerGas: 10n * gwei, priorityFeePerGas: gwei, capPerGas: 9n * gwei }),
    ).toStrictEqual({
      kind: 'cap-below-base-fee',
      capPerGas: 9n * gwei,
      baseFeePerGas: 10n * gwei,
    })
  })
})

describe('raiseByPercent', () => {
  test.each([
    [100n, 12.5, 113n],
    [8n, 12.5, 9n],
    [1n, 12.5, 2n],
    [0n, 12.5, 1n],
    [1_000_000_000n, 12.5, 1_125_000_000n],
    [1_000_000_001n, 12.5, 1_125_000_002n],
    [100n, 10, 110n],
  ])('%s raised by %s%% is %s', (value, percent, expected) => {
    expect(raiseByPercent(value, percent)).toBe(expected)
  })

  test('refuses percentages nodes do not use', () => {
    expect(() => raiseByPercent(1n, 12.345)).toThrow(RangeError)
    expect(() => raiseByPercent(1n, -1)).toThrow(RangeError)
    expect(() => raiseByPercent(1n, Number.NaN)).toThrow(RangeError)
  })
})

describe('bumpFees', () => {
  const previous: Eip1559Fees = { maxFeePerGas: 20n * gwei, maxPriorityFeePerGas: 2n * gwei }

  test('the minimum bump on both fields when no estimate is given', () => {
    expect(bumpFees(previous, { capPerGas: 100n * gwei })).toStrictEqual({
      kind: 'replace',
      fees: { maxFeePerGas: 22_500_000_000n, maxPriorityFeePerGas: 2_250_000_000n },
    })
  })

  test('follows a market that moved further, up to the cap', () => {
    const estimate = { baseFeePerGas: 30n * gwei, priorityFeePerGas: 3n * gwei }
    expect(bumpFees(previous, { capPerGas: 100n * gwei, estimate })).toStrictEqual({
      kind: 'replace',
      fees: { maxFeePerGas: 63n * gwei, maxPriorityFeePerGas: 3n * gwei },
    })
    expect(bumpFees(previous, { capPerGas: 40n * gwei, estimate })).toStrictEqual({
      kind: 'replace',
      fees: { maxFeePerGas: 40n * gwei, maxPriorityFeePerGas: 3n * gwei },
    })
  })

  test('cancels when even the minimum bump is above the cap, with fees that still replace', () => {
    expect(bumpFees(previous, { capPerGas: 22n * gwei })).toStrictEqual({
      kind: 'cancel',
      cancelFees: { maxFeePerGas: 22_500_000_000n, maxPriorityFeePerGas: 2_250_000_000n },
    })
  })

  test('never raises the tip above a tip cap; cancels when even the minimum bump is above it', () => {
    const estimate = { baseFeePerGas: 30n * gwei, priorityFeePerGas: 5n * gwei }
    expect(bumpFees(previous, { capPerGas: 100n * gwei, tipCapPerGas: 3n * gwei, estimate })).toStrictEqual({
      kind: 'replace',
      fees: { maxFeePerGas: 63n * gwei, maxPriorityFeePerGas: 3n * gwei },
    })
    expect(bumpFees(previous, { capPerGas: 100n * gwei, tipCapPerGas: 2n * gwei, estimate })).toStrictEqual({
      kind: 'cancel',
      cancelFees: { maxFeePerGas: 22_500_000_000n, maxPriorityFeePerGas: 2_250_000_000n },
    })
  })

  test('refuses previous fees with the tip above the max fee', () => {
    expect(() => bumpFees({ maxFeePerGas: 1n, maxPriorityFeePerGas: 2n }, { capPerGas: 10n })).toThrow(
      RangeError,
    )
  })
})

const feesArbitrary = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: 10n ** 15n }))
  .map(
    ([a, b]): Eip1559Fees =>
      a >= b ? { maxFeePerGas: a, maxPriorityFeePerGas: b } : { maxFeePerGas: b, maxPriorityFeePerGas: a },
  )
const estimateArbitrary = fc.option(
  fc.record({
    baseFeePerGas: fc.bigInt({ min: 0n, max: 10n ** 15n }),
    priorityFeePerGas: fc.bigInt({ min: 0n, max: 10n ** 14n }),
  }),
  { nil: undefined },
)
const percentArbitrary = fc.constantFrom(10, 12.5, 20, 100)

/** The acceptance rule of geth's pool, per field: new >= old * (100 + percent) / 100, exactly. */
function nodeAccepts(previous: bigint, next: bigint, percent: number): boolean {
  return next * 10_000n >= previous * BigInt(10_000 + Math.round(percent * 100)) && next > previous
}

describe('bumpFees properties', () => {
  test('a replacement raises both fields by at least the bump, stays within the cap, and keeps tip <= max fee', () => {
    fc.assert(
      fc.property(
        feesArbitrary,
        fc.bigInt({ min: 0n, max: 4n * 10n ** 15n }),
        estimateArbitrary,
        percentArbitrary,
        (previous, capPerGas, estimate, minBumpPercent) => {
          const verdict = bumpFees(previous, { capPerGas, estimate, minBumpPercent })
          if (verdict.kind === 'replace') {
            const { fees } = verdict
            expect(nodeAccepts(previous.maxFeePerGas, fees.maxFeePerGas, minBumpPercent)).toBe(true)
            expect(
              nodeAccepts(previous.maxPriorityFeePerGas, fees.maxPriorityFeePerGas, minBumpPercent),
            ).toBe(true)
            expect(fees.maxFeePerGas <= capPerGas).toBe(true)
            expect(fees.maxPriorityFeePerGas <= fees.maxFeePerGas).toBe(true)
          } else {
            // It only gives up when the minimum bump really does not fit under the cap.
            expect(raiseByPercent(previous.maxFeePerGas, minBumpPercent) > capPerGas).toBe(true)
            expect(nodeAccepts(previous.maxFeePerGas, verdict.cancelFees.maxFeePerGas, minBumpPercent)).toBe(
              true,
            )
            expect(
              nodeAccepts(
                previous.maxPriorityFeePerGas,
                verdict.cancelFees.maxPriorityFeePerGas,
                minBumpPercent,
              ),
            ).toBe(true)
          }
        },
      ),
      { numRuns: 2_000 },
    )
  })

  test('initial fees never exceed the cap and keep tip <= max fee >= base fee', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        fc.bigInt({ min: 0n, max: 4n * 10n ** 15n }),
        (baseFeePerGas, priorityFeePerGas, capPerGas) => {
          const verdict = initialFees({ baseFeePerGas, priorityFeePerGas, capPerGas })
          if (verdict.kind === 'cap-below-base-fee') {
            expect(capPerGas < baseFeePerGas).toBe(true)
            return
          }
          expect(verdict.fees.maxFeePerGas <= capPerGas).toBe(true)
          expect(verdict.fees.maxFeePerGas >= baseFeePerGas).toBe(true)
          expect(verdict.fees.maxPriorityFeePerGas <= verdict.fees.maxFeePerGas).toBe(true)
        },
      ),
    )
  })
})

describe('feesAtCap', () => {
  test('pays the whole cap, with the tip never above it', () => {
    expect(feesAtCap(10n, 3n)).toStrictEqual({ maxFeePerGas: 10n, maxPriorityFeePerGas: 3n })
    expect(feesAtCap(10n, 30n)).toStrictEqual({ maxFeePerGas: 10n, maxPriorityFeePerGas: 10n })
  })
})
