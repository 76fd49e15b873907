import { createRequire } from 'node:module'

/**
 * The part of the `secp256k1` package (libsecp256k1 through N-API, prebuilt for linux-x64 inside
 * the npm tarball) the gateway calls. Its `bindings.js` entry is loaded rather than its index,
 * which silently falls back to a pure-JS implementation when the native addon fails to load: a
 * gateway whose fast path quietly became slow would be a worse failure than one that will not start.
 */
export type NativeSecp256k1 = {
  ecdsaRecover(
    signature: Uint8Array,
    recoveryId: number,
    message: Uint8Array,
    compressed: boolean,
  ): Uint8Array
  /** RFC 6979 deterministic nonce, low-s: the signature noble-curves (viem) makes for the same input. */
  ecdsaSign(message: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number }
  privateKeyVerify(privateKey: Uint8Array): boolean
}

export const nativeSecp256k1 = createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp256k1
