import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  concatHex,
  decodeErrorResult,
  encodeFunctionData,
  type Hex,
  hexToBigInt,
  type PublicClient,
  parseEther,
  toFunctionSelector,
} from 'viem'
import { classifyError, IntentGateError } from '../errors/index.js'
import type { ForwardRequestData } from '../intents/forwardRequest.js'
import type { ChainAddresses } from './addresses.js'
import { communityPollAbi } from './artifacts/CommunityPoll.js'
import { demoBadgeAbi } from './artifacts/DemoBadge.js'
import { demoTokenAbi } from './artifacts/DemoToken.js'
import { intentForwarderAbi } from './artifacts/IntentForwarder.js'
import type { ChainIdentity } from './chainIdentity.js'

export type SimulationResult = { ok: true } | { ok: false; reason: string }

/** What the pipeline needs of one chain: reads and simulations, no writes. */
export type ServedChain = {
  chainId: number
  client: PublicClient
  addresses: ChainAddresses
  /** The forwarder's EIP-712 domain name and version, read once through ERC-5267. */
  forwarderDomain(): Promise<{ name: string; version: string }>
  forwarderNonce(from: Address): Promise<bigint>
  /**
   * eth_call of `execute` as a relayer would send it; a revert says why, decoded where it can be.
   * `executeData`, when the caller already encoded `execute(request)`, is that calldata.
   */
  simulateForwardRequest(request: ForwardRequestData, executeData?: Hex): Promise<SimulationResult>
  /**
   * The fee cap of a request admitted now (maxFeePerGas): the base fee times the headroom, plus
   * the tip. It leaves the relay room for replacements of at least 12.5% before the cap forces a
   * cancel. Cached briefly so requests do not each ask the node.
   */
  feeCap(): Promise<bigint>
  /** The chain's genesis watch (see chainIdentity.ts); absent, the chain is taken as it is. */
  identity?: Pick<ChainIdentity, 'assertUnchanged'>
}

/** Any address works for eth_call; it is given the balance the call needs through a state override. */
const simulationCaller: Address = '0x00000000000000000000000000000000DeaDBeef'
const feeCacheMs = 3_000
// Errors of the demo targets and common libraries, so a revert reason reads as a name, not hex.
const knownErrorAbis = [...intentForwarderAbi, ...communityPollAbi, ...demoTokenAbi, ...demoBadgeAbi]

/** Builds the chain adapter for one served chain. */
export function createServedChain(parameters: {
  chainId: number
  client: PublicClient
  addresses: ChainAddresses
  /** Multiple of the base fee a request's relay may pay at most (RELAY_FEE_HEADROOM). */
  feeHeadroom?: number
  identity?: Pick<ChainIdentity, 'assertUnchanged'>
}): ServedChain {
  const { chainId, client, addresses, feeHeadroom = 4, identity } = parameters
  let domain: Promise<{ name: string; version: string }> | undefined
  let fee: { value: bigint; at: number } | undefined
  const noncesSelector = toFunctionSelector('nonces(address)')

  return {
    chainId,
    client,
    addresses,
    ...(identity ? { identity } : {}),

    forwarderDomain() {
      domain ??= client
        .readContract({ address: addresses.forwarder, abi: intentForwarderAbi, functionName: 'eip712Domain' })
        .then(([, name, version]) => ({ name, version }))
        .catch((error: unknown) => {
          domain = undefined
          throw error
        })
      return domain
    },

    // Encoded and decoded here: on the hot path viem's readContract (checks, formatters, the
    // general ABI coder) cost more CPU than this one eth_call needs.
    async forwarderNonce(from) {
      if (!/^0x[0-9a-fA-F]{40}$/.test(from)) throw new RangeError(`not an address: ${from}`)
      const data: Hex = `${noncesSelector}${from.slice(2).toLowerCase().padStart(64, '0')}`
      const result = await client.request({
        method: 'eth_call',
        params: [{ to: addresses.forwarder, data }, 'latest'],
      })
      if (!/^0x[0-9a-fA-F]{64}/.test(result))
        throw new Error(`the forwarder's nonces(${from}) returned ${result.slice(0, 80)}`)
      return hexToBigInt(result.slice(0, 66) as Hex)
    },

    async simulateForwardRequest(request, executeData) {
      const balance = request.value + parseEther('1')
      try {
        await client.call({
          account: simulationCaller,
          to: addresses.forwarder,
          value: request.value,
          data:
            executeData ??
            encodeFunctionData({ abi: intentForwarderAbi, functionName: 'execute', args: [request] }),
          stateOverride: [{ address: simulationCaller, balance }],
        })
        return { ok: true }
      } catch (error) {
        // The node is unreachable: that is a 503, never a verdict on the request.
        if (classifyError(error).code === 'DEPENDENCY_UNAVAILABLE') throw error
        // The node refused the call itself (gas above its cap, say): the request cannot run as sent.
        if (!isRevert(error)) return { ok: false, reason: `rejected by the node: ${nodeMessage(error)}` }
        // The forwarder reports a failed inner call without its reason; the call itself, made as
        // the forwarder would make it (sender appended), says why.
        const inner = await innerRevertReason(client, addresses.forwarder, request, balance)
        return { ok: false, reason: inner ?? revertReason(error) }
      }
    },

    async feeCap() {
      if (fee && Date.now() - fee.at < feeCacheMs) return fee.value
      const [block, tip] = await Promise.all([
        client.getBlock({ blockTag: 'latest' }),
        client.estimateMaxPriorityFeePerGas(),
      ])
      const value = (block.baseFeePerGas ?? 0n) * BigInt(feeHeadroom) + tip
      fee = { value, at: Date.now() }
      return value
    },
  }
}

