import { describe, expect, test } from 'vitest'
import { createInFlightGate } from './inFlightGate.js'

const stopping = () => new Error('stopping')
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('createInFlightGate', () => {
  test('admits up to the limit, counting places taken and not yet given back, and shares one read', async () => {
    let reads = 0
    const gate = createInFlightGate({
      limit: 3,
      inFlight: async () => {
        reads++
        return 1
      },
      recheckMs: 60_000,
      stopping,
    })
    let admitted = 0
    const asks = Array.from({ length: 4 }, async () => {
      const release = await gate.acquire()
      admitted++
      return release
    })
    await tick()
    await tick()
    // One in flight already and two places taken: the fourth waits.
    expect(admitted).toBe(2)
    expect(reads).toBe(1)
    gate.wake()
    await tick()
    expect(admitted).toBe(2)
    const [first] = await Promise.all(asks.slice(0, 2))
    // Giving a place back frees it for this process, seen at the next look.
    first?.()
    first?.()
    gate.wake()
    await tick()
    await tick()
    expect(admitted).toBe(3)
  })

  test('a waiting job reads the count again after recheckMs without a wake (another process settled)', async () => {
    let inFlight = 2
    const gate = createInFlightGate({ limit: 2, inFlight: async () => inFlight, recheckMs: 20, stopping })
    let admitted = false
    const asked = gate.acquire().then(() => {
      admitted = true
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(admitted).toBe(false)
    inFlight = 1
    await asked
    expect(admitted).toBe(true)
  })

  test('a place whose admission check throws is not taken: the next job gets it', async () => {
    let chainChanged = true
    const gate = createInFlightGate({
      limit: 1,
      inFlight: async () => 0,
      recheckMs: 60_000,
      stopping,
      admit: () => {
        if (chainChanged) throw new Error('chain changed')
      },
    })
    await expect(gate.acquire()).rejects.toThrow('chain changed')
    chainChanged = false
    const release = await gate.acquire()
    release()
  })

  test('close fails the jobs waiting, and those that ask after, instead of leaving them to wait', async () => {
    const gate = createInFlightGate({ limit: 1, inFlight: async () => 1, recheckMs: 60_000, stopping })
    const waiting = gate.acquire()
    await tick()
    gate.close()
    await expect(waiting).rejects.toThrow('stopping')
    await expect(gate.acquire()).rejects.toThrow('stopping')
  })
})
