import { type Address, encodeAbiParameters, type Hex, keccak256, stringToHex } from 'viem'
import { toPackedUserOperation } from 'viem/account-abstraction'
import type { ForwardRequestTypedData } from './forwardRequest.js'
import { hashForwardRequest } from './forwardRequestHash.js'
import type { UserOperationV07 } from './userOperation.js'

/**
 * The request digest names a request everywhere: it is the subject of its attestation, the
 * idempotency key (same digest, same answer), the relay job id, and what limits are reserved under.
 * It is defined so that a signer cannot obtain two different decisions for one signed request, and
 * two different requests never share one.
 */

/** `keccak256("intentgate.userop.v1")`: keeps a user-operation digest from colliding with any other hash. */
export const USER_OPERATION_DIGEST_TAG = keccak256(stringToHex('intentgate.userop.v1'))

/**
 * Request digest of a meta-transaction: the EIP-712 digest of its `ForwardRequest`,
 *
 * ```
 * keccak256(0x1901 ‖ domainSeparator(name, version, chainId, forwarder) ‖
 *           hashStruct(ForwardRequest{from, to, value, gas, nonce, deadline, data}))
 * ```
 *
 * which is exactly what the user signed and what the forwarder checks the signature against. The
 * domain binds the chain id and the forwarder; the forwarder nonce and the deadline are inside the
 * struct. So a replay of the same signed request has the same digest, and any change the forwarder
 * would notice (another chain, forwarder, nonce, deadline, gas, value or byte of data) changes it.
 * The signature itself is not covered: two valid signatures of one request are the same request.
 */
export function forwardRequestDigest(typedData: ForwardRequestTypedData): Hex {
  return hashForwardRequest(typedData)
}

/** The user-operation fields the digest covers: everything the account signs except paymaster fields. */
export type UserOperationDigestFields = Pick<
  UserOperationV07,
  | 'sender'
  | 'nonce'
  | 'factory'
  | 'factoryData'
  | 'callData'
  | 'callGasLimit'
  | 'verificationGasLimit'
  | 'preVerificationGas'
  | 'maxFeePerGas'
  | 'maxPriorityFeePerGas'
>

export type UserOperationDigestParameters = {
  userOp: UserOperationDigestFields
  chainId: number
  entryPoint: Address
}

/**
 * Request digest of a user operation:
 *
 * ```
 * keccak256(abi.encode(
 *   bytes32 USER_OPERATION_DIGEST_TAG,  // keccak256("intentgate.userop.v1")
 *   uint256 chainId,
 *   address entryPoint,
 *   address sender,
 *   uint256 nonce,
 *   bytes32 keccak256(initCode),        // factory ‖ factoryData, or empty
 *   bytes32 keccak256(callData),
 *   bytes32 accountGasLimits,           // verificationGasLimit (16 bytes) ‖ callGasLimit (16 bytes)
 *   uint256 preVerificationGas,
 *   bytes32 gasFees                     // maxPriorityFeePerGas (16 bytes) ‖ maxFeePerGas (16 bytes)
 * ))
 * ```
 *
 * with the packing of EntryPoint v0.7's `PackedUserOperation`. It is the ERC-4337 user operation
 * hash without `paymasterAndData` and `signature`, deliberately: the gateway decides before either
 * exists. In ERC-7677 the gateway decides at `pm_getPaymasterData` and answers with the paymaster
 * data, whose signature is its approval; only then does the account sign the userOpHash, which
 * covers `paymasterAndData`. Leaving both out gives the operation one digest from the decision
 * through `eth_sendUserOperation`, so the decision, its limits and its attestation stay attached
 * to it, and a submitted operation is matched to the decision that approved it. The paymaster gas
 * limits also travel in `paymasterAndData`: the gateway chooses them in its own answer and its
 * paymaster signature covers them, so they need no place here. Chain id and EntryPoint are
 * included, as in the userOpHash, so the same operation on another chain or EntryPoint is another
 * request; the tag keeps this digest from ever equalling a userOpHash or an EIP-712 digest.
 */
export function userOperationDigest(parameters: UserOperationDigestParameters): Hex {
  const { userOp, chainId, entryPoint } = parameters
  const packed = toPackedUserOperation({ ...userOp, signature: '0x' })
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint256' },
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'bytes32' },
      ],
      [
        USER_OPERATION_DIGEST_TAG,
        BigInt(chainId),
        entryPoint,
        packed.sender,
        packed.nonce,
        keccak256(packed.initCode),
        keccak256(packed.callData),
        packed.accountGasLimits,
        packed.preVerificationGas,
        packed.gasFees,
      ],
    ),
  )
}
