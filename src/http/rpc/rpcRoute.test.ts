import { Hono } from 'hono'
import { pino } from 'pino'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { IntentGateError, UpstreamRpcError } from '../../errors/index.js'
import type { RequestContextVariables } from '../middleware/requestContext.js'
import { APPLICATION_ERROR_BASE, jsonRpcCodeOf } from './jsonRpc.js'
import { defineRpcMethod } from './rpcMethod.js'
import { MAX_RPC_BATCH, rpcRoute } from './rpcRoute.js'

const methods = [
  defineRpcMethod('echo', z.tuple([z.string()]), async ([text]) => text),
  defineRpcMethod('deny', z.tuple([]), async () => {
    throw new IntentGateError('POLICY_DENIED', 'Denied by policy', {
      reasons: [{ code: 'CALL_NOT_ALLOWED', message: 'call 0 to 0x… is not allowed' }],
      attestation: { logIndex: 7, envelope: {} },
    })
  }),
  defineRpcMethod('upstream', z.tuple([]), async () => {
    throw new UpstreamRpcError(-32507, 'BUNDLER_REJECTED', 'Bundler rejected the user operation', {
      details: 'AA24 signature error',
    })
  }),
  defineRpcMethod('broken', z.tuple([]), async () => {
    throw new Error('secret internals')
  }),
]

function app() {
  const logger = pino({ level: 'silent' })
  return new Hono<{ Variables: RequestContextVariables }>()
    .use(async (c, next) => {
      c.set('requestId', 'req-1')
      c.set('log', logger)
      await next()
    })
    .route('/', rpcRoute({ methods }))
}

/** A JSON-RPC answer, or (for batches) an array of them: the tests know which they sent. */
type Answer = {
  jsonrpc: '2.0'
  id: unknown
  result?: unknown
  error: { code: number; message: string; data?: { code: string; reasons: { message: string }[] } }
}

async function send(body: string) {
  return app().request('/rpc', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
}

async function post(body: string): Promise<{ status: number; body: Answer | undefined }> {
  const response = await send(body)
  return {
    status: response.status,
    body: response.status === 204 ? undefined : ((await response.json()) as Answer),
  }
}

async function postBatch(body: string): Promise<Answer[]> {
  return (await (await send(body)).json()) as Answer[]
}

/** A call; `id` null makes it a notification. */
const call = (method: string, params: unknown[] = [], id: number | null = 1) =>
  ({ jsonrpc: '2.0', method, params, ...(id === null ? {} : { id }) }) as const

describe('POST /rpc', () => {
  test('answers a call with its result', async () => {
    expect(await post(JSON.stringify(call('echo', ['hi'])))).toStrictEqual({
      status: 200,
      body: { jsonrpc: '2.0', id: 1, result: 'hi' },
    })
  })

  test('gives standard JSON-RPC errors for bad JSON, bad calls, unknown methods and bad params', async () => {
    expect((await post('{')).body?.error).toMatchObject({ code: -32700, data: { code: 'INVALID_REQUEST' } })
    expect((await post(JSON.stringify({ jsonrpc: '1.0', id: 3, method: 'echo' }))).body).toMatchObject({
      id: 3,
      error: { code: -32600 },
    })
    expect((await post(JSON.stringify(call('nope')))).body?.error.code).toBe(-32601)
    const badParams = (await post(JSON.stringify(call('echo', [42])))).body
    expect(badParams?.error).toMatchObject({ code: -32602, data: { code: 'INVALID_REQUEST' } })
    expect(badParams?.error.data?.reasons[0]?.message).toMatch(/^params\.0: /)
  })

  test('policy denials use the application range, with reason codes and the attestation in data', async () => {
    const { body } = await post(JSON.stringify(call('deny')))
    expect(body?.error).toStrictEqual({
      code: APPLICATION_ERROR_BASE - 403,
      message: 'Denied by policy',
      data: {
        code: 'POLICY_DENIED',
        reasons: [{ code: 'CALL_NOT_ALLOWED', message: 'call 0 to 0x… is not allowed' }],
        requestId: 'req-1',
        attestation: { logIndex: 7, envelope: {} },
      },
    })
    expect(jsonRpcCodeOf('LIMIT_EXCEEDED')).toBe(-33429)
  })

  test("keeps an upstream bundler's own code, and hides internal errors", async () => {
    expect((await post(JSON.stringify(call('upstream')))).body?.error).toMatchObject({
      code: -32507,
      message: 'Bundler rejected the user operation: AA24 signature error',
      data: { code: 'BUNDLER_REJECTED' },
    })
    const broken = (await post(JSON.stringify(call('broken')))).body?.error
    expect(broken).toMatchObject({
      code: -32603,
      message: 'Internal error',
      data: { code: 'INTERNAL_ERROR' },
    })
    expect(JSON.stringify(broken)).not.toContain('secret')
  })

  test('answers a batch in order, leaving out notifications', async () => {
    const body = await postBatch(
      JSON.stringify([call('echo', ['a'], 1), call('echo', ['b'], null), call('nope', [], 2), 5]),
    )
    expect(body).toStrictEqual([
      { jsonrpc: '2.0', id: 1, result: 'a' },
      {
        jsonrpc: '2.0',
        id: 2,
        error: {
          code: -32601,
          message: 'Method not found: nope',
          data: { code: 'NOT_FOUND', requestId: 'req-1' },
        },
      },
      {
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: expect.stringMatching(/^Invalid Request/),
          data: { code: 'INVALID_REQUEST', requestId: 'req-1' },
        },
      },
    ])
    expect(await post(JSON.stringify([call('echo', ['b'], null)]))).toStrictEqual({
      status: 204,
      body: undefined,
    })
  })

  test('refuses an empty or oversized batch', async () => {
    expect((await post('[]')).body?.error.code).toBe(-32600)
    const tooMany = Array.from({ length: MAX_RPC_BATCH + 1 }, (_, index) => call('echo', ['x'], index))
    expect((await post(JSON.stringify(tooMany))).body?.error.code).toBe(-32600)
  })
})
