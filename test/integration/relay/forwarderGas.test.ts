import {
  type Address,
  createPublicClient,
  encodeFunctionData,
  type Hash,
  http,
  type PublicClient,
  parseEventLogs,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type ChainAddresses, loadChainAddresses } from '../../../src/chain/addresses.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { intentForwarderAbi } from '../../../src/chain/artifacts/IntentForwarder.js'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import type { ForwardRequestData } from '../../../src/intents/forwardRequest.js'
import { encodeForwarderExecute, forwarderExecuteGasLimit } from '../../../src/relay/forwarderGas.js'
import type { Signer } from '../../../src/relay/signer.js'
import { fixtureAddressesPath, fixtureStatePath } from '../../support/paths.js'
import { relayerSigner } from './relayerSigner.js'

let anvil: AnvilInstance
let client: PublicClient
let addresses: ChainAddresses
let relayer: Signer
let chainId: number

beforeAll(async () => {
  ;[anvil, addresses] = await Promise.all([
    startAnvil({ stateFile: fixtureStatePath }),
    loadChainAddresses(fixtureAddressesPath),
  ])
  client = createPublicClient({ transport: http(anvil.url) })
  chainId = await client.getChainId()
  relayer = relayerSigner(5)
})
afterAll(() => anvil?.stop())

/** A fresh user signs a vote in the poll, as a micro app would; request.gas is the user's choice. */
async function signedVote(gas: bigint): Promise<ForwardRequestData> {
  const user = privateKeyToAccount(generatePrivateKey())
  const request = {
    from: user.address,
    to: addresses.targets.communityPoll,
    value: 0n,
    gas,
    deadline: Math.floor(Date.now() / 1000) + 600,
    data: encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] }),
  }
  const nonce = await client.readContract({
    address: addresses.forwarder,
    abi: intentForwarderAbi,
    functionName: 'nonces',
    args: [user.address],
  })
  const signature = await user.signTypedData({
    domain: { name: 'IntentGateForwarder', version: '1', chainId, verifyingContract: addresses.forwarder },
    types: {
      ForwardRequest: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'gas', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint48' },
        { name: 'data', type: 'bytes' },
      ],
    },
    primaryType: 'ForwardRequest',
    message: { ...request, nonce },
  })
  return { ...request, signature }
}

async function relay(request: ForwardRequestData, gas: bigint): Promise<Hash> {
  const nonce = await client.getTransactionCount({ address: relayer.address, blockTag: 'pending' })
  const serializedTransaction = await relayer.signTransaction({
    type: 'eip1559',
    chainId,
    nonce,
    to: addresses.forwarder,
    value: request.value,
    data: encodeForwarderExecute(request),
    gas,
    maxFeePerGas: 10_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  })
  return client.sendRawTransaction({ serializedTransaction })
}

type CallFrame = { type: string; gas: string; error?: string; calls?: CallFrame[] }

/** Gas the target was given by the forwarder's CALL, from the node's call tracer. */
async function gasReceivedByTarget(hash: Hash): Promise<bigint | undefined> {
  const frame = (await client.request({
    method: 'debug_traceTransaction' as 'eth_chainId',
    params: [hash, { tracer: 'callTracer' }] as never,
  })) as unknown as CallFrame
  // The STATICCALL before it is the forwarder asking isTrustedForwarder.
  const call = frame.calls?.find((inner) => inner.type === 'CALL')
  return call ? BigInt(call.gas) : undefined
}

async function voted(address: Address): Promise<boolean> {
  return client.readContract({
    address: addresses.targets.communityPoll,
    abi: communityPollAbi,
    functionName: 'hasVoted',
    args: [address],
  })
}

describe('forwarderExecuteGasLimit on the fixture forwarder', () => {
  test.each([80_000n, 300_000n, 2_000_000n])(
    'request.gas %s: the target receives all of it and the call succeeds',
    async (requestGas) => {
      const request = await signedVote(requestGas)
      const limit = forwarderExecuteGasLimit(request)
      const receipt = await client.waitForTransactionReceipt({ hash: await relay(request, limit) })
      expect(receipt.status).toBe('success')
      const [executed] = parseEventLogs({
        abi: intentForwarderAbi,
        eventName: 'ExecutedForwardRequest',
        logs: receipt.logs,
      })
      expect(executed?.args.success).toBe(true)
      expect(await voted(request.from)).toBe(true)
      expect(await gasReceivedByTarget(receipt.transactionHash)).toBe(requestGas)
      // Margin, not waste: what is left unused is about what the target did not spend of request.gas.
      expect(limit - receipt.gasUsed).toBeLessThan(requestGas + 40_000n)
    },
  )

  test('the computed limit is at most a small margin above the least that forwards all of request.gas', async () => {
    const request = await signedVote(300_000n)
    const limit = forwarderExecuteGasLimit(request)
    const data = encodeForwarderExecute(request)
    const forwardsAll = async (gas: bigint) => {
      const frame = (await client.request({
        method: 'debug_traceCall' as 'eth_chainId',
        params: [
          { from: relayer.address, to: addresses.forwarder, data, gas: `0x${gas.toString(16)}` },
          'latest',
          { tracer: 'callTracer' },
        ] as never,
      })) as unknown as CallFrame
      const call = frame.calls?.find((inner) => inner.type === 'CALL')
      return call !== undefined && BigInt(call.gas) === request.gas
    }
    expect(await forwardsAll(limit)).toBe(true)
    let low = 21_000n
    let high = limit
    while (high - low > 1n) {
      const middle = (low + high) / 2n
      if (await forwardsAll(middle)) high = middle
      else low = middle
    }
    expect(limit - high).toBeLessThan(40_000n)
  })

  test('a relayer that starves the call is refused by the forwarder (invalid), and the user nonce stays unused', async () => {
    const requestGas = 2_000_000n
    const request = await signedVote(requestGas)
    // The least gas that does not fail: enough for the vote, nowhere near enough to forward request.gas.
    const estimate = await client.estimateGas({
      account: relayer.address,
      to: addresses.forwarder,
      data: encodeForwarderExecute(request),
    })
    const starved = estimate - 1_000n
    const receipt = await client.waitForTransactionReceipt({ hash: await relay(request, starved) })
    expect(receipt.status).toBe('reverted')
    // invalid() burns everything that was left.
    expect(receipt.gasUsed).toBe(starved)
    expect(await gasReceivedByTarget(receipt.transactionHash)).toBeLessThan(requestGas)
    expect(await voted(request.from)).toBe(false)

    // The same signed request still goes through with the computed limit.
    const limit = forwarderExecuteGasLimit(request)
    expect(limit).toBeGreaterThan(estimate)
    const retry = await client.waitForTransactionReceipt({ hash: await relay(request, limit) })
    expect(retry.status).toBe('success')
    expect(await voted(request.from)).toBe(true)
  })

  test('the computed limit is never below what the node estimates', async () => {
    const request = await signedVote(500_000n)
    const estimate = await client.estimateGas({
      account: relayer.address,
      to: addresses.forwarder,
      data: encodeForwarderExecute(request),
    })
    expect(forwarderExecuteGasLimit(request)).toBeGreaterThanOrEqual(estimate)
  })
})
