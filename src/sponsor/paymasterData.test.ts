import fc from 'fast-check'
import {
  type Address,
  concat,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hashTypedData,
  keccak256,
  numberToHex,
  pad,
  recoverTypedDataAddress,
  toHex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { anvilDevAccounts } from '../chain/anvilAccounts.js'
import {
  decodePaymasterAndData,
  decodePaymasterData,
  encodePaymasterData,
  getSponsoredUserOperationTypedData,
  type HashSponsoredUserOperationParameters,
  hashSponsoredUserOperation,
  InvalidPaymasterDataError,
  type PaymasterData,
  signPaymasterData,
} from './paymasterData.js'

const paymaster: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const digest = `0x${'ab'.repeat(32)}` as const
const signature65 = `0x${'11'.repeat(64)}1b` as const

const hexBytes = (min: number, max = min) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((bytes): Hex => toHex(bytes))
const uint48 = fc.integer({ min: 0, max: 2 ** 48 - 1 })
const uint128 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n })
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })

const paymasterDataArbitrary: fc.Arbitrary<PaymasterData> = fc.record({
  validUntil: uint48,
  validAfter: uint48,
  decisionDigest: hexBytes(32),
  signature: fc.oneof(hexBytes(64), hexBytes(65)),
})

const sponsorshipArbitrary: fc.Arbitrary<HashSponsoredUserOperationParameters> = fc.record({
  chainId: fc.integer({ min: 1, max: 2 ** 32 }),
  paymaster: hexBytes(20).map((hex) => getAddress(hex)),
  validUntil: uint48,
  validAfter: uint48,
  decisionDigest: hexBytes(32),
  userOperation: fc.record({
    sender: hexBytes(20).map((hex) => getAddress(hex)),
    nonce: uint256,
    factory: fc.option(
      hexBytes(20).map((hex) => getAddress(hex)),
      { nil: undefined },
    ),
    factoryData: fc.option(hexBytes(0, 100), { nil: undefined }),
    callData: hexBytes(0, 200),
    callGasLimit: uint128,
    verificationGasLimit: uint128,
    preVerificationGas: uint256,
    maxFeePerGas: uint128,
    maxPriorityFeePerGas: uint128,
    paymasterVerificationGasLimit: uint128,
    paymasterPostOpGasLimit: uint128,
  }),
})

/** An independent EIP-712 implementation: hand-built typehash and struct encoding, as the contract does it. */
function hashByHand(parameters: HashSponsoredUserOperationParameters): Hex {
  const { chainId, paymaster: verifyingContract, userOperation: op } = parameters
  const word = (value: bigint) => pad(numberToHex(value), { size: 16 })
  const domainSeparator = keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'address' },
      ],
      [
        keccak256(
          toHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
        ),
        keccak256(toHex('IntentPaymaster')),
        keccak256(toHex('1')),
        BigInt(chainId),
        verifyingContract,
      ],
    ),
  )
  const typeHash = keccak256(
    toHex(
      'SponsoredUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,' +
        'uint128 paymasterVerificationGasLimit,uint128 paymasterPostOpGasLimit,uint256 preVerificationGas,' +
        'bytes32 gasFees,uint48 validUntil,uint48 validAfter,bytes32 decisionDigest)',
    ),
  )
  const initCode = op.factory ? concat([op.factory, op.factoryData ?? '0x']) : '0x'
  const structHash = keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'address' },
        { type: 'uint256' },
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'uint128' },
        { type: 'uint128' },
        { type: 'uint256' },
        { type: 'bytes32' },
        { type: 'uint48' },
        { type: 'uint48' },
        { type: 'bytes32' },
      ],
      [
        typeHash,
        op.sender,
        op.nonce,
        keccak256(initCode),
        keccak256(op.callData),
        concat([word(op.verificationGasLimit), word(op.callGasLimit)]),
        op.paymasterVerificationGasLimit,
        op.paymasterPostOpGasLimit,
        op.preVerificationGas,
        concat([word(op.maxPriorityFeePerGas), word(op.maxFeePerGas)]),
        parameters.validUntil,
        parameters.validAfter,
        parameters.decisionDigest,
      ],
    ),
  )
  return keccak256(concat(['0x1901', domainSeparator, structHash]))
}

