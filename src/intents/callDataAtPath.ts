import { type Hex, keccak256, slice } from 'viem'
import { decodeCanonicalAbi } from './canonicalAbi.js'
import { MULTICALL_SELECTOR, multicallParameters } from './decodeCall.js'
import { callArguments } from './intentCall.js'

/**
 * The call data of the Intent entry at `path` ("0", "0.2", "0.2.1", …), found by walking the same
 * `multicall(bytes[])` containers the normalizer expanded, starting from the request's one
 * top-level call. Undefined when the path does not lead to a call: the Intent entry's `dataHash`
 * is what callers should check the bytes against.
 */
export function callDataAtPath(rootData: Hex, path: string): Hex | undefined {
  const [first, ...inner] = path.split('.')
  if (first !== '0') return undefined
  let data = rootData
  for (const step of inner) {
    if (!/^\d+$/.test(step) || data.length < 10) return undefined
    if (slice(data, 0, 4).toLowerCase() !== MULTICALL_SELECTOR) return undefined
    const decoded = decodeCanonicalAbi(multicallParameters, callArguments(data))
    const item = decoded?.[0][Number(step)]
    if (item === undefined) return undefined
    data = item
  }
  return data
}

/** The call data of an Intent entry, only if it hashes to the entry's `dataHash`. */
export function verifiedCallData(rootData: Hex, entry: { path: string; dataHash: Hex }): Hex | undefined {
  const data = callDataAtPath(rootData, entry.path)
  return data !== undefined && keccak256(data) === entry.dataHash ? data : undefined
}
