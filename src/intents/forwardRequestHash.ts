import { type Hex, isAddress, keccak256, stringToHex } from 'viem'
import type { ForwardRequestTypedData } from './forwardRequest.js'

const domainTypeHash = keccak256(
  stringToHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
)
const forwardRequestTypeHash = keccak256(
  stringToHex(
    'ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)',
  ),
)

/**
 * The EIP-712 digest of an ERC2771Forwarder `ForwardRequest`: what viem's `hashTypedData` returns
 * for `forwardRequestTypedData(...)`, written out for this one type. viem's general encoder walks
 * and validates the type description on every call, which made it the costliest pure step of the
 * decision path; this does the same encoding (EIP-712 `encodeData`: the type hash, then one
 * 32-byte word per field, `bytes` as its keccak256) with the same range checks, and throws where
 * viem would: an address that is not one, an integer out of its type's range. `data` goes through
 * the same keccak256 viem uses, so odd or malformed hex fares the same.
 */
export function hashForwardRequest(typedData: ForwardRequestTypedData): Hex {
  const { domain, message } = typedData
  const domainSeparator = domainSeparatorOf(domain)
  const structHash = keccak256(
    `${forwardRequestTypeHash}${addressWord(message.from)}${addressWord(message.to)}${uintWord(message.value, 256)}${uintWord(message.gas, 256)}${uintWord(message.nonce, 256)}${uintWord(BigInt(message.deadline), 48)}${keccak256(message.data).slice(2)}`,
  )
  return keccak256(`0x1901${domainSeparator.slice(2)}${structHash.slice(2)}`)
}

/** Most domains kept: a gateway serves one forwarder per chain, so a handful in practice. */
const maxCachedDomains = 64
const domainSeparators = new Map<string, Hex>()

/**
 * The forwarder's EIP-712 domain separator, hashed once per (name, version, chain, forwarder)
 * instead of on every request: three keccak256 and an address checksum each time otherwise. Only
 * a domain that hashed without throwing is kept.
 */
function domainSeparatorOf(domain: ForwardRequestTypedData['domain']): Hex {
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

function hashedString(text: string): string {
  return keccak256(stringToHex(text)).slice(2)
}

function uintWord(value: bigint, bits: number): string {
  if (value < 0n || value >= 1n << BigInt(bits)) throw new RangeError(`${value} is not a uint${bits}`)
  return value.toString(16).padStart(64, '0')
}

function addressWord(address: string): string {
  if (!isAddress(address)) throw new TypeError(`${address} is not an address`)
  return address.slice(2).toLowerCase().padStart(64, '0')
}
