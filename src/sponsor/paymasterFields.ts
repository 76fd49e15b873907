import { type Address, type Hex, keccak256, numberToHex, stringToHex } from 'viem'
import type { ServedChain } from '../chain/servedChain.js'
import { IntentGateError } from '../errors/index.js'
import type { Intent } from '../intents/intent.js'
import { normalizeUserOperation, type UserOperationV07 } from '../intents/userOperation.js'
import { encodePaymasterData } from './paymasterData.js'

/**
 * Gas the IntentPaymaster's validation may use: EIP-712 hashing of the op (callData and initCode
 * are hashed, so this grows a little with them) and one ecrecover. On Anvil, validating a vote
 * (with or without initCode) took about 41,000 gas as a whole transaction, so under 15,000 once
 * the 21,000 intrinsic and the calldata are taken off. The EntryPoint charges only what is used,
 * so the margin costs nothing but prefund.
 */
export const PAYMASTER_VERIFICATION_GAS_LIMIT = 80_000n
/** Gas of postOp: decoding its context and emitting UserOperationSponsored (about 26,000 as a whole transaction on Anvil, so a few thousand of its own). */
export const PAYMASTER_POST_OP_GAS_LIMIT = 40_000n

/** The paymaster part of an ERC-7677 answer, quantities as JSON-RPC hex. */
export type PaymasterFields = {
  paymaster: Address
  paymasterData: Hex
  paymasterVerificationGasLimit: Hex
  paymasterPostOpGasLimit: Hex
}

/** A user operation with this gateway's paymaster and paymaster gas limits filled in. */
export type SponsorableUserOperation = UserOperationV07 & {
  paymaster: Address
  paymasterVerificationGasLimit: bigint
  paymasterPostOpGasLimit: bigint
}

/**
 * The op as this gateway sponsors it: its paymaster, and the paymaster gas limits it carries
 * (those of our stub, or ours when it has none). Limits above ours are refused rather than
 * signed, since the EntryPoint prefunds them from the paymaster's deposit.
 */
export function withIntentPaymaster(userOp: UserOperationV07, paymaster: Address): SponsorableUserOperation {
  const verification = userOp.paymasterVerificationGasLimit ?? PAYMASTER_VERIFICATION_GAS_LIMIT
  const postOp = userOp.paymasterPostOpGasLimit ?? PAYMASTER_POST_OP_GAS_LIMIT
  const sameLimits = userOp.paymaster?.toLowerCase() === paymaster.toLowerCase()
  if (
    sameLimits &&
    (verification > PAYMASTER_VERIFICATION_GAS_LIMIT || postOp > PAYMASTER_POST_OP_GAS_LIMIT)
  ) {
    throw new IntentGateError('INVALID_REQUEST', 'Paymaster gas limits above what this paymaster needs', {
      details: `at most ${PAYMASTER_VERIFICATION_GAS_LIMIT} for verification and ${PAYMASTER_POST_OP_GAS_LIMIT} for postOp`,
    })
  }
  return {
    ...userOp,
    paymaster,
    // Another paymaster's limits mean nothing for ours: take ours.
    paymasterVerificationGasLimit: sameLimits ? verification : PAYMASTER_VERIFICATION_GAS_LIMIT,
    paymasterPostOpGasLimit: sameLimits ? postOp : PAYMASTER_POST_OP_GAS_LIMIT,
    paymasterData: '0x',
  }
}

// A fixed, well-formed stand-in signature (low s, v = 27) that recovers to no one: it runs the
// same ecrecover as a real one, so estimation sees the real validation cost, and fails with
// AA34 instead of reverting, as bundlers expect of stub data.
const stubSignature: Hex = `0x${'7f'.repeat(32)}${'3f'.repeat(32)}1b`
const stubDecisionDigest = keccak256(stringToHex('intentgate stub decision'))

/**
 * Stub paymasterData for gas estimation, byte for byte the size and zero-byte count of a real
 * one (validUntil, validAfter 0, a digest and a 65-byte signature), so preVerificationGas, which
 * charges calldata by byte, comes out as for the real op.
 */
export function stubPaymasterData(validUntil: number): Hex {
  return encodePaymasterData({
    validUntil,
    validAfter: 0,
    decisionDigest: stubDecisionDigest,
    signature: stubSignature,
  })
}

/** Formats the paymaster part of an answer. */
export function paymasterFieldsOf(userOp: SponsorableUserOperation, paymasterData: Hex): PaymasterFields {
  return {
    paymaster: userOp.paymaster,
    paymasterData,
    paymasterVerificationGasLimit: numberToHex(userOp.paymasterVerificationGasLimit),
    paymasterPostOpGasLimit: numberToHex(userOp.paymasterPostOpGasLimit),
  }
}

/**
 * The op with this gateway's paymaster filled in, and its Intent for a sponsorship decided at
 * `now`: valid until now plus the window, which is the validUntil the paymaster will sign.
 */
export function sponsorshipIntentOf(
  chain: Pick<ServedChain, 'chainId' | 'addresses'>,
  parameters: { userOp: UserOperationV07; now: number; windowSeconds: number },
): { userOp: SponsorableUserOperation; intent: Intent } {
  const userOp = withIntentPaymaster(parameters.userOp, chain.addresses.paymaster)
  const intent = normalizeUserOperation({
    userOp,
    chainId: chain.chainId,
    entryPoint: chain.addresses.entryPoint,
    validUntil: parameters.now + parameters.windowSeconds,
  })
  return { userOp, intent }
}
