import { describe, expect, test } from 'vitest'
import { createIntentGateClient } from './createIntentGateClient.js'
import {
  ClientConfigError,
  GatewayResponseError,
  IntentGateClientError,
  IntentGateNetworkError,
  InvalidGatewayResponseError,
} from './errors.js'

const token = 'eyJhbGciOiJFZERTQSJ9.secret-claims.secret-signature'
const requestId = `0x${'ab'.repeat(32)}` as const
const attestation = {
  logIndex: 7,
  envelope: { payloadType: 'application/vnd.in-toto+json', payload: 'e30=', signatures: [{ sig: 'c2ln' }] },
}

type Seen = { url: string; method: string; headers: Headers }

/** A client whose transport answers every call with `answer()`, recording what was asked. */
function clientAnswering(answer: () => Response | Promise<Response>, url = 'https://gateway.example') {
  const seen: Seen[] = []
  const client = createIntentGateClient({
    url,
    token,
    fetch: async (input, init) => {
      seen.push({ url: String(input), method: init?.method ?? 'GET', headers: new Headers(init?.headers) })
      return answer()
    },
  })
  return { client, seen }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

async function rejection(promise: Promise<unknown>): Promise<IntentGateClientError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  if (!(error instanceof IntentGateClientError))
    throw new Error(`expected a client error, got ${String(error)}`)
  return error
}

describe('answers mapped to typed errors', () => {
  test('a policy refusal keeps code, status, reasons, request id and attestation', async () => {
    const { client } = clientAnswering(() =>
      json(403, {
        error: {
          code: 'POLICY_DENIED',
          message: 'Denied by policy',
          reasons: [{ code: 'SELECTOR_NOT_ALLOWED', message: 'mint is not allowed on 0x…' }],
          requestId: 'req-1',
          attestation,
        },
      }),
    )
    const error = await rejection(client.getRequest(requestId))
    expect(error).toBeInstanceOf(GatewayResponseError)
    expect({
      code: error.code,
      status: error.status,
      shortMessage: error.shortMessage,
      reasons: error.reasons,
      requestId: error.requestId,
      attestation: error.attestation,
    }).toStrictEqual({
      code: 'POLICY_DENIED',
      status: 403,
      shortMessage: 'Denied by policy',
      reasons: [{ code: 'SELECTOR_NOT_ALLOWED', message: 'mint is not allowed on 0x…' }],
      requestId: 'req-1',
      attestation,
    })
    expect(error.message).toMatchInlineSnapshot(`
      "Denied by policy

      Reasons:
        SELECTOR_NOT_ALLOWED: mint is not allowed on 0x…
      Code: POLICY_DENIED (HTTP 403)
      Request id: req-1"
    `)
  })

  test('an expired token is TOKEN_EXPIRED, with the request id from the header when the body has none', async () => {
    const { client } = clientAnswering(() =>
      json(401, { error: { code: 'TOKEN_EXPIRED', message: 'Token expired' } }, { 'x-request-id': 'req-2' }),
    )
    const error = await rejection(client.getSession())
    expect(error).toMatchObject({ code: 'TOKEN_EXPIRED', status: 401, requestId: 'req-2', reasons: [] })
    expect(error.attestation).toBeUndefined()
  })

  test('a code this build does not know is passed through as is', async () => {
    const { client } = clientAnswering(() =>
      json(409, { error: { code: 'SOMETHING_NEWER', message: 'Newer' } }),
    )
    expect(await rejection(client.getSession())).toMatchObject({ code: 'SOMETHING_NEWER', status: 409 })
  })

  test('malformed reasons and attestations are dropped rather than trusted', async () => {
    const { client } = clientAnswering(() =>
      json(429, {
        error: {
          code: 'LIMIT_EXCEEDED',
          message: 'Limit reached',
          reasons: 'nope',
          attestation: { logIndex: 'x' },
        },
      }),
    )
    const error = await rejection(client.getSession())
    expect({ reasons: error.reasons, attestation: error.attestation }).toStrictEqual({
      reasons: [],
      attestation: undefined,
    })
  })

  test("a proxy's HTML error page is INVALID_RESPONSE with its status", async () => {
    const { client } = clientAnswering(
      () =>
        new Response('<html>502 Bad Gateway</html>', {
          status: 502,
          headers: { 'content-type': 'text/html' },
        }),
    )
    const error = await rejection(client.getSession())
    expect(error).toBeInstanceOf(InvalidGatewayResponseError)
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE', status: 502 })
    expect(error.details).toBe('HTTP 502 with a body that is not JSON')
  })

  test('JSON errors without the documented shape are INVALID_RESPONSE', async () => {
    const { client } = clientAnswering(() => json(500, { message: 'oops' }))
    expect(await rejection(client.getSession())).toMatchObject({
      code: 'INVALID_RESPONSE',
      status: 500,
      details: "HTTP 500 without the gateway's error shape",
    })
  })

  test('a success body of the wrong shape is INVALID_RESPONSE', async () => {
    const { client } = clientAnswering(() => json(200, { id: requestId, status: 'queued' }))
    expect(await rejection(client.getRequest(requestId))).toMatchObject({
      code: 'INVALID_RESPONSE',
      status: 200,
      details: 'expected a request record',
    })
  })
})