async function innerRevertReason(
  client: PublicClient,
  forwarder: Address,
  request: ForwardRequestData,
  balance: bigint,
): Promise<string | undefined> {
  try {
    await client.call({
      account: forwarder,
      to: request.to,
      value: request.value,
      data: concatHex([request.data, request.from]),
      gas: request.gas,
      stateOverride: [{ address: forwarder, balance }],
    })
    return undefined
  } catch (error) {
    return isRevert(error) ? revertReason(error) : undefined
  }
}

/** The node's own words, without URLs (an RPC URL may carry a key). */
export function nodeMessage(error: unknown): string {
  const message = error instanceof BaseError ? error.shortMessage : String(error)
  return message.replace(/https?:\/\/\S+/g, '<url>').slice(0, 200)
}

/** True for an execution revert; false for transport failures, which must not read as a denial. */
export function isRevert(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false
  return (
    error.walk((cause) => cause instanceof BaseError && /revert/i.test(cause.shortMessage ?? '')) !== null
  )
}

/** The reason a viem call error gives for a revert, decoded where it can be. */
export function revertReason(error: unknown): string {
  if (!(error instanceof BaseError)) return 'reverted'
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError)
  if (reverted instanceof ContractFunctionRevertedError && reverted.reason) return reverted.reason
  const data = findRevertData(error)
  return data ? describeRevertData(data) : 'reverted without a reason'
}

/**
 * Names a revert from its data: `Error(string)` as its message, a custom error of the demo targets
 * or OpenZeppelin as `Name(args)`, anything else as its leading bytes.
 */
export function describeRevertData(data: Hex): string {
  if (data === '0x') return 'reverted without a reason'
  try {
    const decoded = decodeErrorResult({ abi: knownErrorAbis, data })
    // viem also decodes Solidity's Error(string) and Panic(uint256), which the typed names leave out.
    const name: string = decoded.errorName
    const [message] = decoded.args ?? []
    if (name === 'Error' && typeof message === 'string') return message
    return decoded.args?.length
      ? `${decoded.errorName}(${decoded.args.map(String).join(', ')})`
      : decoded.errorName
  } catch {
    return `reverted with ${data.slice(0, 74)}`
  }
}

function findRevertData(error: BaseError): Hex | undefined {
  let found: Hex | undefined
  error.walk((cause) => {
    const data = (cause as { data?: unknown }).data
    if (typeof data === 'string' && data.startsWith('0x')) found = data as Hex
    return false
  })
  return found
}

/**
 * Fails with CHAIN_NOT_SERVED when the gateway has no adapter for the chain, and with
 * CHAIN_IDENTITY_CHANGED while the chain behind its RPC URL is not the one first seen.
 */
export function servedChainOrThrow(chains: ReadonlyMap<number, ServedChain>, chainId: number): ServedChain {
  const chain = chains.get(chainId)
  if (!chain)
    throw new IntentGateError('CHAIN_NOT_SERVED', 'Chain not served', { details: `chain ${chainId}` })
  chain.identity?.assertUnchanged()
  return chain
}
