import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPublicClient, HttpRequestError, ResponseBodyTooLargeError, RpcRequestError } from 'viem'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { classifyError } from '../errors/index.js'
import { createOutboundConnector, OutboundAddressError } from '../net/guardedFetch.js'
import { jsonRpcTransport } from './jsonRpcTransport.js'

/** What the scripted node does with one request: answer, reset the connection, or never answer. */
type Reply = { status?: number; body: unknown; answer?: (calls: Call[]) => unknown } | 'reset' | 'hang'
/** One POST: its first call's method and id, every method in it, and whether it was a batch. */
type Seen = {
  method: string
  id: unknown
  methods: string[]
  batch: boolean
  authorization: string | undefined
  socket: number
}
type Call = { method: string; id: unknown; params: unknown[] }

let server: Server
let port: number
let script: Reply[] = []
let seen: Seen[] = []
let sockets = 0

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = ''
    request.on('data', (chunk) => {
      text += chunk
    })
    request.on('end', () => {
      const parsed = JSON.parse(text) as Call | Call[]
      const calls = Array.isArray(parsed) ? parsed : [parsed]
      const socket = (request.socket as unknown as { number: number }).number
      seen.push({
        method: calls[0]?.method ?? '',
        id: calls[0]?.id,
        methods: calls.map((call) => call.method),
        batch: Array.isArray(parsed),
        authorization: request.headers.authorization,
        socket,
      })
      const answer = (call: Call) => ({ jsonrpc: '2.0', id: call.id, result: '0x1' })
      const reply = script.shift() ?? { body: Array.isArray(parsed) ? parsed.map(answer) : answer(parsed) }
      if (reply === 'hang') return
      if (reply === 'reset') return void request.socket.destroy()
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json' })
      const body = reply.answer ? reply.answer(calls) : reply.body
      response.end(typeof body === 'string' ? body : JSON.stringify(body))
    })
  })
  server.on('connection', (socket) => {
    Object.assign(socket, { number: sockets++ })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => {
  server.closeAllConnections()
  return new Promise<void>((resolve) => server.close(() => resolve()))
})
beforeEach(() => {
  script = []
  seen = []
})

const retry = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, attemptTimeoutMs: 500 }

function clientFor(
  options: {
    url?: string
    attemptTimeoutMs?: number
    private?: 'allow' | 'deny'
    maxResponseBytes?: number
    batchMax?: number
  } = {},
) {
  const slept: number[] = []
  const retries: string[] = []
  const transport = jsonRpcTransport(options.url ?? `http://127.0.0.1:${port}/rpc`, {
    retry: { ...retry, attemptTimeoutMs: options.attemptTimeoutMs ?? retry.attemptTimeoutMs },
    outbound: createOutboundConnector({ private: options.private ?? 'allow' }),
    onRetry: (reason) => retries.push(reason),
    random: () => 0.5,
    sleep: async (ms) => void slept.push(ms),
    ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
    ...(options.batchMax ? { batchMax: options.batchMax } : {}),
  })
  return { client: createPublicClient({ transport }), slept, retries }
}

const rpcError = (code: number, message: string, data?: string) => ({
  body: { jsonrpc: '2.0', id: 1, error: { code, message, ...(data ? { data } : {}) } },
})

