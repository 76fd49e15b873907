import fc from 'fast-check'
import { getAddress, hashTypedData, toHex } from 'viem'
import { describe, expect, test } from 'vitest'
import { forwardRequestTypedData } from './forwardRequest.js'
import { hashForwardRequest } from './forwardRequestHash.js'

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => getAddress(toHex(bytes)))
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n })

const typedData = fc
  .record({
    from: address,
    to: address,
    value: uint(256),
    gas: uint(256),
    nonce: uint(256),
    deadline: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    data: fc.uint8Array({ maxLength: 300 }).map((bytes) => toHex(bytes)),
    chainId: fc.integer({ min: 1, max: 2 ** 53 - 1 }),
    forwarder: address,
    domainName: fc.string({ maxLength: 40 }),
    domainVersion: fc.string({ maxLength: 8 }),
  })
  .map(({ nonce, chainId, forwarder, domainName, domainVersion, ...request }) =>
    forwardRequestTypedData({ request, nonce, chainId, forwarder, domainName, domainVersion }),
  )

describe('hashForwardRequest', () => {
  test("equals viem's hashTypedData for every forward request", () => {
    fc.assert(
      fc.property(typedData, (data) => {
        expect(hashForwardRequest(data)).toBe(hashTypedData(data))
      }),
      { numRuns: 1_000 },
    )
  })

  test("a domain met again is served from its cached separator, still equal to viem's", () => {
    // A few domains, each with many messages, and more distinct domains than the cache keeps.
    const domains = fc.sample(typedData, { numRuns: 70, seed: 11 }).map((data) => data.domain)
    const repeated = fc.tuple(typedData, fc.constantFrom(...domains.slice(0, 3), ...domains))
    fc.assert(
      fc.property(repeated, ([data, domain]) => {
        const again = { ...data, domain }
        expect(hashForwardRequest(again)).toBe(hashTypedData(again))
      }),
      { numRuns: 1_000 },
    )
  })

  test('throws where viem throws: out-of-range integers and non-addresses', () => {
    const [sample] = fc.sample(typedData, { numRuns: 1, seed: 7 })
    if (!sample) throw new Error('one sample')
    const broken = [
      { ...sample, message: { ...sample.message, deadline: 2 ** 48 } },
      { ...sample, message: { ...sample.message, value: 1n << 256n } },
      { ...sample, message: { ...sample.message, gas: -1n } },
      { ...sample, message: { ...sample.message, to: '0x1234' as const } },
      { ...sample, domain: { ...sample.domain, verifyingContract: '0xnothex' as const } },
    ]
    for (const data of broken) {
      expect(() => hashTypedData(data)).toThrow()
      expect(() => hashForwardRequest(data)).toThrow()
      // A domain that failed is not kept: it fails again.
      expect(() => hashForwardRequest(data)).toThrow()
    }
    const oddData = { ...sample, message: { ...sample.message, data: '0xabc' as const } }
    expect(hashForwardRequest(oddData)).toBe(hashTypedData(oddData))
  })
})
