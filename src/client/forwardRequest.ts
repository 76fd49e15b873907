import type { Address, Client, Hex, TypedDataDomain } from 'viem'
import { getChainId, readContract } from 'viem/actions'
import { ChainReadError } from './errors.js'

/**
 * The EIP-712 type of OpenZeppelin 5's `ERC2771Forwarder`, field for field in its typehash order:
 * `ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)`.
 */
export const forwardRequestTypes = {
  ForwardRequest: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'gas', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint48' },
    { name: 'data', type: 'bytes' },
  ],
} as const

/** The message a user signs for the forwarder. */
export type ForwardRequestMessage = {
  from: Address
  to: Address
  value: bigint
  gas: bigint
  nonce: bigint
  deadline: number
  data: Hex
}

/** The typed data `ForwardRequestSigner.signTypedData` receives: viem's `signTypedData` parameters. */
export type ForwardRequestTypedData = {
  domain: TypedDataDomain
  types: typeof forwardRequestTypes
  primaryType: 'ForwardRequest'
  message: ForwardRequestMessage
}

/**
 * Whoever signs for the user. A viem `LocalAccount` (`privateKeyToAccount`, `mnemonicToAccount`)
 * fits as is; for a browser wallet, pass
 * `{ address, signTypedData: (typedData) => walletClient.signTypedData({ account: address, ...typedData }) }`.
 */
export type ForwardRequestSigner = {
  address: Address
  signTypedData: (typedData: ForwardRequestTypedData) => Promise<Hex>
}

// Only the two ERC2771Forwarder views the client reads (OpenZeppelin 5, ERC-5267).
const forwarderAbi = [
  {
    type: 'function',
    name: 'nonces',
    stateMutability: 'view',
    inputs: [{ name: 'owner', type: 'address' }],
    outputs: [{ name: '', type: 'uint256' }],
  },
  {
    type: 'function',
    name: 'eip712Domain',
    stateMutability: 'view',
    inputs: [],
    outputs: [
      { name: 'fields', type: 'bytes1' },
      { name: 'name', type: 'string' },
      { name: 'version', type: 'string' },
      { name: 'chainId', type: 'uint256' },
      { name: 'verifyingContract', type: 'address' },
      { name: 'salt', type: 'bytes32' },
      { name: 'extensions', type: 'uint256[]' },
    ],
  },
] as const

/** The forwarder's EIP-712 domain and the chain it is on. */
export type ForwarderDomain = { domain: TypedDataDomain; chainId: number }

/** Reads a forwarder through the app's own viem client. */
export type ForwarderReader = {
  readonly forwarder: Address
  /** The domain never changes for a deployed forwarder, so it is read once and kept. */
  domain(): Promise<ForwarderDomain>
  nonce(from: Address): Promise<bigint>
}

/** Builds the reader for the forwarder at `forwarder` on the chain `client` talks to. */
export function createForwarderReader(client: Client, forwarder: Address): ForwarderReader {
  let domain: Promise<ForwarderDomain> | undefined
  return {
    forwarder,
    domain() {
      domain ??= readDomain(client, forwarder).catch((error: unknown) => {
        domain = undefined
        throw error
      })
      return domain
    },
    async nonce(from) {
      try {
        return await readContract(client, {
          address: forwarder,
          abi: forwarderAbi,
          functionName: 'nonces',
          args: [from],
        })
      } catch (cause) {
        throw new ChainReadError({ what: 'the nonce', forwarder, cause })
      }
    },
  }
}

async function readDomain(client: Client, forwarder: Address): Promise<ForwarderDomain> {
  let fields: Hex
  let name: string
  let version: string
  let chainId: bigint
  let verifyingContract: Address
  let salt: Hex
  try {
    ;[fields, name, version, chainId, verifyingContract, salt] = await readContract(client, {
      address: forwarder,
      abi: forwarderAbi,
      functionName: 'eip712Domain',
    })
  } catch (cause) {
    throw new ChainReadError({ what: 'the EIP-712 domain (ERC-5267)', forwarder, cause })
  }
  // ERC-5267: bit i of `fields` says whether name, version, chainId, verifyingContract, salt is in the domain.
  const bits = Number.parseInt(fields.slice(2), 16)
  const has = (bit: number) => (bits & (1 << bit)) !== 0
  const domain: TypedDataDomain = {
    ...(has(0) ? { name } : {}),
    ...(has(1) ? { version } : {}),
    ...(has(2) ? { chainId: Number(chainId) } : {}),
    ...(has(3) ? { verifyingContract } : {}),
    ...(has(4) ? { salt } : {}),
  }
  if (has(2)) return { domain, chainId: Number(chainId) }
  try {
    return { domain, chainId: await getChainId(client) }
  } catch (cause) {
    throw new ChainReadError({ what: 'the chain id', forwarder, cause })
  }
}
