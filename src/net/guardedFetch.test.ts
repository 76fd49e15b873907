import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createGuardedFetch, OutboundAddressError } from './guardedFetch.js'

let server: Server
let port: number
let connections = 0

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      if (request.url === '/chunked') {
        // Sent in pieces with pauses between them: the answer must still arrive whole.
        response.writeHead(200, { 'content-type': 'text/plain' })
        const pieces = ['a'.repeat(70_000), 'b'.repeat(70_000), 'c']
        const next = () => {
          const piece = pieces.shift()
          if (piece === undefined) return response.end()
          response.write(piece)
          setTimeout(next, 5)
        }
        return next()
      }
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ method: request.method, body, type: request.headers['content-type'] }))
    })
  })
  server.on('connection', () => {
    connections++
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('createGuardedFetch', () => {
  test('fetches like fetch where the policy allows the destination', async () => {
    const guarded = createGuardedFetch({ private: 'allow' })
    for (const host of ['127.0.0.1', 'localhost']) {
      const response = await guarded(`http://${host}:${port}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"id":1}',
      })
      expect(response.status).toBe(200)
      expect(await response.json()).toStrictEqual({
        method: 'POST',
        body: '{"id":1}',
        type: 'application/json',
      })
    }
  })

  test('refuses a loopback literal or a name resolving to loopback before connecting, when denied', async () => {
    const guarded = createGuardedFetch({ private: 'deny' })
    const before = connections
    await expect(guarded(`http://127.0.0.1:${port}/`)).rejects.toBeInstanceOf(OutboundAddressError)
    // The name is resolved at connect time, so a DNS answer that changes later cannot slip past.
    await expect(guarded(`http://localhost:${port}/`)).rejects.toThrow(/refusing to connect to localhost/)
    await expect(guarded(`http://[::ffff:127.0.0.1]:${port}/`)).rejects.toBeInstanceOf(OutboundAddressError)
    expect(connections).toBe(before)
  })

  test('refuses the metadata address under either policy, and schemes other than http(s)', async () => {
    for (const policy of ['allow', 'deny'] as const) {
      const guarded = createGuardedFetch({ private: policy })
      await expect(guarded('http://169.254.169.254/latest/meta-data/')).rejects.toThrow(/metadata/)
      await expect(guarded('http://[fd00:ec2::254]/')).rejects.toThrow(/metadata/)
      await expect(guarded('file:///etc/passwd')).rejects.toThrow(/file: URLs are not fetched/)
    }
  })

  test('a body sent in pieces arrives whole', async () => {
    const guarded = createGuardedFetch({ private: 'allow' })
    const response = await guarded(`http://127.0.0.1:${port}/chunked`)
    expect(await response.text()).toBe(`${'a'.repeat(70_000)}${'b'.repeat(70_000)}c`)
  })

  test('honours an abort signal', async () => {
    const guarded = createGuardedFetch({ private: 'allow' })
    await expect(guarded(`http://127.0.0.1:${port}/`, { signal: AbortSignal.abort() })).rejects.toThrow()
  })
})
