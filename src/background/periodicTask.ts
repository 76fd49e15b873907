import type { Logger } from '../observability/logger.js'

export type PeriodicTask<T> = {
  start(): void
  /** Stops the loop and waits for a pass under way. */
  stop(): Promise<void>
  /** One pass now, outside the loop: for tests and for callers that want the work done at once. */
  runNow(): Promise<T>
}

/**
 * Runs `pass` every `intervalMs` after the previous pass ended, until stopped. A failed pass is
 * logged with `failure` and the loop goes on, so a dependency that is down is retried rather than
 * ending the work.
 */
export function createPeriodicTask<T>(parameters: {
  pass: () => Promise<T>
  intervalMs: number
  logger: Pick<Logger, 'warn'>
  failure: string
}): PeriodicTask<T> {
  const { pass, intervalMs, logger, failure } = parameters
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = false
  const guarded = async () => {
    try {
      await pass()
    } catch (error) {
      logger.warn({ err: error }, failure)
    }
  }
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      running = guarded().finally(schedule)
    }, intervalMs)
  }
  return {
    start() {
      stopped = false
      schedule()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
    runNow: pass,
  }
}
