import { z } from 'zod'
import { addressField, hexUint } from '../../../intents/requestScalars.js'
import { userOperationSchema } from '../../../intents/userOperation.js'
import { sponsorContextSchema } from '../../../sponsor/sponsorContext.js'

/** A v0.7 user operation; for the paymaster methods the account signature may still be missing. */
export const unsignedUserOperationParam = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && !('signature' in value)
      ? { ...value, signature: '0x' }
      : value,
  userOperationSchema,
)

export const entryPointParam = addressField

/** The chain id as ERC-7677 sends it: a hex quantity. */
export const chainIdParam = hexUint(53).transform((value) => Number(value))

/** `[userOp, entryPoint, chainId, context?]`, the params of both ERC-7677 methods. */
export const paymasterParams = z.union([
  z.tuple([unsignedUserOperationParam, entryPointParam, chainIdParam]),
  z.tuple([unsignedUserOperationParam, entryPointParam, chainIdParam, sponsorContextSchema]),
])

/** The SponsorUserOperationParameters of ERC-7677 params. */
export function sponsorParametersOf(
  params: z.output<typeof paymasterParams>,
  authorization: string | undefined,
) {
  const [userOp, entryPoint, chainId, context] = params
  return { userOp, entryPoint, chainId, context: context ?? {}, authorization }
}
