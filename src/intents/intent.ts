import type { Address, Hex } from 'viem'
import { z } from 'zod'

/**
 * The normalized form of every request, whatever it arrived as. Policies, limits and attestations
 * see only this. Big numbers are decimal strings so the Intent is plain JSON end to end.
 */
export type Intent = {
  kind: IntentKind
  chainId: number
  /** Who acts: the ERC-2771 `from`, or the ERC-4337 account. EIP-55 checksummed. */
  sender: Address
  /**
   * Every call the request makes, flattened in execution order: top-level calls and, for each
   * container (a multicall, an account's batch), its inner calls. Each has a `path` saying where
   * it sits. Policy checks every entry whose `role` is `call`; containers are transparent.
   */
  calls: IntentCall[]
  gas: IntentGas
  /** Unix seconds after which the request is no longer valid (the forwarder deadline, or the sponsorship window). */
  validUntil: number
  /** The replay-protection nonce of the request (forwarder nonce, or EntryPoint nonce), decimal. */
  nonce: string
  /** Identifies the request; see `requestDigest.ts` for exactly what it covers. */
  requestDigest: Hex
}

export type IntentKind = 'meta-tx' | 'user-op'

export type IntentGas = {
  /** Most gas the request may use (forwarder gas, or the sum of the user op's gas limits), decimal. */
  limit: string
  /** maxFeePerGas, decimal wei. For meta-transactions, the gateway's fee cap for the relay. */
  maxFeePerGas: string
  /** limit × maxFeePerGas: the most the gateway may pay, decimal wei. */
  maxCostWei: string
}

export type IntentCall = {
  /** Position in the request: "0", "1", and "0.2" for the third inner call of the first container. */
  path: string
  /** Nesting depth: 0 for top-level calls. */
  depth: number
  /** `container` for a call whose only effect is its inner calls (multicall, account batch); otherwise `call`. */
  role: 'call' | 'container'
  to: Address
  /** Native value sent with the call, decimal wei. */
  value: string
  /** The 4-byte selector, or null for a call with empty data (a plain transfer). */
  selector: Hex | null
  /** keccak256 of the call data, and its length, so the attested intent pins the exact bytes. */
  dataHash: Hex
  dataLength: number
  /** Arguments of well-known functions, decoded so policy can cap amounts. */
  decoded?: DecodedCall
  /** Set when the call could not be decoded safely; the default policy denies opaque calls. */
  opaque?: { reason: string }
}

/** Well-known calls, decoded. Amounts and ids are decimal strings; addresses are checksummed. */
export type DecodedCall =
  | { standard: 'erc20'; function: 'transfer'; args: { to: Address; amount: string } }
  | { standard: 'erc20'; function: 'approve'; args: { spender: Address; amount: string } }
  | {
      /** Same selector for ERC-20 and ERC-721; `amount` is a token id for ERC-721. */
      standard: 'erc20-or-erc721'
      function: 'transferFrom'
      args: { from: Address; to: Address; amount: string }
    }
  | {
      standard: 'erc721'
      function: 'safeTransferFrom'
      args: { from: Address; to: Address; tokenId: string }
    }
  | {
      standard: 'erc721-or-erc1155'
      function: 'setApprovalForAll'
      args: { operator: Address; approved: boolean }
    }
  | {
      standard: 'erc1155'
      function: 'safeTransferFrom'
      args: { from: Address; to: Address; id: string; amount: string }
    }
  | {
      standard: 'erc1155'
      function: 'safeBatchTransferFrom'
      args: { from: Address; to: Address; ids: string[]; amounts: string[] }
    }

const address = z.custom<Address>(
  (value) => typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value),
  'expected an address',
)
const hexOfLength = (bytes: number) =>
  z.custom<Hex>(
    (value) => typeof value === 'string' && new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(value),
    `expected ${bytes} bytes of hex`,
  )
const decimal = z.string().regex(/^(0|[1-9]\d{0,77})$/, 'expected a decimal string')

/**
 * Validates an Intent given as JSON, as an operator does in a dry run. Decoded call arguments are
 * kept as given; policy reads only the fields it knows.
 */
export const intentSchema = z.strictObject({
  kind: z.enum(['meta-tx', 'user-op']),
  chainId: z.number().int().positive(),
  sender: address,
  calls: z
    .array(
      z.strictObject({
        path: z.string().regex(/^\d+(\.\d+)*$/),
        depth: z.number().int().min(0).max(8),
        role: z.enum(['call', 'container']),
        to: address,
        value: decimal,
        selector: hexOfLength(4).nullable(),
        dataHash: hexOfLength(32),
        dataLength: z.number().int().min(0),
        decoded: z
          .custom<DecodedCall>(
            (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
          )
          .optional(),
        opaque: z.strictObject({ reason: z.string() }).optional(),
      }),
    )
    .max(256),
  gas: z.strictObject({ limit: decimal, maxFeePerGas: decimal, maxCostWei: decimal }),
  validUntil: z.number().int().min(0),
  nonce: decimal,
  requestDigest: hexOfLength(32),
}) satisfies z.ZodType<Intent>
