import {
  type Address,
  concat,
  getAddress,
  type Hex,
  hexToBigInt,
  hexToNumber,
  isHex,
  keccak256,
  numberToHex,
  pad,
  size,
  slice,
  stringToHex,
} from 'viem'
import { addressWord, domainSeparatorOf, typedDataDigest, uintWord } from '../crypto/eip712Words.js'
import { IntentGateError } from '../errors/index.js'

/**
 * The IntentPaymaster (contracts/IntentPaymaster.sol) signature scheme, in TypeScript.
 *
 * paymasterAndData = paymaster (20) | paymasterVerificationGasLimit (16) | paymasterPostOpGasLimit (16)
 *                    | paymasterData
 * paymasterData    = validUntil (uint48, 6) | validAfter (uint48, 6) | decisionDigest (32) | signature (64 | 65)
 *
 * The signature is EIP-712 over `SponsoredUserOperation` in the domain {name "IntentPaymaster", version "1",
 * chainId, verifyingContract = paymaster}.
 */
export const INTENT_PAYMASTER_EIP712_NAME = 'IntentPaymaster'
export const INTENT_PAYMASTER_EIP712_VERSION = '1'

/** Bytes of paymasterData before the signature: validUntil, validAfter and the decision digest. */
export const PAYMASTER_DATA_SIGNATURE_OFFSET = 44
/** Bytes of paymasterAndData before paymasterData: the paymaster address and its two gas limits. */
export const PAYMASTER_AND_DATA_STATIC_LENGTH = 52

const MAX_UINT48 = 2 ** 48 - 1
const MAX_UINT128 = 2n ** 128n - 1n

/** Field order and types must stay identical to SPONSORED_USER_OPERATION_TYPEHASH in the contract. */
export const sponsoredUserOperationTypes = {
  SponsoredUserOperation: [
    { name: 'sender', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'initCode', type: 'bytes' },
    { name: 'callData', type: 'bytes' },
    { name: 'accountGasLimits', type: 'bytes32' },
    { name: 'paymasterVerificationGasLimit', type: 'uint128' },
    { name: 'paymasterPostOpGasLimit', type: 'uint128' },
    { name: 'preVerificationGas', type: 'uint256' },
    { name: 'gasFees', type: 'bytes32' },
    { name: 'validUntil', type: 'uint48' },
    { name: 'validAfter', type: 'uint48' },
    { name: 'decisionDigest', type: 'bytes32' },
  ],
} as const

/** The v0.7 user operation fields the paymaster signature covers, in viem's unpacked form. */
export type SponsoredUserOperation = {
  sender: Address
  nonce: bigint
  factory?: Address | undefined
  factoryData?: Hex | undefined
  callData: Hex
  callGasLimit: bigint
  verificationGasLimit: bigint
  preVerificationGas: bigint
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
  paymasterVerificationGasLimit: bigint
  paymasterPostOpGasLimit: bigint
}

/** The part of paymasterData the gateway chooses: the validity window (unix seconds) and the decision. */
export type Sponsorship = {
  /** Last second the operation may be included; 0 means no expiry, as in the EntryPoint. */
  validUntil: number
  validAfter: number
  /** Digest of the gateway's decision attestation, emitted on-chain by the paymaster's postOp. */
  decisionDigest: Hex
}

export type PaymasterData = Sponsorship & {
  /** 65-byte r|s|v or 64-byte ERC-2098 compact signature. */
  signature: Hex
}

export type DecodedPaymasterAndData = PaymasterData & {
  paymaster: Address
  paymasterVerificationGasLimit: bigint
  paymasterPostOpGasLimit: bigint
}

export type HashSponsoredUserOperationParameters = Sponsorship & {
  chainId: number
  paymaster: Address
  userOperation: SponsoredUserOperation
}

/** paymasterData or paymasterAndData that does not follow the IntentPaymaster layout. */
export class InvalidPaymasterDataError extends IntentGateError {
  override name = 'InvalidPaymasterDataError'

  constructor(details: string) {
    super('INVALID_REQUEST', 'Invalid paymaster data', { details })
  }
}

export type DecodePaymasterDataErrorType = InvalidPaymasterDataError
export type EncodePaymasterDataErrorType = InvalidPaymasterDataError

