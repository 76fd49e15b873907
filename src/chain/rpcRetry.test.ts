import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { isReadOnlyRpcMethod, retryDelayMs, worstCaseMs } from './rpcRetry.js'

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, attemptTimeoutMs: 500 }

describe('retryDelayMs', () => {
  test('grows by doubling, never passes the cap, and is at least half of its step', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, random) => {
          const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
          const delay = retryDelayMs(retry, policy, random)
          expect(delay).toBeGreaterThanOrEqual(Math.floor(step / 2))
          expect(delay).toBeLessThanOrEqual(policy.maxDelayMs)
        },
      ),
    )
    expect([0, 1, 2, 3, 4].map((retry) => retryDelayMs(retry, policy, 0))).toStrictEqual([
      50, 100, 200, 400, 500,
    ])
  })
})

describe('isReadOnlyRpcMethod', () => {
  test('reads are safe to send again; anything else is not', () => {
    for (const method of ['eth_call', 'eth_chainId', 'eth_getLogs', 'eth_simulateV1'])
      expect(isReadOnlyRpcMethod(method)).toBe(true)
    for (const method of ['eth_sendRawTransaction', 'eth_sendTransaction', 'anvil_mine', ''])
      expect(isReadOnlyRpcMethod(method)).toBe(false)
  })
})

describe('worstCaseMs', () => {
  test('every attempt timing out and every delay at its cap', () => {
    expect(worstCaseMs(policy)).toBe(4 * 500 + 3 * 1_000)
  })
})
