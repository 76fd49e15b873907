import { afterEach, describe, expect, test, vi } from 'vitest'
import { createPeriodicTask } from './periodicTask.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('createPeriodicTask', () => {
  test('runs after each interval, goes on after a failed pass, and stops for good', async () => {
    vi.useFakeTimers()
    const warnings: unknown[] = []
    let passes = 0
    const task = createPeriodicTask({
      pass: async () => {
        passes++
        if (passes === 2) throw new Error('redis is down')
        return passes
      },
      intervalMs: 100,
      logger: { warn: (fields: unknown) => warnings.push(fields) },
      failure: 'the pass failed',
    })
    task.start()
    expect(passes).toBe(0)
    await vi.advanceTimersByTimeAsync(350)
    expect(passes).toBe(3)
    expect(warnings).toHaveLength(1)
    await task.stop()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(passes).toBe(3)
    expect(await task.runNow()).toBe(4)
  })
})
