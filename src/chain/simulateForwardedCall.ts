import { type Address, concatHex, encodeFunctionData, type Hex, parseAbi, parseEther, size } from 'viem'
import { classifyError } from '../errors/index.js'
import type { ForwardRequestFields } from '../intents/forwardRequest.js'
import { describeRevertData, isRevert, nodeMessage, revertReason, type ServedChain } from './servedChain.js'

/** A log the simulated call emitted, as the node reported it. */
export type SimulatedLog = { address: Address; topics: readonly Hex[]; data: Hex }

/** What simulating a forward request's call says, and how it was learned. */
export type ForwardedCallSimulation = {
  /**
   * `eth_simulateV1` reports the call's logs (and native transfers, traced); a node without it is
   * asked with `eth_call` and `eth_estimateGas`, which tell success and gas but no logs.
   */
  source: 'eth_simulateV1' | 'eth_call'
  status: 'success' | 'reverted'
  revertReason?: string
  /**
   * Gas the call's execution needs, without the transaction's intrinsic cost, so it compares with
   * the request's `gas`: what eth_simulateV1 saw used (after refunds), or eth_estimateGas's answer.
   */
  gasUsed?: bigint
  /** The call's logs in order (none when it reverts); absent when the node could not say (eth_call). */
  logs?: SimulatedLog[]
  /** Why eth_simulateV1 was not used, in the node's words. */
  fallbackReason?: string
}

const trustAbi = parseAbi(['function isTrustedForwarder(address forwarder) view returns (bool)'])

/**
 * The intrinsic gas of a transaction carrying `data` (EIP-2028), and the EIP-7623 floor it may not
 * go below. The forwarder hands a request exactly `request.gas`; a simulated transaction must get
 * that plus its intrinsic cost for the call inside to see the same budget.
 */
export function intrinsicGas(data: Hex): { standard: bigint; floor: bigint } {
  let zero = 0n
  let nonZero = 0n
  for (let index = 2; index < data.length; index += 2) {
    if (data.slice(index, index + 2) === '00') zero++
    else nonZero++
  }
  return { standard: 21_000n + 4n * zero + 16n * nonZero, floor: 21_000n + 10n * (zero + 4n * nonZero) }
}

/**
 * Simulates a forward request as the relay would run it, before anyone signs it: the forwarder
 * calls `request.to` with `request.value`, `request.gas` and the ERC-2771 sender appended, after
 * checking that the target trusts it. Signature, nonce and deadline are the caller's to check.
 * Uses `eth_simulateV1` with transfer tracing; when the node refuses it, falls back to `eth_call`
 * and `eth_estimateGas` and says why. A node that cannot be reached throws (a 503), never a verdict.
 */
export async function simulateForwardedCall(
  chain: Pick<ServedChain, 'client' | 'addresses'>,
  request: ForwardRequestFields,
): Promise<ForwardedCallSimulation> {
  const { client, addresses } = chain
  const forwarder = addresses.forwarder
  const data = concatHex([request.data, request.from])
  const intrinsic = intrinsicGas(data)
  let gas = request.gas + intrinsic.standard
  if (gas < intrinsic.floor) gas = intrinsic.floor
  const stateOverride = [{ address: forwarder, balance: request.value + parseEther('1') }]
  const prepared: PreparedCall = {
    request,
    data,
    gas,
    intrinsic: intrinsic.standard,
    stateOverride,
    trustData: encodeFunctionData({ abi: trustAbi, functionName: 'isTrustedForwarder', args: [forwarder] }),
    // What the forwarder reverts with when the target does not trust it.
    untrusted: `ERC2771UntrustfulTarget(${request.to}, ${forwarder})`,
  }

  let calls: Awaited<ReturnType<typeof client.simulateBlocks>>[number]['calls']
  try {
    const [block] = await client.simulateBlocks({
      blocks: [
        {
          calls: [
            { account: forwarder, to: request.to, data: prepared.trustData },
            { account: forwarder, to: request.to, value: request.value, data, gas },
          ],
          stateOverrides: stateOverride,
        },
      ],
      traceTransfers: true,
      validation: false,
    })
    if (!block) throw new Error('eth_simulateV1 returned no block')
    calls = block.calls
  } catch (error) {
    if (classifyError(error).code === 'DEPENDENCY_UNAVAILABLE') throw error
    return simulateWithCall(chain, prepared, nodeMessage(error))
  }

  const [trust, call] = calls
  if (!trust || !call) throw new Error('eth_simulateV1 returned fewer calls than it was given')
  if (trust.status !== 'success' || !isTrue(trust.data))
    return { source: 'eth_simulateV1', status: 'reverted', revertReason: prepared.untrusted, logs: [] }
  const gasUsed = call.gasUsed > intrinsic.standard ? call.gasUsed - intrinsic.standard : 0n
  if (call.status !== 'success') {
    const outOfGas = call.data === '0x' && call.gasUsed >= gas
    return {
      source: 'eth_simulateV1',
      status: 'reverted',
      revertReason: outOfGas ? `ran out of gas: ${request.gas} is not enough` : describeRevertData(call.data),
      gasUsed,
      // A reverted call has no effects, whatever the node traced before the revert.
      logs: [],
    }
  }
  const logs = (call.logs ?? []).map(({ address, topics, data }) => ({ address, topics, data }))
  return { source: 'eth_simulateV1', status: 'success', gasUsed, logs }
}

/** The forwarded call, ready to simulate: its data with the sender appended and its gas. */
type PreparedCall = {
  request: ForwardRequestFields
  data: Hex
  gas: bigint
  intrinsic: bigint
  stateOverride: { address: Address; balance: bigint }[]
  trustData: Hex
  untrusted: string
}

async function simulateWithCall(
  chain: Pick<ServedChain, 'client' | 'addresses'>,
  prepared: PreparedCall,
  fallbackReason: string,
): Promise<ForwardedCallSimulation> {
  const { client, addresses } = chain
  const { request, data, gas, intrinsic, stateOverride } = prepared
  const forwarder = addresses.forwarder
  const base = { source: 'eth_call', fallbackReason } as const
  const call = { account: forwarder, to: request.to, value: request.value, data, stateOverride }
  try {
    const trusted = await client.call({ account: forwarder, to: request.to, data: prepared.trustData })
    if (!isTrue(trusted.data ?? '0x'))
      return { ...base, status: 'reverted', revertReason: prepared.untrusted }
    await client.call({ ...call, gas })
    const estimate = await client.estimateGas(call)
    return { ...base, status: 'success', gasUsed: estimate > intrinsic ? estimate - intrinsic : 0n }
  } catch (error) {
    if (classifyError(error).code === 'DEPENDENCY_UNAVAILABLE') throw error
    const reason = isRevert(error) ? revertReason(error) : `rejected by the node: ${nodeMessage(error)}`
    return { ...base, status: 'reverted', revertReason: reason }
  }
}

/** A `bool` return as the forwarder reads it: at least one word, and not zero. */
function isTrue(data: Hex): boolean {
  return size(data) >= 32 && BigInt(data.slice(0, 66)) !== 0n
}
