/**
 * Group commit: callers submit items one by one, and a single writer commits whatever has queued
 * up as one batch. While one batch is being made durable the next one gathers, so under load one
 * fsync covers many callers, and with no load a lone item waits for nothing but its own fsync.
 */
export type GroupCommitter<Item, Result> = {
  /** Queues `item`; resolves with its result once the batch holding it is committed. */
  submit(item: Item): Promise<Result>
  /** Resolves when every item submitted so far has been committed or has failed. */
  drain(): Promise<void>
}

export type GroupCommitOptions<Item> = {
  /** Upper bound on one batch, so one write stays a sensible size; a single larger item still goes alone. */
  maxBatchBytes: number
  sizeOf: (item: Item) => number
}

type Waiting<Item, Result> = {
  item: Item
  resolve: (result: Result) => void
  reject: (error: unknown) => void
}

/**
 * Creates a committer around `commit`, which must return one result per item, in order. If
 * `commit` throws, every caller in that batch gets the error; later batches still run, and it is
 * up to `commit` to refuse them when a failure leaves it unable to go on.
 */
export function createGroupCommitter<Item, Result>(
  commit: (items: Item[]) => Promise<Result[]>,
  options: GroupCommitOptions<Item>,
): GroupCommitter<Item, Result> {
  let queue: Waiting<Item, Result>[] = []
  let running: Promise<void> | undefined

  async function run(): Promise<void> {
    // Let the current turn finish first, so appends issued together start as one batch.
    await new Promise<void>((resolve) => setImmediate(resolve))
    while (queue.length > 0) {
      const batch = takeBatch()
      try {
        const results = await commit(batch.map((waiting) => waiting.item))
        for (const [i, waiting] of batch.entries()) waiting.resolve(results[i] as Result)
      } catch (error) {
        for (const waiting of batch) waiting.reject(error)
      }
    }
  }

  function takeBatch(): Waiting<Item, Result>[] {
    let bytes = 0
    let count = 0
    for (const waiting of queue) {
      const size = options.sizeOf(waiting.item)
      if (count > 0 && bytes + size > options.maxBatchBytes) break
      bytes += size
      count += 1
    }
    const batch = queue.slice(0, count)
    queue = queue.slice(count)
    return batch
  }

  function start(): void {
    if (running) return
    running = run().finally(() => {
      running = undefined
      // An item may have arrived between the last check and now.
      if (queue.length > 0) start()
    })
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        start()
      })
    },
    async drain() {
      while (running) await running
    },
  }
}
