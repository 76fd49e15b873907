import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import type { ForwardRequestData } from '../intents/forwardRequest.js'
import { forwarderExecuteGasLimit, gasToForward, POST_CALL_GAS, VALUE_TRANSFER_GAS } from './forwarderGas.js'

const request: ForwardRequestData = {
  from: '0x1111111111111111111111111111111111111111',
  to: '0x2222222222222222222222222222222222222222',
  value: 0n,
  gas: 200_000n,
  deadline: 1_900_000_000,
  data: '0x0121b93f0000000000000000000000000000000000000000000000000000000000000001',
  signature: `0x${'ab'.repeat(65)}`,
}

describe('gasToForward', () => {
  test('enough gas at the CALL that passes request.gas in full, and passes the check after it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 30_000_000n }), (requestGas) => {
        const available = gasToForward(requestGas)
        // EIP-150: a CALL passes at most available - floor(available / 64).
        expect(available - available / 64n >= requestGas).toBe(true)
        // And no more than one unit above 64/63 of it.
        expect(available * 63n <= requestGas * 64n + 63n).toBe(true)
        // Even when the inner call spends all of request.gas, gasleft() >= request.gas / 63 holds.
        expect(available - requestGas >= requestGas / 63n).toBe(true)
      }),
      { numRuns: 2_000 },
    )
  })
})

describe('forwarderExecuteGasLimit', () => {
  test('grows with request.gas by 64/63, with value and with data', () => {
    const base = forwarderExecuteGasLimit(request)
    expect(forwarderExecuteGasLimit({ ...request, gas: request.gas + 63_000n }) - base).toBe(64_000n)
    expect(forwarderExecuteGasLimit({ ...request, value: 1n }) - base).toBeGreaterThanOrEqual(
      VALUE_TRANSFER_GAS,
    )
    const longer = forwarderExecuteGasLimit({ ...request, data: `${request.data}${'ff'.repeat(320)}` })
    expect(longer - base).toBeGreaterThanOrEqual(320n * 16n)
  })

  test('always covers the forwarded gas, the intrinsic cost and the post-call work', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        fc.uint8Array({ maxLength: 2_000 }),
        (gas, bytes) => {
          const data = `0x${Buffer.from(bytes).toString('hex')}` as const
          const limit = forwarderExecuteGasLimit({ ...request, gas, data })
          expect(limit >= 21_000n + gasToForward(gas) + POST_CALL_GAS).toBe(true)
        },
      ),
    )
  })
})
