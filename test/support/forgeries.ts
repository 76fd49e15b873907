/** The order of the Ed25519 base point (RFC 8032 §5.1). */
const ed25519Order = (1n << 252n) + 27742317777372353535851937790883648493n

/**
 * The classic Ed25519 malleation: S + L instead of S. The equation still holds, so a verifier
 * that skips RFC 8032's `S < L` check accepts a second, different signature for the same message.
 * Used to prove ours does not.
 */
export function malleateEd25519(signature: Uint8Array): Uint8Array {
  let s = 0n
  for (let index = 63; index >= 32; index--) s = (s << 8n) | BigInt(signature[index] ?? 0)
  s += ed25519Order
  const malleated = Uint8Array.from(signature)
  for (let index = 32; index < 64; index++) {
    malleated[index] = Number(s & 0xffn)
    s >>= 8n
  }
  return malleated
}