describe('encodePaymasterData / decodePaymasterData', () => {
  it('lays the fields out as validUntil | validAfter | decisionDigest | signature', () => {
    const encoded = encodePaymasterData({
      validUntil: 0x0102030405,
      validAfter: 7,
      decisionDigest: digest,
      signature: signature65,
    })
    expect(encoded).toBe(`0x000102030405000000000007${'ab'.repeat(32)}${'11'.repeat(64)}1b`)
    expect(decodePaymasterData(encoded)).toStrictEqual({
      validUntil: 0x0102030405,
      validAfter: 7,
      decisionDigest: digest,
      signature: signature65,
    })
  })

  it('round-trips any valid fields', () => {
    fc.assert(
      fc.property(paymasterDataArbitrary, (data) => {
        // fast-check records have a null prototype, which toStrictEqual would count as a difference.
        expect(decodePaymasterData(encodePaymasterData(data))).toStrictEqual({ ...data })
      }),
    )
  })

  it('decodes paymasterAndData with the static paymaster fields in front', () => {
    fc.assert(
      fc.property(paymasterDataArbitrary, uint128, uint128, (data, verificationGas, postOpGas) => {
        const paymasterAndData = concat([
          paymaster,
          pad(numberToHex(verificationGas), { size: 16 }),
          pad(numberToHex(postOpGas), { size: 16 }),
          encodePaymasterData(data),
        ])
        expect(decodePaymasterAndData(paymasterAndData)).toStrictEqual({
          paymaster,
          paymasterVerificationGasLimit: verificationGas,
          paymasterPostOpGasLimit: postOpGas,
          ...data,
        })
      }),
    )
  })

  it('rejects paymasterData of any other length', () => {
    fc.assert(
      fc.property(
        hexBytes(0, 200).filter((hex) => hex.length !== 2 + 2 * 108 && hex.length !== 2 + 2 * 109),
        (hex) => {
          expect(() => decodePaymasterData(hex)).toThrow(InvalidPaymasterDataError)
        },
      ),
    )
  })

  it('explains what is wrong', () => {
    expect(() => decodePaymasterData(`0x${'00'.repeat(107)}`)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidPaymasterDataError: Invalid paymaster data: paymasterData must be 108 or 109 bytes, got 107]`,
    )
    expect(() => decodePaymasterData(`0x${'0'.repeat(217)}`)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidPaymasterDataError: Invalid paymaster data: paymasterData must be even-length 0x-prefixed hex]`,
    )
    expect(() => decodePaymasterAndData(`0x${'00'.repeat(51)}`)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidPaymasterDataError: Invalid paymaster data: paymasterAndData must be at least 52 bytes, got 51]`,
    )
    expect(() =>
      encodePaymasterData({
        validUntil: 2 ** 48,
        validAfter: 0,
        decisionDigest: digest,
        signature: signature65,
      }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[InvalidPaymasterDataError: Invalid paymaster data: validUntil must be an integer in [0, 2^48), got 281474976710656]`,
    )
    expect(() =>
      encodePaymasterData({ validUntil: 1, validAfter: 0, decisionDigest: '0xab', signature: signature65 }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[InvalidPaymasterDataError: Invalid paymaster data: decisionDigest must be 32 bytes of hex]`,
    )
    expect(() =>
      encodePaymasterData({ validUntil: 1, validAfter: 0, decisionDigest: digest, signature: '0x1234' }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[InvalidPaymasterDataError: Invalid paymaster data: signature must be 64 or 65 bytes of hex]`,
    )
  })

  it('is an INVALID_REQUEST in the gateway error hierarchy', () => {
    const error = new InvalidPaymasterDataError('x')
    expect([error.code, error.status, error.shortMessage, error.details]).toStrictEqual([
      'INVALID_REQUEST',
      400,
      'Invalid paymaster data',
      'x',
    ])
  })
})

