import { encodeErrorResult, type PublicClient, RawContractError } from 'viem'
import { describe, expect, test } from 'vitest'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import type { UserOperationV07 } from '../intents/userOperation.js'
import { simulateUserOperation } from './userOperationChain.js'

const entryPoint = '0x0000000071727De22E5E9d8BAf0edAc6f37da032'
const op: UserOperationV07 = {
  sender: '0x0000000000000000000000000000000000000001',
  nonce: 0n,
  callData: '0xb61d27f6',
  callGasLimit: 0n,
  verificationGasLimit: 0n,
  preVerificationGas: 0n,
  maxFeePerGas: 1n,
  maxPriorityFeePerGas: 1n,
  signature: '0x',
}

/** A node that has no eth_simulateV1, whose eth_call does what `call` does. */
function nodeWithoutSimulateV1(call: () => Promise<unknown>): PublicClient {
  const client = {
    simulateBlocks: async () => {
      throw new Error('the method eth_simulateV1 does not exist/is not available')
    },
    call,
  }
  return client as unknown as PublicClient
}

describe('simulateUserOperation on a node without eth_simulateV1', () => {
  test('falls back to eth_call for an account that exists', async () => {
    const client = nodeWithoutSimulateV1(async () => ({ data: '0x' }))
    expect(await simulateUserOperation(client, { userOp: op, entryPoint })).toStrictEqual({ ok: true })
  })

  test("names a revert of the fallback call by the target's error", async () => {
    const data = encodeErrorResult({ abi: communityPollAbi, errorName: 'InvalidOption', args: [99n] })
    const client = nodeWithoutSimulateV1(async () => {
      throw new RawContractError({ data })
    })
    expect(await simulateUserOperation(client, { userOp: op, entryPoint })).toStrictEqual({
      ok: false,
      reason: 'call reverted: InvalidOption(99)',
    })
  })

  test('refuses an op that deploys its account, which eth_call cannot simulate', async () => {
    const deploying = { ...op, factory: op.sender, factoryData: '0x01' as const }
    const result = await simulateUserOperation(
      nodeWithoutSimulateV1(async () => ({})),
      { userOp: deploying, entryPoint },
    )
    expect(result.ok).toBe(false)
    expect(result.ok ? '' : result.reason).toMatch(/^cannot simulate the account's deployment/)
  })

  test('a node that cannot be reached is thrown, not a verdict', async () => {
    const unreachable = {
      simulateBlocks: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
      },
    } as unknown as PublicClient
    await expect(simulateUserOperation(unreachable, { userOp: op, entryPoint })).rejects.toThrow(
      'ECONNREFUSED',
    )
  })
})
