import { type Address, numberToHex } from 'viem'
import { z } from 'zod'
import { decodeAccountCall } from './decodeAccountCall.js'
import type { Intent } from './intent.js'
import { userOperationDigest } from './requestDigest.js'
import { addressField, hexBytesField, hexUint } from './requestScalars.js'

/** Optional fields may be absent or null, as bundler clients send them either way; both mean "not set". */
function optional<Schema extends z.ZodType>(schema: Schema) {
  return z.preprocess((value) => value ?? undefined, schema.optional())
}

const fields = {
  sender: addressField,
  nonce: hexUint(256),
  factory: optional(addressField),
  factoryData: optional(hexBytesField),
  callData: hexBytesField,
  // EntryPoint v0.7 packs each of these gas values and fees into 16 bytes.
  callGasLimit: hexUint(128),
  verificationGasLimit: hexUint(128),
  preVerificationGas: hexUint(256),
  maxFeePerGas: hexUint(128),
  maxPriorityFeePerGas: hexUint(128),
  paymaster: optional(addressField),
  paymasterVerificationGasLimit: optional(hexUint(128)),
  paymasterPostOpGasLimit: optional(hexUint(128)),
  paymasterData: optional(hexBytesField),
  signature: hexBytesField,
}

const paymasterOnlyFields = [
  'paymasterVerificationGasLimit',
  'paymasterPostOpGasLimit',
  'paymasterData',
] as const

/**
 * An ERC-4337 v0.7 user operation in the unpacked JSON-RPC form that viem, permissionless and
 * bundlers exchange: quantities as hex, `factory`/`factoryData` instead of `initCode`, and the
 * paymaster split into its address, gas limits and data. Unknown keys (such as v0.6's `initCode`
 * or `paymasterAndData`) are refused. The output matches viem's `UserOperation<'0.7'>`.
 */
export const userOperationSchema = z
  .strictObject(fields, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}; a v0.7 user operation has ${Object.keys(fields).join(', ')}`
        : issue.input === undefined
          ? 'required'
          : 'expected a JSON object',
  })
  .superRefine((userOp, ctx) => {
    if (userOp.factory === undefined && userOp.factoryData !== undefined && userOp.factoryData !== '0x') {
      ctx.addIssue({
        code: 'custom',
        path: ['factoryData'],
        message: 'factoryData is set but factory is not',
      })
    }
    if (userOp.paymaster !== undefined) return
    for (const key of paymasterOnlyFields) {
      if (userOp[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} is set but paymaster is not` })
      }
    }
  })

export type UserOperationV07 = z.output<typeof userOperationSchema>

/** The most gas the EntryPoint may charge the operation for, as its prefund computes it. */
export function userOperationGasLimit(userOp: UserOperationV07): bigint {
  return (
    userOp.verificationGasLimit +
    userOp.callGasLimit +
    userOp.preVerificationGas +
    (userOp.paymasterVerificationGasLimit ?? 0n) +
    (userOp.paymasterPostOpGasLimit ?? 0n)
  )
}

export type NormalizeUserOperationParameters = {
  userOp: UserOperationV07
  chainId: number
  entryPoint: Address
  /** Unix seconds until which the gateway would sponsor it: the paymaster signature's validUntil. */
  validUntil: number
}

/**
 * Normalizes a validated v0.7 user operation into an Intent. The sender is the account; the calls
 * are what the account's callData makes it do (see `decodeAccountCall`). The gas limit is the sum
 * of every limit the EntryPoint prefunds (verification, call, pre-verification and, with a
 * paymaster, its verification and postOp limits), so `maxCostWei` is the most the EntryPoint can
 * take from the paymaster's deposit. Never throws.
 */
export function normalizeUserOperation(parameters: NormalizeUserOperationParameters): Intent {
  const { userOp, chainId, entryPoint, validUntil } = parameters
  const limit = userOperationGasLimit(userOp)
  return {
    kind: 'user-op',
    chainId,
    sender: userOp.sender,
    calls: decodeAccountCall({ account: userOp.sender, callData: userOp.callData }),
    gas: {
      limit: limit.toString(),
      maxFeePerGas: userOp.maxFeePerGas.toString(),
      maxCostWei: (limit * userOp.maxFeePerGas).toString(),
    },
    validUntil,
    nonce: userOp.nonce.toString(),
    requestDigest: userOperationDigest({ userOp, chainId, entryPoint }),
  }
}

/** An op in its JSON-RPC form (quantities as hex), which {@link userOperationSchema} parses back to the very same op. */
export function userOperationJsonOf(userOp: UserOperationV07): Record<string, string> {
  const json: Record<string, string> = {}
  for (const [field, value] of Object.entries(userOp)) {
    if (value !== undefined) json[field] = typeof value === 'bigint' ? numberToHex(value) : String(value)
  }
  return json
}
