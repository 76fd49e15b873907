import fc from 'fast-check'
import { bytesToHex, type Hex } from 'viem'
import { privateKeyToAccount, sign } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { forwardRequestTypedData } from '../intents/forwardRequest.js'
import { nativeKeyAccount } from './nativeKeyAccount.js'

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => bytesToHex(bytes))
const privateKey = bytes32.filter((key) => BigInt(key) > 0n && BigInt(key) < curveOrder)
const address = bytes32.map((word): Hex => `0x${word.slice(26)}`)
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n })

describe('nativeKeyAccount', () => {
  test("signs any hash with any key exactly as viem's sign does", async () => {
    await fc.assert(
      fc.asyncProperty(privateKey, bytes32, async (key, hash) => {
        const account = nativeKeyAccount(key)
        expect(account.address).toBe(privateKeyToAccount(key).address)
        expect(account.signHash(hash)).toBe(await sign({ hash, privateKey: key, to: 'hex' }))
        expect(await account.sign({ hash })).toBe(await privateKeyToAccount(key).sign({ hash }))
      }),
      { numRuns: 300 },
    )
  })

  test('signs typed data and EIP-1559 transactions byte for byte as a viem LocalAccount', async () => {
    const transaction = fc
      .record({
        chainId: fc.integer({ min: 1, max: 2 ** 32 }),
        nonce: fc.integer({ min: 0, max: 2 ** 40 }),
        to: address,
        value: uint(96),
        data: fc.uint8Array({ maxLength: 200 }).map((data) => bytesToHex(data)),
        gas: uint(32),
        maxPriorityFeePerGas: uint(40),
        headroom: uint(64),
      })
      // Nodes and viem refuse a tip above the fee cap.
      .map(({ headroom, ...fields }) => ({ ...fields, maxFeePerGas: fields.maxPriorityFeePerGas + headroom }))
    await fc.assert(
      fc.asyncProperty(privateKey, transaction, address, async (key, fields, forwarder) => {
        const viemAccount = privateKeyToAccount(key)
        const account = nativeKeyAccount(key)
        const eip1559 = { ...fields, type: 'eip1559' as const }
        expect(await account.signTransaction(eip1559)).toBe(await viemAccount.signTransaction(eip1559))
        const typedData = forwardRequestTypedData({
          request: {
            from: viemAccount.address,
            to: fields.to,
            value: fields.value,
            gas: fields.gas,
            deadline: 1,
            data: fields.data,
          },
          nonce: BigInt(fields.nonce),
          chainId: fields.chainId,
          forwarder,
          domainName: 'Forwarder',
          domainVersion: '1',
        })
        expect(await account.signTypedData(typedData)).toBe(await viemAccount.signTypedData(typedData))
      }),
      { numRuns: 150 },
    )
  })

  test('refuses a key outside the curve order or of the wrong length, and a hash that is not 32 bytes', () => {
    for (const bad of [`0x${'00'.repeat(32)}`, `0x${curveOrder.toString(16)}`, '0x1234', 'not hex'] as Hex[])
      expect(() => nativeKeyAccount(bad)).toThrow(RangeError)
    const account = nativeKeyAccount(`0x${'11'.repeat(32)}`)
    expect(() => account.signHash('0xabcd')).toThrow(RangeError)
    expect(JSON.stringify(account)).not.toContain('11'.repeat(32))
  })
})
