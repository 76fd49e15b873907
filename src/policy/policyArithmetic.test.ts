import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import { loadWasmPolicy, type WasmPolicy, wasmDigest } from './wasmPolicy.js'

// The Rego tests run in OPA's Go evaluator; the gateway runs the Wasm. Amounts are compared
// and summed as decimal strings by policies/intentgate/decimal.rego, and this checks the
// compiled form against BigInt arithmetic, where a difference between the two runtimes
// (a float, a rounding) would show.

const build = (name: string) => fileURLToPath(new URL(`../../policies/build/${name}`, import.meta.url))
const target = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
const uint256Max = 2n ** 256n - 1n

const wei = fc.oneof(
  fc.bigInt({ min: 0n, max: uint256Max }),
  fc.bigInt({ min: 0n, max: 10n ** 21n }),
  fc.constantFrom(0n, 1n, 999_999_999n, 1_000_000_000n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 18n, uint256Max),
)

function inputFor(values: bigint[], callCap: bigint, txCap: bigint) {
  return {
    intent: {
      kind: 'meta-tx',
      chainId: 1,
      sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      calls: values.map((value, index) => ({
        path: String(index),
        depth: 0,
        role: 'call',
        to: target,
        value: value.toString(),
        selector: '0x2755cd2d',
        dataHash: `0x${'00'.repeat(32)}`,
        dataLength: 4,
      })),
      gas: { limit: '1', maxFeePerGas: '1', maxCostWei: '1' },
      validUntil: 1_767_225_660,
      nonce: '0',
      requestDigest: `0x${'11'.repeat(32)}`,
    },
    template: {
      id: 'tips',
      digest: `sha256:${'22'.repeat(32)}`,
      verificationLevel: 3,
      capabilities: ['relay:meta-tx'],
      intent: {
        chains: [1],
        calls: [
          {
            to: target,
            maxValueWei: callCap.toString(),
            functions: [{ signature: 'tip()', selector: '0x2755cd2d' }],
          },
        ],
        tokenCaps: [],
        maxTxValueWei: txCap.toString(),
        limits: [
          {
            id: 'instance-valueWei-1d',
            scope: 'instance',
            metric: 'valueWei',
            window: '1d',
            windowKind: 'utc-day',
            windowSeconds: 86_400,
            max: '1',
          },
        ],
        gas: { maxGasLimit: '1', maxFeePerGasWei: '1', maxCostWei: '1' },
      },
    },
    instance: { id: 'inst-01' },
    now: 1_767_225_600,
  }
}

describe('wei arithmetic in the compiled policy', () => {
  let policy: WasmPolicy

  beforeAll(async () => {
    const wasm = new Uint8Array(readFileSync(build('policy.wasm')))
    const data = JSON.parse(readFileSync(build('data.json'), 'utf8')) as Record<string, unknown>
    policy = await loadWasmPolicy({ wasm, data, revision: 'committed', digest: wasmDigest(wasm) })
  })

  test('caps each call and the transaction exactly, and sums value exactly', () => {
    fc.assert(
      fc.property(fc.array(wei, { minLength: 1, maxLength: 8 }), wei, wei, (values, callCap, txCap) => {
        const decision = policy.evaluate(inputFor(values, callCap, txCap))
        const total = values.reduce((sum, value) => sum + value, 0n)
        const codes = decision.reasons.map((reason) => reason.code)
        expect(codes.filter((code) => code === 'VALUE_OVER_CAP')).toHaveLength(
          values.filter((value) => value > callCap).length,
        )
        expect(codes.includes('TX_VALUE_OVER_CAP')).toBe(total > txCap)
        if (decision.allow) expect(decision.limits[0]?.amount).toBe(total.toString())
        expect(codes.filter((code) => !['VALUE_OVER_CAP', 'TX_VALUE_OVER_CAP'].includes(code))).toEqual([])
      }),
      { numRuns: 300 },
    )
  })

  test('sums to the exact total when every cap allows it', () => {
    fc.assert(
      fc.property(fc.array(wei, { minLength: 1, maxLength: 12 }), (values) => {
        const total = values.reduce((sum, value) => sum + value, 0n)
        const decision = policy.evaluate(inputFor(values, uint256Max, total))
        expect(decision.allow).toBe(true)
        expect(decision.limits[0]?.amount).toBe(total.toString())
      }),
      { numRuns: 200 },
    )
  })
})
