import { describe, expect, test } from 'vitest'
import { createGroupCommitter } from './groupCommit.js'

function recordingCommitter(options: { maxBatchBytes?: number; failOn?: string } = {}) {
  const batches: string[][] = []
  const committer = createGroupCommitter<string, string>(
    async (items) => {
      batches.push(items)
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (options.failOn && items.includes(options.failOn)) throw new Error(`disk full at ${options.failOn}`)
      return items.map((item) => item.toUpperCase())
    },
    { maxBatchBytes: options.maxBatchBytes ?? 1000, sizeOf: (item) => item.length },
  )
  return { batches, committer }
}

describe('createGroupCommitter', () => {
  test('items submitted together form one batch, and each caller gets its own result', async () => {
    const { batches, committer } = recordingCommitter()
    const results = await Promise.all(['a', 'b', 'c'].map((item) => committer.submit(item)))
    expect(results).toStrictEqual(['A', 'B', 'C'])
    expect(batches).toStrictEqual([['a', 'b', 'c']])
  })

  test('items arriving during a commit wait and go together in the next one', async () => {
    const { batches, committer } = recordingCommitter()
    const first = committer.submit('a')
    await new Promise((resolve) => setTimeout(resolve, 1))
    const later = ['b', 'c', 'd'].map((item) => committer.submit(item))
    await Promise.all([first, ...later])
    expect(batches).toStrictEqual([['a'], ['b', 'c', 'd']])
  })

  test('a batch stops at the byte limit, but an item larger than it still goes alone', async () => {
    const { batches, committer } = recordingCommitter({ maxBatchBytes: 4 })
    await Promise.all(['aa', 'bb', 'cc', 'dddddd', 'e'].map((item) => committer.submit(item)))
    expect(batches).toStrictEqual([['aa', 'bb'], ['cc'], ['dddddd'], ['e']])
  })

  test('a failed commit rejects every caller of that batch and only them', async () => {
    const { batches, committer } = recordingCommitter({ failOn: 'b' })
    const failed = Promise.allSettled(['a', 'b'].map((item) => committer.submit(item)))
    await new Promise((resolve) => setTimeout(resolve, 1))
    const next = committer.submit('c')
    const settled = await failed
    expect(settled.map((result) => result.status)).toStrictEqual(['rejected', 'rejected'])
    expect((settled[0] as PromiseRejectedResult).reason).toStrictEqual(new Error('disk full at b'))
    expect(await next).toBe('C')
    expect(batches).toStrictEqual([['a', 'b'], ['c']])
  })

  test('drain waits for everything submitted', async () => {
    const { batches, committer } = recordingCommitter()
    void committer.submit('a')
    void committer.submit('b')
    await committer.drain()
    expect(batches).toStrictEqual([['a', 'b']])
    await committer.drain()
  })
})
