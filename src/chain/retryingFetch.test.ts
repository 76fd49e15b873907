import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createRetryingFetch, isReadOnlyRpcBody, retryDelayMs, worstCaseMs } from './retryingFetch.js'

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, attemptTimeoutMs: 500 }
const call = (method: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] })

/** A fetch that answers from a script, one entry per attempt: a status, or an error to throw. */
function scripted(script: (number | Error)[]) {
  const seen: string[] = []
  const fetchFn = (async (_input: unknown, init?: RequestInit) => {
    seen.push(String(init?.body))
    const next = script.shift() ?? 200
    if (next instanceof Error) throw next
    return new Response(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x1' }), { status: next })
  }) as typeof fetch
  return { fetchFn, seen }
}

const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })

describe('retryDelayMs', () => {
  test('grows by doubling, never passes the cap, and is at least half of its step', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, random) => {
          const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
          const delay = retryDelayMs(retry, policy, random)
          expect(delay).toBeGreaterThanOrEqual(Math.floor(step / 2))
          expect(delay).toBeLessThanOrEqual(policy.maxDelayMs)
        },
      ),
    )
    expect([0, 1, 2, 3, 4].map((retry) => retryDelayMs(retry, policy, 0))).toStrictEqual([
      50, 100, 200, 400, 500,
    ])
  })
})

describe('isReadOnlyRpcBody', () => {
  test('reads, and batches of reads, are safe to send again; anything else is not', () => {
    expect(isReadOnlyRpcBody(call('eth_call'))).toBe(true)
    expect(
      isReadOnlyRpcBody(JSON.stringify([JSON.parse(call('eth_chainId')), JSON.parse(call('eth_getLogs'))])),
    ).toBe(true)
    expect(isReadOnlyRpcBody(call('eth_sendRawTransaction'))).toBe(false)
    expect(
      isReadOnlyRpcBody(
        JSON.stringify([JSON.parse(call('eth_call')), JSON.parse(call('eth_sendRawTransaction'))]),
      ),
    ).toBe(false)
    expect(isReadOnlyRpcBody('[]')).toBe(false)
    expect(isReadOnlyRpcBody('not json')).toBe(false)
    expect(isReadOnlyRpcBody(undefined)).toBe(false)
  })
})

describe('createRetryingFetch', () => {
  test('a read that gets 500 and a reset is answered on the third attempt, after growing delays', async () => {
    const { fetchFn, seen } = scripted([500, reset(), 200])
    const slept: number[] = []
    const retrying = createRetryingFetch(fetchFn, policy, {
      random: () => 0.5,
      sleep: async (ms) => void slept.push(ms),
    })
    const response = await retrying('http://node', { method: 'POST', body: call('eth_blockNumber') })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ result: '0x1' })
    expect(seen).toHaveLength(3)
    expect(slept).toStrictEqual([75, 150])
  })

  test('gives up after `attempts`: the last 5xx is answered, the last network error thrown', async () => {
    const failing = scripted([503, 503, 503, 503, 503])
    const answered = await createRetryingFetch(failing.fetchFn, policy, { sleep: async () => {} })(
      'http://node',
      {
        method: 'POST',
        body: call('eth_call'),
      },
    )
    expect(answered.status).toBe(503)
    expect(failing.seen).toHaveLength(4)
    const resetting = scripted([reset(), reset(), reset(), reset(), reset()])
    await expect(
      createRetryingFetch(resetting.fetchFn, policy, { sleep: async () => {} })('http://node', {
        method: 'POST',
        body: call('eth_call'),
      }),
    ).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(resetting.seen).toHaveLength(4)
  })

  test('a raw transaction is sent once, whatever happens to its answer', async () => {
    const { fetchFn, seen } = scripted([reset()])
    await expect(
      createRetryingFetch(fetchFn, policy, { sleep: async () => {} })('http://node', {
        method: 'POST',
        body: call('eth_sendRawTransaction'),
      }),
    ).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(seen).toHaveLength(1)
  })

  test('a 4xx is an answer, not a reason to retry; the worst case is bounded', async () => {
    const { fetchFn, seen } = scripted([400])
    const response = await createRetryingFetch(fetchFn, policy, { sleep: async () => {} })('http://node', {
      method: 'POST',
      body: call('eth_call'),
    })
    expect(response.status).toBe(400)
    expect(seen).toHaveLength(1)
    expect(worstCaseMs(policy)).toBe(4 * 500 + 3 * 1_000)
  })
})
