import { type Hex, keccak256, stringToHex } from 'viem'
import { addressWord, domainSeparatorOf, typedDataDigest, uintWord } from '../crypto/eip712Words.js'
import type { ForwardRequestTypedData } from './forwardRequest.js'

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
  return typedDataDigest(domainSeparator, structHash)
}