/** The EIP-712 domain of one IntentPaymaster deployment. */
export function getIntentPaymasterDomain(parameters: { chainId: number; paymaster: Address }) {
  return {
    name: INTENT_PAYMASTER_EIP712_NAME,
    version: INTENT_PAYMASTER_EIP712_VERSION,
    chainId: parameters.chainId,
    verifyingContract: parameters.paymaster,
  } as const
}

/** The typed data the paymaster signer signs, ready for viem's `signTypedData`. */
export function getSponsoredUserOperationTypedData(parameters: HashSponsoredUserOperationParameters) {
  const { chainId, paymaster, userOperation: op, validUntil, validAfter, decisionDigest } = parameters
  assertSponsorship({ validUntil, validAfter, decisionDigest })
  assertUint128(op.paymasterVerificationGasLimit, 'paymasterVerificationGasLimit')
  assertUint128(op.paymasterPostOpGasLimit, 'paymasterPostOpGasLimit')
  return {
    domain: getIntentPaymasterDomain({ chainId, paymaster }),
    types: sponsoredUserOperationTypes,
    primaryType: 'SponsoredUserOperation',
    message: {
      sender: op.sender,
      nonce: op.nonce,
      initCode: op.factory ? concat([op.factory, op.factoryData ?? '0x']) : '0x',
      callData: op.callData,
      accountGasLimits: packUint128Pair(op.verificationGasLimit, op.callGasLimit, 'accountGasLimits'),
      paymasterVerificationGasLimit: op.paymasterVerificationGasLimit,
      paymasterPostOpGasLimit: op.paymasterPostOpGasLimit,
      preVerificationGas: op.preVerificationGas,
      gasFees: packUint128Pair(op.maxPriorityFeePerGas, op.maxFeePerGas, 'gasFees'),
      validUntil,
      validAfter,
      decisionDigest,
    },
  } as const
}

const sponsoredUserOperationTypeHash = keccak256(
  stringToHex(
    'SponsoredUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,uint128 paymasterVerificationGasLimit,uint128 paymasterPostOpGasLimit,uint256 preVerificationGas,bytes32 gasFees,uint48 validUntil,uint48 validAfter,bytes32 decisionDigest)',
  ),
)

/**
 * The EIP-712 digest the paymaster signer signs for a user operation; equal to `IntentPaymaster.getHash`
 * and to viem's `hashTypedData(getSponsoredUserOperationTypedData(parameters))`, written out for
 * this one type (see src/crypto/eip712Words.ts): the general encoder cost more CPU than the rest
 * of signing a sponsorship. Throws {@link InvalidPaymasterDataError} when a field does not fit its
 * Solidity type, as the typed data does.
 */
export function hashSponsoredUserOperation(parameters: HashSponsoredUserOperationParameters): Hex {
  const { message, domain } = getSponsoredUserOperationTypedData(parameters)
  const structHash = keccak256(
    `${sponsoredUserOperationTypeHash}${addressWord(message.sender)}${uintWord(message.nonce, 256)}${keccak256(message.initCode).slice(2)}${keccak256(message.callData).slice(2)}${bytes32Word(message.accountGasLimits)}${uintWord(message.paymasterVerificationGasLimit, 128)}${uintWord(message.paymasterPostOpGasLimit, 128)}${uintWord(message.preVerificationGas, 256)}${bytes32Word(message.gasFees)}${uintWord(BigInt(message.validUntil), 48)}${uintWord(BigInt(message.validAfter), 48)}${bytes32Word(message.decisionDigest)}`,
  )
  return typedDataDigest(domainSeparatorOf(domain), structHash)
}

/** A signer of raw 32-byte digests, as viem's `LocalAccount.sign`. */
export type DigestSigner = { sign(parameters: { hash: Hex }): Promise<Hex> }

/**
 * Signs a sponsorship with the paymaster signer and returns the paymasterData to put in the user operation
 * (the paymaster address and gas limits travel in their own user operation fields).
 */
export async function signPaymasterData(
  parameters: HashSponsoredUserOperationParameters & { signer: DigestSigner },
): Promise<Hex> {
  const { signer, ...sponsorship } = parameters
  const signature = await signer.sign({ hash: hashSponsoredUserOperation(sponsorship) })
  return encodePaymasterData({ ...sponsorship, signature })
}

function bytes32Word(value: Hex): string {
  if (!isHex(value, { strict: true }) || value.length !== 66)
    throw new RangeError(`${value} is not a bytes32`)
  return value.slice(2)
}

