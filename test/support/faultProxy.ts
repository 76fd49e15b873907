import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * What the proxy does with one JSON-RPC request:
 * - `pass`: forwards it and answers what the node answered;
 * - `reset`: cuts the connection without forwarding;
 * - `http500`: answers 500 without forwarding;
 * - `hang`: never answers (the client's timeout ends it), without forwarding;
 * - `resetAfterForward`: forwards it, so the node acts on it, then cuts the connection: the answer is lost.
 */
export type Fault = 'pass' | 'reset' | 'http500' | 'hang' | 'resetAfterForward'

/**
 * One request the proxy saw; `id` is its JSON-RPC id, which a retry of the same call repeats;
 * `params` are its JSON-RPC params and `at` when it arrived (ms since the epoch). A JSON-RPC batch
 * is seen as its first call, with `size` the number of calls in it (1 for a call).
 */
export type ProxiedCall = {
  method: string
  id: unknown
  params: unknown
  size: number
  at: number
  fault: Fault
}

export type FaultProxy = {
  url: string
  /** Every request seen, in order, with what was done to it. */
  calls: ProxiedCall[]
  /** Decides the fault of each request; `seen` counts earlier requests of the same method. */
  setPlan(plan: (method: string, seen: number) => Fault): void
  stop(): Promise<void>
}

/**
 * A fault-injecting HTTP proxy in front of a real node (Anvil): the node still answers every
 * request that is forwarded, the proxy only loses, delays or breaks what travels between.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const calls: ProxiedCall[] = []
  const seen = new Map<string, number>()
  let plan: (method: string, seen: number) => Fault = () => 'pass'
  const hanging = new Set<ServerResponse>()

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const at = Date.now()
    const { method, id, params, size } = callOf(body)
    const count = seen.get(method) ?? 0
    seen.set(method, count + 1)
    const fault = plan(method, count)
    calls.push({ method, id, params, size, at, fault })
    if (fault === 'reset') return void request.socket.destroy()
    if (fault === 'http500') return void response.writeHead(500, { 'content-type': 'text/plain' }).end('boom')
    if (fault === 'hang') {
      hanging.add(response)
      response.on('close', () => hanging.delete(response))
      return
    }
    const upstream = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }).catch(() => undefined)
    if (!upstream) return void response.writeHead(502).end()
    const answer = await upstream.text()
    if (fault === 'resetAfterForward') return void request.socket.destroy()
    response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(answer)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setPlan(next) {
      plan = next
      seen.clear()
    },
    async stop() {
      for (const response of hanging) response.socket?.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

type JsonRpcCall = { method?: unknown; id?: unknown; params?: unknown }

function callOf(body: string): { method: string; id: unknown; params: unknown; size: number } {
  try {
    const parsed = JSON.parse(body) as JsonRpcCall | JsonRpcCall[]
    const first = Array.isArray(parsed) ? parsed[0] : parsed
    return {
      method: typeof first?.method === 'string' ? first.method : 'unknown',
      id: first?.id,
      params: first?.params,
      size: Array.isArray(parsed) ? parsed.length : 1,
    }
  } catch {
    return { method: 'unparsable', id: undefined, params: undefined, size: 1 }
  }
}
