import fc from 'fast-check'
import { type Hex, recoverTypedDataAddress, toHex, recoverAddress as viemRecoverAddress } from 'viem'
import { privateKeyToAccount, sign } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { forwardRequestTypedData } from '../intents/forwardRequest.js'
import { recoverAddress, recoverTypedDataSigner, SignatureRecoveryError } from './recoverAddress.js'

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const word = (value: bigint) => value.toString(16).padStart(64, '0')
const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => toHex(bytes))
const privateKey = fc.bigInt({ min: 1n, max: curveOrder - 1n }).map((key) => `0x${word(key)}` as Hex)

/** What viem answers: the address, or the fact that it threw. */
async function viemAnswer(hash: Hex, signature: Hex): Promise<string> {
  return viemRecoverAddress({ hash, signature }).catch(() => 'throws')
}
function ourAnswer(hash: Hex, signature: Hex): string {
  try {
    return recoverAddress(hash, signature)
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureRecoveryError)
    return 'throws'
  }
}

/** r ‖ s ‖ v from parts. */
const signatureOf = (r: bigint, s: bigint, v: number) =>
  `0x${word(r)}${word(s)}${v.toString(16).padStart(2, '0')}` as Hex

describe('recoverAddress agrees with viem', () => {
  test('for genuine signatures, and recovers the signer', async () => {
    await fc.assert(
      fc.asyncProperty(privateKey, hex32, async (key, hash) => {
        const signature = await sign({ hash, privateKey: key, to: 'hex' })
        const address = privateKeyToAccount(key).address
        expect(recoverAddress(hash, signature)).toBe(address)
        expect(await viemAnswer(hash, signature)).toBe(address)
      }),
      { numRuns: 200 },
    )
  })

  test('for the high-s twin and for v as 0 or 1: both recover, the same key', async () => {
    await fc.assert(
      fc.asyncProperty(privateKey, hex32, async (key, hash) => {
        const { r, s, yParity = 0 } = await sign({ hash, privateKey: key })
        const address = privateKeyToAccount(key).address
        const highS = signatureOf(BigInt(r), curveOrder - BigInt(s), 27 + (1 - yParity))
        const rawParity = signatureOf(BigInt(r), BigInt(s), yParity)
        for (const signature of [highS, rawParity]) {
          expect(ourAnswer(hash, signature)).toBe(address)
          expect(await viemAnswer(hash, signature)).toBe(address)
        }
      }),
      { numRuns: 100 },
    )
  })

  test('for arbitrary r, s and v, including out-of-range scalars', async () => {
    const scalar = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      fc.constantFrom(0n, 1n, curveOrder - 1n, curveOrder, curveOrder + 1n, (1n << 256n) - 1n),
    )
    const v = fc.oneof(fc.constantFrom(0, 1, 27, 28), fc.integer({ min: 0, max: 255 }))
    await fc.assert(
      fc.asyncProperty(hex32, scalar, scalar, v, async (hash, r, s, parity) => {
        const signature = signatureOf(r, s, parity)
        expect(ourAnswer(hash, signature)).toBe(await viemAnswer(hash, signature))
      }),
      { numRuns: 500 },
    )
  })

  test('for bad lengths and non-hex text: both refuse', async () => {
    const hash = `0x${'11'.repeat(32)}` as Hex
    const good = signatureOf(1n, 1n, 27)
    for (const signature of ['0x', `${good}00`, good.slice(0, -2), `0x${'zz'.repeat(65)}`] as Hex[]) {
      expect(ourAnswer(hash, signature)).toBe('throws')
      expect(await viemAnswer(hash, signature)).toBe('throws')
    }
    expect(ourAnswer('0x1234', good)).toBe('throws')
  })
})

describe('recoverTypedDataSigner', () => {
  test("agrees with viem's recoverTypedDataAddress on forward requests, signed or tampered", async () => {
    await fc.assert(
      fc.asyncProperty(
        privateKey,
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.boolean(),
        async (key, value, tamper) => {
          const account = privateKeyToAccount(key)
          const typedData = forwardRequestTypedData({
            request: {
              from: account.address,
              to: '0x00000000000000000000000000000000000000aa',
              value,
              gas: 100_000n,
              deadline: 2_000_000_000,
              data: '0x12345678',
            },
            nonce: 3n,
            chainId: 31337,
            forwarder: '0x00000000000000000000000000000000000000f0',
            domainName: 'IntentGateForwarder',
            domainVersion: '1',
          })
          const signature = await account.signTypedData(typedData)
          const checked = tamper ? { ...typedData, domain: { ...typedData.domain, chainId: 1 } } : typedData
          const ours = recoverTypedDataSigner(checked, signature)
          expect(ours).toBe(await recoverTypedDataAddress({ ...checked, signature }))
          expect(ours === account.address).toBe(!tamper)
        },
      ),
      { numRuns: 100 },
    )
  })

  test('is undefined, not a throw, for a signature that recovers nothing', () => {
    const typedData = forwardRequestTypedData({
      request: {
        from: '0x00000000000000000000000000000000000000bb',
        to: '0x00000000000000000000000000000000000000aa',
        value: 0n,
        gas: 1n,
        deadline: 1,
        data: '0x',
      },
      nonce: 0n,
      chainId: 1,
      forwarder: '0x00000000000000000000000000000000000000f0',
      domainName: 'F',
      domainVersion: '1',
    })
    expect(recoverTypedDataSigner(typedData, signatureOf(0n, 1n, 27))).toBeUndefined()
  })
})
