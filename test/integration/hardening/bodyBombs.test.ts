import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { signEnvelope } from '../../../src/crypto/dsse.js'
import type { RunningGateway } from '../../../src/main.js'
import { TEMPLATE_PAYLOAD_TYPE } from '../../../src/templates/manifest.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { chunkedBody, type RawResponse, sendRaw } from '../../support/rawHttp.js'
import { demoInstance } from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway
let appToken: string
const tenMegabytes = 10 * 1024 * 1024
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`

beforeAll(async () => {
  gateway = await harness.start()
  appToken = (await demoInstance(harness, gateway)).token
})
afterAll(() => harness.stopAll())

function expectDocumentedError(response: RawResponse, status: number, code: string) {
  expect(response.status).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = JSON.parse(response.body) as { error: { code: string; message: string } }
  expect(body.error.code).toBe(code)
  expect(typeof body.error.message).toBe('string')
}

const post = (path: string, headers: string[]) =>
  [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', `authorization: Bearer ${appToken}`, ...headers].join('\r\n')

describe('body bombs get a documented 413 or 400 without the gateway reading them whole', () => {
  test('a 10 MB body with Content-Length is refused from its headers, before a byte of it is read', async () => {
    const response = await sendRaw(
      gateway.url,
      post('/v1/meta-transactions', ['content-type: application/json', `content-length: ${tenMegabytes}`]),
      function* () {
        for (let sent = 0; sent < tenMegabytes; sent += 64 * 1024) yield Buffer.alloc(64 * 1024, 0x20)
      },
    )
    expectDocumentedError(response, 413, 'PAYLOAD_TOO_LARGE')
    expect(response.bodyBytesSentBeforeAnswer).toBeLessThan(tenMegabytes)
  })

  test('a 10 MB chunked body with no length gets 413', async () => {
    const response = await sendRaw(
      gateway.url,
      post('/v1/meta-transactions', ['content-type: application/json', 'transfer-encoding: chunked']),
      () => chunkedBody(tenMegabytes),
    )
    expectDocumentedError(response, 413, 'PAYLOAD_TOO_LARGE')
  })

  test('an endless chunked body is answered 413 long before it ends', async () => {
    const oneGigabyte = 1024 * 1024 * 1024
    const response = await sendRaw(
      gateway.url,
      post('/v1/admin/templates', ['content-type: application/json', 'transfer-encoding: chunked']),
      () => chunkedBody(oneGigabyte),
    )
    expectDocumentedError(response, 413, 'PAYLOAD_TOO_LARGE')
    // What the client got through before the answer is what the kernel's socket buffers hold, not the body.
    expect(response.bodyBytesSentBeforeAnswer).toBeLessThan(oneGigabyte / 8)
  })

  test('Content-Length together with Transfer-Encoding is refused by the parser, in the documented shape', async () => {
    const response = await sendRaw(
      gateway.url,
      post('/v1/meta-transactions', [
        'content-type: application/json',
        'content-length: 5',
        'transfer-encoding: chunked',
      ]),
      () => [Buffer.from('5\r\n{"a":\r\n0\r\n\r\n')],
    )
    expectDocumentedError(response, 400, 'INVALID_REQUEST')
    expect(response.headers.connection).toBe('close')
    expect(JSON.parse(response.body).error.message).toMatch(
      /Transfer-Encoding can't be present with Content-Length/,
    )
  })

  test('two different Content-Length headers are refused the same way', async () => {
    const response = await sendRaw(
      gateway.url,
      post('/v1/meta-transactions', [
        'content-type: application/json',
        'content-length: 2',
        'content-length: 4',
      ]),
      () => [Buffer.from('{}{}')],
    )
    expectDocumentedError(response, 400, 'INVALID_REQUEST')
  })

  test('JSON nested 10,000 deep is a 400 at every JSON entrance', async () => {
    const deep = nested(10_000)
    const app = await sendRaw(
      gateway.url,
      post('/v1/meta-transactions', ['content-type: application/json', `content-length: ${deep.length}`]),
      () => [Buffer.from(deep)],
    )
    expectDocumentedError(app, 400, 'INVALID_REQUEST')
    expect(JSON.parse(app.body).error.message).toMatch(/nested deeper than 64 levels/)

    for (const path of [
      '/v1/admin/templates',
      '/v1/admin/instances',
      '/v1/policy/evaluate',
      '/v1/admin/kill-switch',
    ]) {
      const raw = await sendRaw(
        gateway.url,
        [
          `POST ${path} HTTP/1.1`,
          'host: 127.0.0.1',
          `authorization: Bearer ${harness.keys.admin.operator}`,
          'content-type: application/json',
          `content-length: ${deep.length}`,
        ].join('\r\n'),
        () => [Buffer.from(deep)],
      )
      expectDocumentedError(raw, 400, 'INVALID_REQUEST')
    }
  })

  test('JSON nested 10,000 deep at /rpc is a JSON-RPC parse error', async () => {
    const deep = nested(10_000)
    const response = await sendRaw(
      gateway.url,
      post('/rpc', ['content-type: application/json', `content-length: ${deep.length}`]),
      () => [Buffer.from(deep)],
    )
    expect(response.status).toBe(200)
    expect(JSON.parse(response.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } })
  })

  test('a template whose signed payload nests 10,000 deep is refused as invalid, not a 500', async () => {
    const [authority] = harness.keys.authorities
    if (!authority) throw new Error('the harness has authorities')
    const envelope = signEnvelope(TEMPLATE_PAYLOAD_TYPE, new TextEncoder().encode(nested(10_000)), [
      authority,
    ])
    const response = await callJson(gateway.url, 'POST', '/v1/admin/templates', {
      bearer: harness.keys.admin.operator,
      body: envelope,
    })
    expect(response.status).toBe(400)
    expect(response.body.error?.code).toBe('TEMPLATE_INVALID')
  })

  test('the gateway still answers normally afterwards', async () => {
    const response = await callJson(gateway.url, 'GET', '/healthz')
    expect(response.status).toBe(200)
  })
})
