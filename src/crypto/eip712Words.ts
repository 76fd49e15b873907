import { type Hex, isAddress, keccak256, stringToHex } from 'viem'

/**
 * EIP-712 `encodeData` words, written out for the few fixed types the hot paths hash (the
 * forwarder's ForwardRequest, the paymaster's SponsoredUserOperation): viem's general
 * `hashTypedData` walks and validates the type description on every call, which cost more than
 * the rest of either hash. Each word is 64 hex digits without `0x`; each throws where viem's
 * encoder would.
 */

const domainTypeHash = keccak256(
  stringToHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
)

/** An EIP-712 domain with the four fields the gateway's contracts use. */
export type Eip712Domain = { name: string; version: string; chainId: number; verifyingContract: string }

/** Most domains kept: a gateway serves one forwarder and one paymaster per chain, so a handful in practice. */
const maxCachedDomains = 64
const domainSeparators = new Map<string, Hex>()

/**
 * The domain separator, hashed once per (name, version, chain, contract) instead of on every
 * request: three keccak256 and an address check each time otherwise. Only a domain that hashed
 * without throwing is kept.
 */
export function domainSeparatorOf(domain: Eip712Domain): Hex {
  const key = JSON.stringify([domain.name, domain.version, domain.chainId, domain.verifyingContract])
  const cached = domainSeparators.get(key)
  if (cached) return cached
  const separator = keccak256(
    `${domainTypeHash}${hashedString(domain.name)}${hashedString(domain.version)}${uintWord(BigInt(domain.chainId), 256)}${addressWord(domain.verifyingContract)}`,
  )
  if (domainSeparators.size >= maxCachedDomains) domainSeparators.clear()
  domainSeparators.set(key, separator)
  return separator
}

/** The final digest: `keccak256(0x1901 || domainSeparator || structHash)`. */
export function typedDataDigest(domainSeparator: Hex, structHash: Hex): Hex {
  return keccak256(`0x1901${domainSeparator.slice(2)}${structHash.slice(2)}`)
}

/** A `string` field: the keccak256 of its UTF-8 bytes. */
export function hashedString(text: string): string {
  return keccak256(stringToHex(text)).slice(2)
}

/** A `uint<bits>` field; throws for a value outside the type's range. */
export function uintWord(value: bigint, bits: number): string {
  if (value < 0n || value >= 1n << BigInt(bits)) throw new RangeError(`${value} is not a uint${bits}`)
  return value.toString(16).padStart(64, '0')
}

/** An `address` field; throws for anything that is not an address. */
export function addressWord(address: string): string {
  if (!isAddress(address)) throw new TypeError(`${address} is not an address`)
  return address.slice(2).toLowerCase().padStart(64, '0')
}
