import fc from 'fast-check'
import { encodeFunctionData, getAddress, type Hex, hexToBytes } from 'viem'
import { describe, expect, test } from 'vitest'
import { intentForwarderAbi } from '../chain/artifacts/IntentForwarder.js'
import type { ForwardRequestData } from '../intents/forwardRequest.js'
import {
  encodeForwarderExecute,
  forwarderExecuteGasLimit,
  gasToForward,
  POST_CALL_GAS,
  VALUE_TRANSFER_GAS,
} from './forwarderGas.js'

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

describe('encodeForwarderExecute', () => {
  const viemExecute = (forwarded: ForwardRequestData) =>
    encodeFunctionData({ abi: intentForwarderAbi, functionName: 'execute', args: [forwarded] })
  const hexOf = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}` as Hex
  const addressOf = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(hexOf)

  test('equals viem encodeFunctionData for random requests, checksummed or lower-case', () => {
    fc.assert(
      fc.property(
        fc.record({
          from: addressOf,
          to: addressOf.map((address) => getAddress(address)),
          value: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
          gas: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
          deadline: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
          data: fc.uint8Array({ maxLength: 300 }).map(hexOf),
          signature: fc.uint8Array({ maxLength: 130 }).map(hexOf),
        }),
        (forwarded) => {
          expect(encodeForwarderExecute(forwarded)).toBe(viemExecute(forwarded).toLowerCase())
        },
      ),
      { numRuns: 2_000 },
    )
    expect(encodeForwarderExecute(request)).toBe(viemExecute(request))
  })

  test('throws for what the ABI cannot hold', () => {
    const bad: Partial<ForwardRequestData>[] = [
      { value: -1n },
      { gas: 2n ** 256n },
      { deadline: 2 ** 48 },
      { from: '0x1234' },
      { to: `0x${'g'.repeat(40)}` },
      { data: '0xabc' },
      { signature: '0xzz' },
    ]
    for (const change of bad) {
      expect(() => encodeForwarderExecute({ ...request, ...change }), Object.keys(change)[0]).toThrow()
    }
  })

  test('the gas limit counts zero and other calldata bytes as the bytes themselves do', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.bigInt({ min: 1n, max: 30_000_000n }),
        (bytes, gas) => {
          const forwarded = { ...request, gas, data: hexOf(bytes) }
          const calldata = hexToBytes(encodeForwarderExecute(forwarded))
          const zeros = BigInt(calldata.filter((byte) => byte === 0).length)
          const others = BigInt(calldata.length) - zeros
          const standard =
            21_000n +
            zeros * 4n +
            others * 16n +
            50_000n +
            60n * BigInt(Math.ceil((bytes.length + 20) / 32)) +
            gasToForward(gas) +
            POST_CALL_GAS
          const floor = 21_000n + 10n * (zeros + others * 4n)
          expect(forwarderExecuteGasLimit(forwarded)).toBe(standard > floor ? standard : floor)
        },
      ),
      { numRuns: 500 },
    )
  })
})