/** Packs a window, decision digest and signature into paymasterData. */
export function encodePaymasterData(data: PaymasterData): Hex {
  assertSponsorship(data)
  const signatureSize = isHex(data.signature, { strict: true }) ? size(data.signature) : -1
  if (signatureSize !== 64 && signatureSize !== 65) {
    throw new InvalidPaymasterDataError('signature must be 64 or 65 bytes of hex')
  }
  return concat([
    numberToHex(data.validUntil, { size: 6 }),
    numberToHex(data.validAfter, { size: 6 }),
    data.decisionDigest,
    data.signature,
  ])
}

/**
 * Splits paymasterData (the bytes after the paymaster's 52 static bytes) into its fields.
 * Throws {@link InvalidPaymasterDataError} unless it is hex of exactly 108 or 109 bytes.
 */
export function decodePaymasterData(paymasterData: Hex): PaymasterData {
  const length = hexSize(paymasterData, 'paymasterData')
  if (length !== PAYMASTER_DATA_SIGNATURE_OFFSET + 64 && length !== PAYMASTER_DATA_SIGNATURE_OFFSET + 65) {
    throw new InvalidPaymasterDataError(
      `paymasterData must be ${PAYMASTER_DATA_SIGNATURE_OFFSET + 64} or ${PAYMASTER_DATA_SIGNATURE_OFFSET + 65} bytes, got ${length}`,
    )
  }
  return {
    validUntil: hexToNumber(slice(paymasterData, 0, 6, { strict: true })),
    validAfter: hexToNumber(slice(paymasterData, 6, 12, { strict: true })),
    decisionDigest: slice(paymasterData, 12, PAYMASTER_DATA_SIGNATURE_OFFSET, { strict: true }),
    signature: slice(paymasterData, PAYMASTER_DATA_SIGNATURE_OFFSET, undefined, { strict: true }),
  }
}

/** Splits a packed user operation's paymasterAndData into the paymaster, its gas limits and paymasterData. */
export function decodePaymasterAndData(paymasterAndData: Hex): DecodedPaymasterAndData {
  const length = hexSize(paymasterAndData, 'paymasterAndData')
  if (length < PAYMASTER_AND_DATA_STATIC_LENGTH) {
    throw new InvalidPaymasterDataError(
      `paymasterAndData must be at least ${PAYMASTER_AND_DATA_STATIC_LENGTH} bytes, got ${length}`,
    )
  }
  return {
    paymaster: getAddress(slice(paymasterAndData, 0, 20, { strict: true })),
    paymasterVerificationGasLimit: hexToBigInt(slice(paymasterAndData, 20, 36, { strict: true })),
    paymasterPostOpGasLimit: hexToBigInt(
      slice(paymasterAndData, 36, PAYMASTER_AND_DATA_STATIC_LENGTH, { strict: true }),
    ),
    ...decodePaymasterData(slice(paymasterAndData, PAYMASTER_AND_DATA_STATIC_LENGTH)),
  }
}

function assertSponsorship({ validUntil, validAfter, decisionDigest }: Sponsorship): void {
  for (const [name, value] of [
    ['validUntil', validUntil],
    ['validAfter', validAfter],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_UINT48) {
      throw new InvalidPaymasterDataError(`${name} must be an integer in [0, 2^48), got ${value}`)
    }
  }
  if (!isHex(decisionDigest, { strict: true }) || size(decisionDigest) !== 32) {
    throw new InvalidPaymasterDataError('decisionDigest must be 32 bytes of hex')
  }
}

function assertUint128(value: bigint, name: string): void {
  if (value < 0n || value > MAX_UINT128)
    throw new InvalidPaymasterDataError(`${name} does not fit in uint128`)
}

/** The EntryPoint's bytes32 packing of two uint128s, high half first. */
function packUint128Pair(high: bigint, low: bigint, name: string): Hex {
  assertUint128(high, name)
  assertUint128(low, name)
  return concat([pad(numberToHex(high), { size: 16 }), pad(numberToHex(low), { size: 16 })])
}

function hexSize(value: Hex, name: string): number {
  // Odd-length hex would silently shift every field by half a byte.
  if (!isHex(value, { strict: true }) || value.length % 2 !== 0) {
    throw new InvalidPaymasterDataError(`${name} must be even-length 0x-prefixed hex`)
  }
  return size(value)
}