describe('hashSponsoredUserOperation', () => {
  it('equals a hand-built EIP-712 digest for any user operation', () => {
    fc.assert(
      fc.property(sponsorshipArbitrary, (parameters) => {
        expect(hashSponsoredUserOperation(parameters)).toBe(hashByHand(parameters))
      }),
    )
  })

  it("equals viem's general hashTypedData over the same typed data", () => {
    fc.assert(
      fc.property(sponsorshipArbitrary, (parameters) => {
        expect(hashSponsoredUserOperation(parameters)).toBe(
          hashTypedData(getSponsoredUserOperationTypedData(parameters)),
        )
      }),
    )
  })

  it('refuses what the typed data refuses: a field out of its Solidity type', () => {
    const [base] = fc.sample(sponsorshipArbitrary, { numRuns: 1, seed: 3 })
    if (!base) throw new Error('fast-check returned no sample')
    const op = base.userOperation
    expect(() =>
      hashSponsoredUserOperation({ ...base, userOperation: { ...op, paymasterPostOpGasLimit: 2n ** 128n } }),
    ).toThrow(InvalidPaymasterDataError)
    expect(() => hashSponsoredUserOperation({ ...base, validUntil: 2 ** 48 })).toThrow(
      InvalidPaymasterDataError,
    )
    expect(() =>
      hashSponsoredUserOperation({ ...base, userOperation: { ...op, nonce: 2n ** 256n } }),
    ).toThrow()
    expect(() =>
      hashSponsoredUserOperation({ ...base, userOperation: { ...op, sender: '0x1234' as Address } }),
    ).toThrow()
  })

  it('changes when any signed field changes', () => {
    const base = fc.sample(sponsorshipArbitrary, { numRuns: 1, seed: 7 })[0]
    if (!base) throw new Error('fast-check returned no sample')
    const hash = hashSponsoredUserOperation(base)
    const variants: HashSponsoredUserOperationParameters[] = [
      { ...base, chainId: base.chainId + 1 },
      { ...base, validUntil: base.validUntil ^ 1 },
      { ...base, validAfter: base.validAfter ^ 1 },
      { ...base, decisionDigest: `0x${'cd'.repeat(32)}` },
      { ...base, userOperation: { ...base.userOperation, nonce: base.userOperation.nonce ^ 1n } },
      {
        ...base,
        userOperation: {
          ...base.userOperation,
          preVerificationGas: base.userOperation.preVerificationGas ^ 1n,
        },
      },
      {
        ...base,
        userOperation: {
          ...base.userOperation,
          paymasterPostOpGasLimit: base.userOperation.paymasterPostOpGasLimit ^ 1n,
        },
      },
    ]
    for (const variant of variants) expect(hashSponsoredUserOperation(variant)).not.toBe(hash)
  })
})

describe('signPaymasterData', () => {
  it('produces paymasterData whose signature recovers to the signer', async () => {
    const signer = privateKeyToAccount(anvilDevAccounts[1].privateKey)
    const [parameters] = fc.sample(sponsorshipArbitrary, { numRuns: 1, seed: 42 })
    if (!parameters) throw new Error('fast-check returned no sample')
    const paymasterData = await signPaymasterData({ ...parameters, signer })
    const decoded = decodePaymasterData(paymasterData)
    expect({ ...decoded, signature: undefined }).toStrictEqual({
      validUntil: parameters.validUntil,
      validAfter: parameters.validAfter,
      decisionDigest: parameters.decisionDigest,
      signature: undefined,
    })
    const recovered = await recoverTypedDataAddress({
      ...getSponsoredUserOperationTypedData(parameters),
      signature: decoded.signature,
    })
    expect(recovered).toBe(signer.address)
  })
})
