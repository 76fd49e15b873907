import { createPublicClient, custom, encodeFunctionData, http, type PublicClient } from 'viem'
import { beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { simulateForwardedCall } from '../../../src/chain/simulateForwardedCall.js'
import { classifyError } from '../../../src/errors/index.js'
import { anvilUrl, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'

let addresses: Awaited<ReturnType<typeof fixtureAddresses>>
beforeAll(async () => {
  addresses = await fixtureAddresses()
})

/**
 * The run's real Anvil behind a transport that answers eth_simulateV1 the way a node without it
 * does (JSON-RPC -32601), so the fallback runs against real chain state for everything else.
 */
function nodeWithoutSimulateV1(): PublicClient {
  let id = 0
  return createPublicClient({
    transport: custom({
      async request({ method, params }: { method: string; params?: unknown }) {
        if (method === 'eth_simulateV1') throw { code: -32601, message: 'Method not found' }
        const response = await fetch(anvilUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        })
        const answer = (await response.json()) as { result?: unknown; error?: unknown }
        if (answer.error) throw answer.error
        return answer.result
      },
    }),
  })
}

const anvil = () => createPublicClient({ transport: http(anvilUrl) })
const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })
const request = (to: `0x${string}`, data: `0x${string}`, gas = 200_000n) => ({
  from: freshUser().address,
  to,
  value: 0n,
  gas,
  deadline: Math.floor(Date.now() / 1000) + 600,
  data,
})

describe('simulateForwardedCall', () => {
  test('with eth_simulateV1: success, the execution gas and the logs', async () => {
    const result = await simulateForwardedCall(
      { client: anvil(), addresses },
      request(addresses.targets.communityPoll, vote(1n)),
    )
    expect(result).toMatchObject({ source: 'eth_simulateV1', status: 'success' })
    expect(result.logs).toHaveLength(1)
    expect(Number(result.gasUsed)).toBeGreaterThan(20_000)
  })

  test('the call gets exactly request.gas, as from the forwarder: too little runs out', async () => {
    const result = await simulateForwardedCall(
      { client: anvil(), addresses },
      request(addresses.targets.communityPoll, vote(1n), 10_000n),
    )
    expect(result).toMatchObject({
      source: 'eth_simulateV1',
      status: 'reverted',
      revertReason: 'ran out of gas: 10000 is not enough',
      logs: [],
    })
  })

  test('a node without eth_simulateV1: eth_call and eth_estimateGas, saying why, without logs', async () => {
    const chain = { client: nodeWithoutSimulateV1(), addresses }
    const ok = await simulateForwardedCall(chain, request(addresses.targets.communityPoll, vote(1n)))
    expect(ok).toMatchObject({ source: 'eth_call', status: 'success' })
    expect(ok.fallbackReason).toBe('The method "eth_simulateV1" does not exist / is not available.')
    expect(ok).not.toHaveProperty('logs')
    // eth_estimateGas answers what the call needs, at least what it uses.
    const simulated = await simulateForwardedCall(
      { client: anvil(), addresses },
      request(addresses.targets.communityPoll, vote(1n)),
    )
    expect(ok.gasUsed).toBeGreaterThanOrEqual(simulated.gasUsed ?? 0n)

    const reverted = await simulateForwardedCall(chain, request(addresses.targets.communityPoll, vote(99n)))
    expect(reverted).toMatchObject({
      source: 'eth_call',
      status: 'reverted',
      revertReason: 'InvalidOption(99)',
    })
  })

  test('a target that does not trust the forwarder is refused as the forwarder would, on both paths', async () => {
    const stranger = freshUser().address
    for (const client of [anvil(), nodeWithoutSimulateV1()]) {
      const result = await simulateForwardedCall({ client, addresses }, request(stranger, vote(1n)))
      expect(result).toMatchObject({
        status: 'reverted',
        revertReason: `ERC2771UntrustfulTarget(${stranger}, ${addresses.forwarder})`,
      })
    }
  })

  test('a node that cannot be reached is an error to fail closed on, never a verdict', async () => {
    const down = createPublicClient({ transport: http('http://127.0.0.1:1', { retryCount: 0 }) })
    const error = await simulateForwardedCall(
      { client: down, addresses },
      request(addresses.targets.communityPoll, vote(1n)),
    ).catch((thrown: unknown) => thrown)
    expect(classifyError(error).code).toBe('DEPENDENCY_UNAVAILABLE')
  })
})