describe('no answer', () => {
  test('a failed connection is NETWORK_ERROR, and nothing printed carries the token', async () => {
    const { client } = clientAnswering(() => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') })
    })
    const error = await rejection(client.getSession())
    expect(error).toBeInstanceOf(IntentGateNetworkError)
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.message).toMatchInlineSnapshot(`
      "The gateway could not be reached

      Details: GET https://gateway.example/v1/session: fetch failed
      Code: NETWORK_ERROR"
    `)
    const printed = [error.message, String(error.details), JSON.stringify(error), String(client)]
    for (const text of printed) expect(text).not.toContain('secret')
  })

  test('a gateway that does not answer in time is a NETWORK_ERROR that says it timed out', async () => {
    const client = createIntentGateClient({
      url: 'https://gateway.example',
      token,
      timeout: 20,
      fetch: (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
        }),
    })
    const error = await rejection(client.getSession())
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', timedOut: true })
    expect(error.shortMessage).toBe('The gateway did not answer within 20 ms')
  })
})

describe('requests', () => {
  test('sends the bearer token and resolves paths under a prefixed base URL', async () => {
    const { client, seen } = clientAnswering(
      () => json(404, { error: { code: 'REQUEST_NOT_FOUND', message: 'No such request' } }),
      'https://example.com/intentgate?ignored=1',
    )
    await rejection(client.getRequest(requestId))
    expect(
      seen.map(({ url, method, headers }) => ({ url, method, auth: headers.get('authorization') })),
    ).toStrictEqual([
      {
        url: `https://example.com/intentgate/v1/requests/${requestId}`,
        method: 'GET',
        auth: `Bearer ${token}`,
      },
    ])
  })

  test('configuration mistakes are refused up front without echoing the token', () => {
    const build = (overrides: Partial<Parameters<typeof createIntentGateClient>[0]>) => () =>
      createIntentGateClient({ url: 'https://gateway.example', token, ...overrides })
    expect(build({ token: 'secret\nInjected: 1' })).toThrow(ClientConfigError)
    expect(build({ token: 'secret\nInjected: 1' })).not.toThrow(/secret/)
    expect(build({ url: 'ftp://gateway.example' })).toThrow('Invalid gateway url')
    expect(build({ url: 'https://user:secret@gateway.example' })).toThrow(
      'must not carry a user name or password',
    )
    expect(build({ rpcUrl: 'http://127.0.0.1:8545' })).toThrow('Missing forwarder')
    expect(build({ forwarder: '0x5FbDB2315678afecb367f032d93F642f64180aa3' })).toThrow('Missing chain')
  })

  test('sending without a forwarder is a configuration error, before anything is signed', async () => {
    const { client, seen } = clientAnswering(() => json(500, {}))
    const error = await rejection(
      client.sendMetaTransaction({
        account: {
          address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
          signTypedData: () => Promise.reject(new Error('must not be asked to sign')),
        },
        to: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
        data: '0x',
      }),
    )
    expect(error).toMatchObject({ code: 'CLIENT_CONFIG_INVALID', shortMessage: 'No forwarder to sign for' })
    expect(seen).toHaveLength(0)
  })
})
