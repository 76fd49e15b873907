import {
  type AbiParameter,
  type DecodeAbiParametersReturnType,
  decodeAbiParameters,
  encodeAbiParameters,
  type Hex,
} from 'viem'

/**
 * Decodes `encoded` as `parameters`, but only if it is the one canonical ABI encoding of the values
 * it decodes to; otherwise undefined. Decoders disagree on non-canonical input: Solidity ignores
 * trailing bytes and reads shared or out-of-order tails, assembly decoders ignore dirty high bits,
 * and ERC-2771 targets read a sender from the last 20 bytes. Accepting only the canonical form
 * means the values a policy sees are the ones every decoder on chain sees.
 */
export function decodeCanonicalAbi<const parameters extends readonly AbiParameter[]>(
  parameters: parameters,
  encoded: Hex,
): DecodeAbiParametersReturnType<parameters> | undefined {
  try {
    const values = decodeAbiParameters(parameters, encoded)
    const reencoded = encodeAbiParameters(parameters as readonly AbiParameter[], values as readonly unknown[])
    return reencoded === encoded.toLowerCase() ? values : undefined
  } catch {
    return undefined
  }
}
