import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { IntentGateError } from '../errors/index.js'
import type { ReadinessReport } from '../health/readiness.js'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { createApp } from './createApp.js'

const bodyLimitBytes = 1024

function buildApp(report: ReadinessReport = { status: 'ready', checks: [] }) {
  const app = createApp({
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(new Registry()),
    readiness: async () => report,
    bodyLimitBytes,
  })
  app.post('/echo', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }))
  app.get('/boom', () => {
    throw new Error('secret internal detail at /home/app/src/file.ts')
  })
  app.get('/denied', () => {
    throw new IntentGateError('FORBIDDEN', 'Role operator required', {
      reasons: [{ code: 'ROLE', message: 'auditor' }],
    })
  })
  return app
}

describe('createApp', () => {
  const app = buildApp()

  test('/healthz answers without touching any dependency', async () => {
    const response = await app.request('/healthz')
    expect(response.status).toBe(200)
    expect(await response.json()).toStrictEqual({ status: 'ok' })
  })

  test('/readyz is 200 when ready and 503 with the failing check when not', async () => {
    expect((await app.request('/readyz')).status).toBe(200)
    const report: ReadinessReport = {
      status: 'not_ready',
      checks: [{ name: 'redis', ok: false, latencyMs: 2000, error: 'no answer within 2000 ms' }],
    }
    const response = await buildApp(report).request('/readyz')
    expect(response.status).toBe(503)
    expect(await response.json()).toStrictEqual(report)
  })

  test('an unknown route gets NOT_FOUND in the documented shape with the request id', async () => {
    const response = await app.request('/nope', { headers: { 'X-Request-Id': 'req-123' } })
    expect(response.status).toBe(404)
    expect(response.headers.get('x-request-id')).toBe('req-123')
    expect(await response.json()).toStrictEqual({
      error: { code: 'NOT_FOUND', message: 'No such route: GET /nope', requestId: 'req-123' },
    })
  })

  test('an insane X-Request-Id is replaced by a generated one', async () => {
    const response = await app.request('/healthz', { headers: { 'X-Request-Id': 'a b;$(rm -rf)'.repeat(3) } })
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  test('a thrown IntentGateError keeps its code, status and reasons', async () => {
    const response = await app.request('/denied')
    expect(response.status).toBe(403)
    const body = (await response.json()) as { error: Record<string, unknown> }
    expect(body.error.code).toBe('FORBIDDEN')
    expect(body.error.reasons).toStrictEqual([{ code: 'ROLE', message: 'auditor' }])
  })

  test('an unexpected error is a generic 500 that leaks nothing', async () => {
    const response = await app.request('/boom')
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).not.toContain('secret')
    expect(JSON.parse(text).error.code).toBe('INTERNAL_ERROR')
  })

  test('/metrics exposes the HTTP histogram and default metrics from the registry passed in', async () => {
    await app.request('/healthz')
    const response = await app.request('/metrics')
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    expect(text).toContain(
      'intentgate_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz"',
    )
    expect(text).toContain('intentgate_process_cpu_user_seconds_total')
  })

  test('a body with Content-Length over the limit gets 413 in the documented shape', async () => {
    const response = await app.request('/echo', { method: 'POST', body: 'x'.repeat(bodyLimitBytes + 1) })
    expect(response.status).toBe(413)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE')
    const ok = await app.request('/echo', { method: 'POST', body: 'x'.repeat(bodyLimitBytes) })
    expect(await ok.json()).toStrictEqual({ bytes: bodyLimitBytes })
  })
})

describe('body limit over a real socket', () => {
  let server: ReturnType<typeof serve>
  let port: number

  beforeAll(async () => {
    const app = buildApp()
    server = await new Promise((resolve) => {
      const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening))
    })
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  /** POSTs to /echo with these headers, lets `send` write the body, and collects the answer. */
  function post(
    headers: Record<string, string>,
    send: (request: ReturnType<typeof httpRequest>) => void,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/echo',
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
        },
        (response) => {
          let body = ''
          response.on('data', (chunk: Buffer) => {
            body += chunk.toString()
          })
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        },
      )
      // The server may answer and close before the whole body is sent; that is the point.
      request.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
      )
      send(request)
    })
  }

  /** Sends `chunks` chunks of 256 bytes with Transfer-Encoding: chunked and no Content-Length. */
  function postChunked(chunks: number) {
    return post({}, (request) => {
      let sent = 0
      const writeNext = () => {
        while (sent < chunks) {
          sent++
          if (!request.write('y'.repeat(256))) {
            request.once('drain', writeNext)
            return
          }
        }
        request.end()
      }
      writeNext()
    })
  }

  /** Sends `bytes` bytes framed by Content-Length, the way every ordinary client sends a body. */
  function postSized(bytes: number) {
    return post({ 'Content-Length': String(bytes) }, (request) => request.end('z'.repeat(bytes)))
  }

  test('a body whose Content-Length passes the limit gets 413; one at the limit is read whole', async () => {
    const over = await postSized(bodyLimitBytes + 1)
    expect(over.status).toBe(413)
    expect(JSON.parse(over.body).error.code).toBe('PAYLOAD_TOO_LARGE')
    const within = await postSized(bodyLimitBytes)
    expect(within.status).toBe(200)
    expect(JSON.parse(within.body)).toStrictEqual({ bytes: bodyLimitBytes })
  })

  test('a chunked body without Content-Length is cut off at the limit with 413', async () => {
    const { status, body } = await postChunked(64)
    expect(status).toBe(413)
    expect(JSON.parse(body).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  test('a chunked body within the limit is read whole', async () => {
    const { status, body } = await postChunked(4)
    expect(status).toBe(200)
    expect(JSON.parse(body)).toStrictEqual({ bytes: 1024 })
  })
})
