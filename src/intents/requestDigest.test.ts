import fc from 'fast-check'
import { bytesToHex, getAddress, hashTypedData, keccak256, stringToHex } from 'viem'
import { describe, expect, test } from 'vitest'
import { forwardRequestTypedData, normalizeForwardRequest } from './forwardRequest.js'
import { USER_OPERATION_DIGEST_TAG, userOperationDigest } from './requestDigest.js'

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => getAddress(bytesToHex(bytes)))
const uint = (bits: number) => fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n })
const bytes = fc.uint8Array({ maxLength: 200 }).map((value) => bytesToHex(value))
const chainId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })

describe('forward request digest', () => {
  test('equals viem’s hashTypedData of the ForwardRequest typed data, written out independently', () => {
    fc.assert(
      fc.property(
        fc.record({
          from: address,
          to: address,
          value: uint(256),
          gas: uint(256),
          deadline: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
          data: bytes,
        }),
        uint(256),
        chainId,
        address,
        fc.string({ maxLength: 40 }),
        (request, nonce, chainId, forwarder, name) => {
          const expected = hashTypedData({
            domain: { name, version: '1', chainId, verifyingContract: forwarder },
            types: {
              ForwardRequest: [
                { name: 'from', type: 'address' },
                { name: 'to', type: 'address' },
                { name: 'value', type: 'uint256' },
                { name: 'gas', type: 'uint256' },
                { name: 'nonce', type: 'uint256' },
                { name: 'deadline', type: 'uint48' },
                { name: 'data', type: 'bytes' },
              ],
            },
            primaryType: 'ForwardRequest',
            message: { ...request, nonce },
          })
          const intent = normalizeForwardRequest({
            request,
            nonce,
            chainId,
            forwarder,
            domain: { name, version: '1' },
            maxFeePerGas: 1n,
            relayGasLimit: 1n,
          })
          expect(intent.requestDigest).toBe(expected)
          const typedData = forwardRequestTypedData({
            request,
            nonce,
            chainId,
            forwarder,
            domainName: name,
            domainVersion: '1',
          })
          expect(hashTypedData(typedData)).toBe(expected)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('user operation digest', () => {
  test('the tag is keccak256("intentgate.userop.v1")', () => {
    expect(USER_OPERATION_DIGEST_TAG).toBe(keccak256(stringToHex('intentgate.userop.v1')))
    expect(USER_OPERATION_DIGEST_TAG).toBe(
      '0x65663816bfa12d0e1871032339e85aee427639a1886b145f66135a45bbf8d805',
    )
  })

  test('depends on the signature and paymaster fields not at all', () => {
    const userOp = fc.record({
      sender: address,
      nonce: uint(256),
      factory: fc.option(address, { nil: undefined }),
      factoryData: fc.option(bytes, { nil: undefined }),
      callData: bytes,
      callGasLimit: uint(128),
      verificationGasLimit: uint(128),
      preVerificationGas: uint(256),
      maxFeePerGas: uint(128),
      maxPriorityFeePerGas: uint(128),
    })
    const paymasterFields = fc.record({
      paymaster: address,
      paymasterVerificationGasLimit: uint(128),
      paymasterPostOpGasLimit: uint(128),
      paymasterData: bytes,
      signature: bytes,
    })
    fc.assert(
      fc.property(userOp, paymasterFields, chainId, address, (op, extra, chainId, entryPoint) => {
        expect(userOperationDigest({ userOp: { ...op, ...extra }, chainId, entryPoint })).toBe(
          userOperationDigest({ userOp: op, chainId, entryPoint }),
        )
      }),
    )
  })
})
