import {
  type AbiParameter,
  type DecodeAbiParametersReturnType,
  type Hex,
  parseAbiParameters,
  slice,
  toFunctionSelector,
} from 'viem'
import { decodeCanonicalAbi } from './canonicalAbi.js'
import type { DecodedCall } from './intent.js'
import { callArguments } from './intentCall.js'

/** The outcome of decoding a call with a well-known selector: its arguments, or why they did not decode. */
export type KnownCallDecoding = { decoded: DecodedCall } | { problem: string }

type KnownCall = {
  signature: string
  decode(data: Hex): KnownCallDecoding
}

/**
 * Pairs a function signature with the parameters its arguments are read as and the shape a policy
 * sees. Arguments that are not canonically encoded are a problem, never a best guess.
 */
function knownCall<const parameters extends readonly AbiParameter[]>(
  signature: string,
  parameters: parameters,
  toDecoded: (args: DecodeAbiParametersReturnType<parameters>) => DecodedCall | { problem: string },
): [Hex, KnownCall] {
  const decode = (data: Hex): KnownCallDecoding => {
    const args = decodeCanonicalAbi(parameters, callArguments(data))
    if (args === undefined) return { problem: `${signature} arguments are not canonically ABI-encoded` }
    const decoded = toDecoded(args)
    return 'problem' in decoded ? decoded : { decoded }
  }
  return [toFunctionSelector(signature), { signature, decode }]
}

/**
 * Token calls whose arguments a policy caps: ERC-20, ERC-721 and ERC-1155 transfers and approvals.
 * `transferFrom` and `approve` mean the same bytes for ERC-20 and ERC-721, so `transferFrom` says
 * both; `approve` keeps the ERC-20 reading, where `amount` is a token id for an ERC-721.
 */
const knownCalls = new Map<Hex, KnownCall>([
  knownCall('transfer(address,uint256)', parseAbiParameters('address, uint256'), ([to, amount]) => ({
    standard: 'erc20',
    function: 'transfer',
    args: { to, amount: amount.toString() },
  })),
  knownCall('approve(address,uint256)', parseAbiParameters('address, uint256'), ([spender, amount]) => ({
    standard: 'erc20',
    function: 'approve',
    args: { spender, amount: amount.toString() },
  })),
  knownCall(
    'transferFrom(address,address,uint256)',
    parseAbiParameters('address, address, uint256'),
    ([from, to, amount]) => ({
      standard: 'erc20-or-erc721',
      function: 'transferFrom',
      args: { from, to, amount: amount.toString() },
    }),
  ),
  knownCall(
    'safeTransferFrom(address,address,uint256)',
    parseAbiParameters('address, address, uint256'),
    ([from, to, tokenId]) => ({
      standard: 'erc721',
      function: 'safeTransferFrom',
      args: { from, to, tokenId: tokenId.toString() },
    }),
  ),
  knownCall(
    'safeTransferFrom(address,address,uint256,bytes)',
    parseAbiParameters('address, address, uint256, bytes'),
    ([from, to, tokenId]) => ({
      standard: 'erc721',
      function: 'safeTransferFrom',
      args: { from, to, tokenId: tokenId.toString() },
    }),
  ),
  knownCall(
    'setApprovalForAll(address,bool)',
    parseAbiParameters('address, bool'),
    ([operator, approved]) => ({
      standard: 'erc721-or-erc1155',
      function: 'setApprovalForAll',
      args: { operator, approved },
    }),
  ),
  knownCall(
    'safeTransferFrom(address,address,uint256,uint256,bytes)',
    parseAbiParameters('address, address, uint256, uint256, bytes'),
    ([from, to, id, amount]) => ({
      standard: 'erc1155',
      function: 'safeTransferFrom',
      args: { from, to, id: id.toString(), amount: amount.toString() },
    }),
  ),
  knownCall(
    'safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)',
    parseAbiParameters('address, address, uint256[], uint256[], bytes'),
    ([from, to, ids, amounts]) =>
      // ERC-1155 reverts on unequal lengths; refusing them here keeps a policy from pairing ids and amounts wrongly.
      ids.length === amounts.length
        ? {
            standard: 'erc1155',
            function: 'safeBatchTransferFrom',
            args: {
              from,
              to,
              ids: ids.map((id) => id.toString()),
              amounts: amounts.map((amount) => amount.toString()),
            },
          }
        : { problem: `safeBatchTransferFrom has ${ids.length} ids but ${amounts.length} amounts` },
  ),
])

/**
 * Decodes `data` if its selector is a well-known token function; undefined for any other selector,
 * which policy judges by its allow-list alone. `data` must be at least 4 bytes.
 */
export function decodeKnownCall(data: Hex): KnownCallDecoding | undefined {
  return knownCalls.get(slice(data, 0, 4).toLowerCase() as Hex)?.decode(data)
}
