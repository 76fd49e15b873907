import { describe, expect, test } from 'vitest'
import { type RelayNode, readFeeEstimate } from './broadcast.js'

/** A node whose fee answers wait until released, counting the calls it gets. */
function slowNode() {
  const calls = { getBlock: 0, priorityFee: 0 }
  let release: () => void = () => undefined
  let gate = new Promise<void>((resolve) => {
    release = resolve
  })
  let baseFee = 7n
  let fail = false
  const node = {
    async getBlock() {
      calls.getBlock++
      await gate
      if (fail) throw new Error('node unreachable')
      return { baseFeePerGas: baseFee }
    },
    async estimateMaxPriorityFeePerGas() {
      calls.priorityFee++
      await gate
      return 2n
    },
  } as unknown as RelayNode
  return {
    node,
    calls,
    release: () => release(),
    reset(next: { baseFee: bigint; fail?: boolean }) {
      baseFee = next.baseFee
      fail = next.fail ?? false
      gate = new Promise<void>((resolve) => {
        release = resolve
      })
    },
  }
}

describe('readFeeEstimate', () => {
  test('jobs asking while a read is under way share it; a later ask reads again', async () => {
    const fake = slowNode()
    const asks = [readFeeEstimate(fake.node), readFeeEstimate(fake.node), readFeeEstimate(fake.node)]
    fake.release()
    expect(await Promise.all(asks)).toStrictEqual(
      Array.from({ length: 3 }, () => ({ baseFeePerGas: 7n, priorityFeePerGas: 2n })),
    )
    expect(fake.calls).toStrictEqual({ getBlock: 1, priorityFee: 1 })

    fake.reset({ baseFee: 9n })
    const later = readFeeEstimate(fake.node)
    fake.release()
    expect(await later).toStrictEqual({ baseFeePerGas: 9n, priorityFeePerGas: 2n })
    expect(fake.calls).toStrictEqual({ getBlock: 2, priorityFee: 2 })
  })

  test('a failed read fails every job that shared it and is not kept', async () => {
    const fake = slowNode()
    fake.reset({ baseFee: 7n, fail: true })
    const asks = [readFeeEstimate(fake.node), readFeeEstimate(fake.node)]
    fake.release()
    for (const ask of asks) await expect(ask).rejects.toThrow('node unreachable')
    fake.reset({ baseFee: 8n })
    const retry = readFeeEstimate(fake.node)
    fake.release()
    expect(await retry).toStrictEqual({ baseFeePerGas: 8n, priorityFeePerGas: 2n })
  })

  test('each node has reads of its own', async () => {
    const [first, second] = [slowNode(), slowNode()]
    const asks = [readFeeEstimate(first.node), readFeeEstimate(second.node)]
    first.release()
    second.release()
    await Promise.all(asks)
    expect([first.calls.getBlock, second.calls.getBlock]).toStrictEqual([1, 1])
  })
})
