import fc from 'fast-check'
import { type Address, type Hex, toHex } from 'viem'
import { getUserOperationHash } from 'viem/account-abstraction'
import { describe, expect, test } from 'vitest'
import type { UserOperationV07 } from '../intents/userOperation.js'
import { userOperationHashV07 } from './userOperationHash.js'

const entryPoint: Address = '0x0000000071727De22E5E9d8BAf0edAc6f37da032'
const uint128 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n })
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => toHex(bytes) as Address)
const bytes = fc.uint8Array({ maxLength: 300 }).map((data) => toHex(data) as Hex)

const userOperation: fc.Arbitrary<UserOperationV07> = fc.record(
  {
    sender: address,
    nonce: uint256,
    factory: address,
    factoryData: bytes,
    callData: bytes,
    callGasLimit: uint128,
    verificationGasLimit: uint128,
    preVerificationGas: uint256,
    maxFeePerGas: uint128,
    maxPriorityFeePerGas: uint128,
    paymaster: address,
    paymasterVerificationGasLimit: uint128,
    paymasterPostOpGasLimit: uint128,
    paymasterData: bytes,
    signature: bytes,
  },
  {
    requiredKeys: [
      'sender',
      'nonce',
      'callData',
      'callGasLimit',
      'verificationGasLimit',
      'preVerificationGas',
      'maxFeePerGas',
      'maxPriorityFeePerGas',
      'signature',
    ],
  },
)

const viemHash = (chainId: number, op: UserOperationV07) =>
  getUserOperationHash({
    chainId,
    entryPointAddress: entryPoint,
    entryPointVersion: '0.7',
    userOperation: op,
  })

describe('the v0.7 user operation hash', () => {
  test("equals viem's getUserOperationHash for any op, with or without factory and paymaster", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), userOperation, (chainId, op) => {
        expect(userOperationHashV07({ chainId, entryPoint, userOperation: op })).toBe(viemHash(chainId, op))
      }),
      { numRuns: 2000 },
    )
  })

  test('binds the chain, the EntryPoint and the signature-free op', () => {
    const op: UserOperationV07 = {
      sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      nonce: 7n,
      callData: '0xb61d27f6',
      callGasLimit: 100_000n,
      verificationGasLimit: 200_000n,
      preVerificationGas: 50_000n,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      signature: '0x',
    }
    const hash = userOperationHashV07({ chainId: 31337, entryPoint, userOperation: op })
    expect(userOperationHashV07({ chainId: 1, entryPoint, userOperation: op })).not.toBe(hash)
    const otherEntryPoint = '0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108'
    expect(userOperationHashV07({ chainId: 31337, entryPoint: otherEntryPoint, userOperation: op })).not.toBe(
      hash,
    )
    expect(
      userOperationHashV07({ chainId: 31337, entryPoint, userOperation: { ...op, signature: '0x01' } }),
    ).toBe(hash)
  })

  test('refuses a field wider than its packed slot instead of hashing a truncated op', () => {
    const op = {
      sender: entryPoint,
      nonce: 0n,
      callData: '0x',
      callGasLimit: 2n ** 128n,
      verificationGasLimit: 0n,
      preVerificationGas: 0n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      signature: '0x',
    } satisfies UserOperationV07
    expect(() => userOperationHashV07({ chainId: 1, entryPoint, userOperation: op })).toThrow(RangeError)
  })
})
