import {
  type Address,
  checksumAddress,
  type Hex,
  hashTypedData,
  hexToBytes,
  isHex,
  keccak256,
  type TypedData,
  type TypedDataDefinition,
} from 'viem'
import { nativeSecp256k1 } from './nativeSecp256k1.js'

/** Thrown for a signature or hash that recovers no address; viem throws for exactly these. */
export class SignatureRecoveryError extends Error {
  override name = 'SignatureRecoveryError'
}

/**
 * The address whose key made `signature` (r ‖ s ‖ v, 65 bytes) over the 32-byte `hash`, like
 * viem's `recoverAddress` and with its semantics: v is 27, 28, 0 or 1; r and s must lie in
 * [1, n-1]; high-s is accepted (refusing it is the request schema's job, as the forwarder's
 * ECDSA does); the result is checksummed. libsecp256k1 does the elliptic-curve work natively,
 * which is what makes it an order of magnitude faster than viem's pure-JS noble-curves.
 *
 * @throws SignatureRecoveryError for a malformed hash or signature, or one no key made.
 */
export function recoverAddress(hash: Hex, signature: Hex): Address {
  if (!isHex(hash, { strict: true }) || hash.length !== 66)
    throw new SignatureRecoveryError('hash is not 32 bytes')
  if (!isHex(signature, { strict: true }) || signature.length !== 132)
    throw new SignatureRecoveryError('signature is not 65 bytes')
  const bytes = hexToBytes(signature)
  const recoveryId = recoveryBit(bytes[64] ?? -1)
  let publicKey: Uint8Array
  try {
    publicKey = nativeSecp256k1.ecdsaRecover(bytes.subarray(0, 64), recoveryId, hexToBytes(hash), false)
  } catch (cause) {
    // libsecp256k1 refuses r or s of zero or at least n, and an r that is no point's x.
    throw new SignatureRecoveryError('signature recovers no public key', { cause })
  }
  return checksumAddress(`0x${keccak256(publicKey.subarray(1)).slice(26)}`)
}

/** The signer of `hash`, or undefined when the signature recovers no address: `recoverAddress` that never throws. */
export function recoverSigner(hash: Hex, signature: Hex): Address | undefined {
  try {
    return recoverAddress(hash, signature)
  } catch {
    return undefined
  }
}

/**
 * The signer of EIP-712 typed data, or undefined when the typed data cannot be hashed or the
 * signature recovers no address: what `await recoverTypedDataAddress({...typedData, signature})
 * .catch(() => undefined)` gives with viem, synchronously and natively.
 */
export function recoverTypedDataSigner<
  const Types extends TypedData | Record<string, unknown>,
  PrimaryType extends keyof Types | 'EIP712Domain',
>(typedData: TypedDataDefinition<Types, PrimaryType>, signature: Hex): Address | undefined {
  try {
    return recoverAddress(hashTypedData(typedData), signature)
  } catch {
    return undefined
  }
}

function recoveryBit(v: number): number {
  if (v === 0 || v === 1) return v
  if (v === 27) return 0
  if (v === 28) return 1
  throw new SignatureRecoveryError('v is not 0, 1, 27 or 28')
}
