/**
 * Backpressure between the jobs that broadcast new transactions and the receipt monitor that
 * settles them. A job takes a place before it allocates a nonce and gives it back once its
 * transaction is saved (or was never sent); it waits while the chain already has `limit`
 * transactions in flight (broadcast and not yet seen mined: the relay store's `due`; mined ones
 * waiting for their confirmations are out of the node's pool and are not counted).
 *
 * Without it a worker behind a backlog keeps every job slot broadcasting: in the bench it sent
 * 885 transactions in the time it settled 400, its in-flight set grew by about 130 a second, and
 * the monitor that settles them shared the one event loop with the broadcasting jobs. On a real
 * chain the same runaway hands a node's pool hundreds of transactions per key (geth keeps 16
 * executable ones per account for sure), and every one still unmined when it falls due is replaced.
 *
 * The limit holds for this process exactly (places taken and not yet saved count too); several
 * worker processes each admit up to their concurrency past it at most, as they read the same count.
 */
export type InFlightGate = {
  /** Waits for a place; call the returned function once the transaction is saved, or was not sent. */
  acquire(): Promise<() => void>
  /** Transactions left flight (the monitor settled some): waiting jobs look again now. */
  wake(): void
  /**
   * The worker is stopping: waiting jobs, and jobs that ask from now on, fail with `stopping()`
   * (to run again later) instead of waiting for a monitor that no longer settles anything.
   */
  close(): void
}

export function createInFlightGate(parameters: {
  limit: number
  /** Transactions of the chain in flight now, as every process sees them. */
  inFlight: () => Promise<number>
  /** How long a waiting job waits for a wake before it reads the count again (another process may settle). */
  recheckMs: number
  /** The error a job waiting at close fails with. */
  stopping: () => Error
  /** Runs when a place is free, before it is taken; what it throws fails the acquire and takes nothing. */
  admit?: () => void
}): InFlightGate {
  const { limit, recheckMs } = parameters
  let closed = false
  let taken = 0
  let reading: Promise<number> | undefined
  const sleepers = new Set<() => void>()
  // Jobs that ask at the same moment share one read of the count.
  const readCount = () => {
    reading ??= parameters.inFlight().finally(() => {
      reading = undefined
    })
    return reading
  }
  const nap = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        sleepers.delete(done)
        resolve()
      }
      const timer = setTimeout(done, recheckMs)
      sleepers.add(done)
    })
  return {
    async acquire() {
      for (;;) {
        if (closed) throw parameters.stopping()
        const count = await readCount()
        if (closed) throw parameters.stopping()
        if (count + taken < limit) {
          parameters.admit?.()
          taken++
          let given = false
          return () => {
            if (given) return
            given = true
            taken--
          }
        }
        await nap()
      }
    },
    wake() {
      for (const done of [...sleepers]) done()
    },
    close() {
      closed = true
      for (const done of [...sleepers]) done()
    },
  }
}
