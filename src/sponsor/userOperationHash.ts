import { type Address, type Hex, keccak256 } from 'viem'
import { addressWord, uintWord } from '../crypto/eip712Words.js'
import type { UserOperationV07 } from '../intents/userOperation.js'

export type UserOperationHashParameters = {
  chainId: number
  entryPoint: Address
  userOperation: UserOperationV07
}

/**
 * `EntryPoint.getUserOpHash` of v0.7, written out word by word as the paymaster digest is (see
 * src/crypto/eip712Words.ts): viem's `getUserOperationHash` packs the op, then ABI-encodes twice
 * through its general encoder, which cost more than the paymaster digest itself.
 *
 * keccak256(abi.encode(keccak256(abi.encode(sender, nonce, keccak256(initCode), keccak256(callData),
 * accountGasLimits, preVerificationGas, gasFees, keccak256(paymasterAndData))), entryPoint, chainId))
 *
 * initCode is `factory ‖ factoryData` (empty without a factory) and paymasterAndData is
 * `paymaster ‖ verification gas (16 bytes) ‖ postOp gas (16 bytes) ‖ paymasterData` (empty without
 * a paymaster), exactly as the v0.7 EntryPoint reads them. Unlike viem, a factory of 0x7702… is not
 * read as an EIP-7702 marker: that is v0.8's rule, and a v0.7 EntryPoint hashes it as any address.
 * Throws where a field does not fit its Solidity type.
 */
export function userOperationHashV07(parameters: UserOperationHashParameters): Hex {
  const { chainId, entryPoint, userOperation: op } = parameters
  const initCode = op.factory ? `${op.factory}${(op.factoryData ?? '0x').slice(2)}` : '0x'
  const paymasterAndData = op.paymaster
    ? `${op.paymaster}${halfWord(op.paymasterVerificationGasLimit ?? 0n)}${halfWord(op.paymasterPostOpGasLimit ?? 0n)}${(op.paymasterData ?? '0x').slice(2)}`
    : '0x'
  const packedHash = keccak256(
    `0x${addressWord(op.sender)}${uintWord(op.nonce, 256)}${hashOf(initCode)}${hashOf(op.callData)}${halfWord(op.verificationGasLimit)}${halfWord(op.callGasLimit)}${uintWord(op.preVerificationGas, 256)}${halfWord(op.maxPriorityFeePerGas)}${halfWord(op.maxFeePerGas)}${hashOf(paymasterAndData)}`,
  )
  return keccak256(`${packedHash}${addressWord(entryPoint)}${uintWord(BigInt(chainId), 256)}`)
}

/** keccak256 of some bytes, as a word without `0x`. */
function hashOf(bytes: string): string {
  return keccak256(bytes as Hex).slice(2)
}

/** A uint128 as the 16-byte half of a packed bytes32 (accountGasLimits, gasFees, paymasterAndData's limits). */
function halfWord(value: bigint): string {
  return uintWord(value, 128).slice(32)
}