describe('jsonRpcTransport', () => {
  test('answers a call with its result, over one kept-alive connection', async () => {
    const { client } = clientFor()
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(1n)
    expect(await client.getChainId()).toBe(1)
    expect(seen.map((call) => call.method)).toStrictEqual(['eth_blockNumber', 'eth_chainId'])
    expect(new Set(seen.map((call) => call.socket)).size).toBe(1)
    expect(seen[0]?.id).not.toBe(seen[1]?.id)
  })

  test('a read that gets 500 and a reset is answered on the third attempt, after growing delays', async () => {
    script = [{ status: 500, body: 'busy' }, 'reset']
    const { client, slept, retries } = clientFor()
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(1n)
    expect(seen).toHaveLength(3)
    expect(slept).toStrictEqual([75, 150])
    expect(retries).toStrictEqual(['http 500', 'ECONNRESET'])
  })

  test('gives up after `attempts`: a 503 or a reset every time is a dependency failure', async () => {
    script = Array.from({ length: 4 }, () => ({ status: 503, body: 'unavailable' }))
    const { client } = clientFor()
    const unavailable = await client.getBlockNumber({ cacheTime: 0 }).catch((error: unknown) => error)
    expect(unavailable).toBeInstanceOf(HttpRequestError)
    expect(unavailable).toMatchObject({ status: 503 })
    expect(classifyError(unavailable).code).toBe('DEPENDENCY_UNAVAILABLE')
    expect(seen).toHaveLength(4)

    script = ['reset', 'reset', 'reset', 'reset']
    seen = []
    const reset = await client.getBlockNumber({ cacheTime: 0 }).catch((error: unknown) => error)
    expect(classifyError(reset).code).toBe('DEPENDENCY_UNAVAILABLE')
    expect(seen).toHaveLength(4)
  })

  test('an attempt that gets no answer times out and is retried; all timing out is a dependency failure', async () => {
    script = ['hang']
    const { client, retries } = clientFor({ attemptTimeoutMs: 100 })
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(1n)
    expect(retries).toStrictEqual(['timeout'])

    script = ['hang', 'hang', 'hang', 'hang']
    const error = await client.getBlockNumber({ cacheTime: 0 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(HttpRequestError)
    expect(classifyError(error).code).toBe('DEPENDENCY_UNAVAILABLE')
  })

  test('a raw transaction is sent once, whatever happens to its answer', async () => {
    script = ['reset']
    const { client } = clientFor()
    const error = await client
      .request({ method: 'eth_sendRawTransaction', params: ['0x02'] })
      .catch((caught: unknown) => caught)
    expect(classifyError(error).code).toBe('DEPENDENCY_UNAVAILABLE')
    expect(seen).toHaveLength(1)
  })

  test("the node's JSON-RPC errors are RpcRequestErrors, never retried, whatever the HTTP status", async () => {
    const { client } = clientFor()
    script = [rpcError(3, 'execution reverted', '0x08c379a0')]
    const reverted = await client
      .request({ method: 'eth_call', params: [{ to: '0x0000000000000000000000000000000000000001' }] })
      .catch((error: unknown) => error)
    expect(reverted).toMatchObject({ code: 3 })
    expect((reverted as Error).message).toMatch(/execution reverted/)
    expect(classifyError(reverted).code).toBe('INTERNAL_ERROR')

    script = [{ status: 400, ...rpcError(-32602, 'invalid params') }]
    const invalid = await client
      .request({ method: 'eth_call', params: [{ to: '0x0000000000000000000000000000000000000001' }] })
      .catch((error: unknown) => error)
    expect(
      (invalid as Error & { walk(fn: (cause: unknown) => boolean): unknown }).walk(
        (cause) => cause instanceof RpcRequestError,
      ),
    ).toMatchObject({ status: 400, code: -32602 })
    expect(seen).toHaveLength(2)
  })

  test('a 4xx without a JSON-RPC error, or an answer that is not JSON, is an HTTP failure, not retried', async () => {
    const { client } = clientFor()
    script = [{ status: 404, body: 'not here' }]
    await expect(client.getBlockNumber({ cacheTime: 0 })).rejects.toMatchObject({ status: 404 })
    script = [{ status: 200, body: 'not json' }]
    const error = await client.getBlockNumber({ cacheTime: 0 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(HttpRequestError)
    expect(seen).toHaveLength(2)
  })

  test('an answer larger than the cap fails the call', async () => {
    script = [{ body: { jsonrpc: '2.0', id: 1, result: `0x${'1'.repeat(4_096)}` } }]
    const { client } = clientFor({ maxResponseBytes: 1_024 })
    const error = await client.getBlockNumber({ cacheTime: 0 }).catch((caught: unknown) => caught)
    expect(
      (error as Error & { walk(fn: (cause: unknown) => boolean): unknown }).walk(
        (cause) => cause instanceof ResponseBodyTooLargeError,
      ),
    ).toBeInstanceOf(ResponseBodyTooLargeError)
  })

  test('credentials in the URL are sent as Basic authentication and never shown in errors', async () => {
    const { client } = clientFor({ url: `http://user:s%40cret@127.0.0.1:${port}/rpc` })
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(1n)
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('user:s@cret').toString('base64')}`)
    script = [{ status: 404, body: 'not here' }]
    const error = await client.getBlockNumber({ cacheTime: 0 }).catch((caught: unknown) => caught)
    expect(String((error as Error).message)).not.toMatch(/cret/)
  })

  test('connects only where the outbound policy allows, checked at connect time', async () => {
    const before = sockets
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`]) {
      const { client } = clientFor({ url, private: 'deny' })
      const error = await client.getBlockNumber({ cacheTime: 0 }).catch((caught: unknown) => caught)
      expect(classifyError(error).code).toBe('DEPENDENCY_UNAVAILABLE')
      expect(
        (error as Error & { walk(fn: (cause: unknown) => boolean): unknown }).walk(
          (cause) => cause instanceof OutboundAddressError,
        ),
      ).toBeInstanceOf(OutboundAddressError)
    }
    const { client } = clientFor({ url: 'http://169.254.169.254/' })
    await expect(client.getBlockNumber({ cacheTime: 0 })).rejects.toThrow(/metadata/)
    expect(sockets).toBe(before)
    expect(seen).toHaveLength(0)
  })

  test('reads issued together go out as one batch, each answered with its own result or error', async () => {
    const { client } = clientFor({ batchMax: 100 })
    // Answered out of order: each answer is matched to its call by id.
    script = [
      {
        body: undefined,
        answer: (calls) => [
          { jsonrpc: '2.0', id: calls[2]?.id, result: '0x3' },
          { jsonrpc: '2.0', id: calls[1]?.id, error: { code: 3, message: 'execution reverted' } },
          { jsonrpc: '2.0', id: calls[0]?.id, result: '0x1' },
        ],
      },
    ]
    const [first, second, third] = await Promise.allSettled([
      client.request({ method: 'eth_blockNumber' }),
      client.request({ method: 'eth_call', params: [{ to: '0x0000000000000000000000000000000000000001' }] }),
      client.request({ method: 'eth_chainId' }),
    ])
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ batch: true, methods: ['eth_blockNumber', 'eth_call', 'eth_chainId'] })
    expect(first).toStrictEqual({ status: 'fulfilled', value: '0x1' })
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 3 } })
    expect(third).toStrictEqual({ status: 'fulfilled', value: '0x3' })
  })

  test('a write goes alone even among reads; batches hold at most batchMax calls', async () => {
    const { client } = clientFor({ batchMax: 2 })
    await Promise.all([
      client.request({ method: 'eth_blockNumber' }),
      client.request({ method: 'eth_sendRawTransaction', params: ['0x02'] }),
      client.request({ method: 'eth_chainId' }),
      client.request({ method: 'eth_gasPrice' }),
      client.request({ method: 'eth_blockNumber' }),
      client.request({ method: 'eth_chainId' }),
    ])
    const posts = seen.map((post) => post.methods.join('+')).sort()
    expect(posts).toStrictEqual([
      'eth_blockNumber+eth_chainId',
      'eth_chainId',
      'eth_gasPrice+eth_blockNumber',
      'eth_sendRawTransaction',
    ])
    expect(seen.find((post) => post.method === 'eth_sendRawTransaction')?.batch).toBe(false)
  })

  test('a batch that gets 500 is sent again whole; one lost answer fails only its own call', async () => {
    const { client, retries } = clientFor({ batchMax: 100 })
    script = [{ status: 500, body: 'busy' }]
    const answered = await Promise.all([
      client.request({ method: 'eth_blockNumber' }),
      client.request({ method: 'eth_chainId' }),
    ])
    expect(answered).toStrictEqual(['0x1', '0x1'])
    expect(seen.map((post) => post.batch)).toStrictEqual([true, true])
    expect(seen[0]?.id).toBe(seen[1]?.id)
    expect(retries).toStrictEqual(['http 500'])

    script = [{ body: [{ jsonrpc: '2.0', id: 'someone else', result: '0x9' }] }]
    const [lost] = await Promise.allSettled([
      client.request({ method: 'eth_blockNumber' }),
      client.request({ method: 'eth_chainId' }),
    ])
    expect(lost.status).toBe('rejected')
    expect(classifyError((lost as PromiseRejectedResult).reason).code).toBe('DEPENDENCY_UNAVAILABLE')
  })

  test('a node that does not take batches gets each read alone, from then on', async () => {
    const { client } = clientFor({ batchMax: 100 })
    script = [rpcError(-32600, 'batch requests are not supported')]
    expect(
      await Promise.all([
        client.request({ method: 'eth_blockNumber' }),
        client.request({ method: 'eth_chainId' }),
      ]),
    ).toStrictEqual(['0x1', '0x1'])
    expect(
      await Promise.all([
        client.request({ method: 'eth_blockNumber' }),
        client.request({ method: 'eth_chainId' }),
      ]),
    ).toStrictEqual(['0x1', '0x1'])
    expect(seen.map((post) => post.batch)).toStrictEqual([true, false, false, false, false])
  })
})
