import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import {
  createTransport,
  HttpRequestError,
  ResponseBodyTooLargeError,
  RpcRequestError,
  stringify,
  type Transport,
} from 'viem'
import type { OutboundConnector } from '../net/guardedFetch.js'
import {
  isNetworkFailure,
  isReadOnlyRpcMethod,
  networkCode,
  type RpcRetryPolicy,
  retryableStatuses,
  retryDelayMs,
  worstCaseMs,
} from './rpcRetry.js'

export type JsonRpcTransportParameters = {
  retry: RpcRetryPolicy
  /** Where connections may go, and the keep-alive pools they come from. */
  outbound: OutboundConnector
  /** Told of each retry of a read, with its reason (`timeout`, `http 503`, `ECONNRESET`...). */
  onRetry?: (reason: string) => void
  /** Largest answer read, in bytes; a larger one fails the call (viem's own default). */
  maxResponseBytes?: number
  random?: () => number
  sleep?: (ms: number) => Promise<void>
}

/** What one attempt got: an HTTP answer read whole, or no answer. */
type AttemptOutcome =
  | { kind: 'answer'; status: number; statusText: string; text: string }
  | { kind: 'failure'; error: Error; retryable: boolean; reason: string }

/**
 * viem's JSON-RPC transport for a chain, over `node:http(s)` keep-alive connections: each call is
 * one POST whose answer is read whole and parsed, without the web `fetch` machinery (Request,
 * Response, web streams, abort signals), which cost more CPU than the rest of a chain read under
 * load. Each attempt times out after `retry.attemptTimeoutMs`; reads (see rpcRetry.ts) that time
 * out, get a 429/5xx or lose their connection are retried with capped, jittered backoff, and
 * state-changing calls are sent once. Failures surface as viem's own errors (HttpRequestError,
 * RpcRequestError), as viem's `http` transport raises them, so callers classify them alike.
 */
export function jsonRpcTransport(url: string, parameters: JsonRpcTransportParameters): Transport {
  const { retry, outbound, onRetry, maxResponseBytes = 10_485_760 } = parameters
  const random = parameters.random ?? Math.random
  const sleep = parameters.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const target = new URL(url)
  const secure = target.protocol === 'https:'
  const send = secure ? httpsRequest : httpRequest
  const headers: OutgoingHttpHeaders = { 'content-type': 'application/json' }
  // Credentials in the URL go as Basic authentication, as viem's http transport sends them.
  if (target.username) {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`
    target.username = ''
    target.password = ''
  }
  const shownUrl = target.toString()
  const requestOptions = {
    protocol: target.protocol,
    hostname: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port,
    path: `${target.pathname}${target.search}`,
    method: 'POST',
    agent: outbound.agent(secure),
    lookup: outbound.lookup,
  }
  let nextId = 0

  function attempt(body: string): Promise<AttemptOutcome> {
    try {
      outbound.assertAllowed(target)
    } catch (error) {
      return Promise.resolve({ kind: 'failure', error: error as Error, retryable: false, reason: 'refused' })
    }
    return new Promise((resolve) => {
      let settled = false
      const finish = (outcome: AttemptOutcome) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(outcome)
      }
      const fail = (error: Error) =>
        finish({ kind: 'failure', error, retryable: isNetworkFailure(error), reason: networkCode(error) })
      const outgoing = send({
        ...requestOptions,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      })
      const timer = setTimeout(() => {
        const error = Object.assign(new Error(`no answer within ${retry.attemptTimeoutMs} ms`), {
          code: 'ETIMEDOUT',
        })
        finish({ kind: 'failure', error, retryable: true, reason: 'timeout' })
        outgoing.destroy(error)
      }, retry.attemptTimeoutMs)
      outgoing.on('error', fail)
      outgoing.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size <= maxResponseBytes) return void chunks.push(chunk)
          finish({
            kind: 'failure',
            error: new ResponseBodyTooLargeError({ size, maxSize: maxResponseBytes }),
            retryable: false,
            reason: 'too large',
          })
          outgoing.destroy()
        })
        response.on('error', fail)
        // Read whole within the attempt: a connection lost halfway through the answer is retried too.
        response.on('close', () => {
          if (!response.complete)
            fail(Object.assign(new Error('connection lost before the whole answer'), { code: 'ECONNRESET' }))
        })
        response.on('end', () =>
          finish({
            kind: 'answer',
            status: response.statusCode ?? 502,
            statusText: response.statusMessage ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      })
      outgoing.end(body)
    })
  }

  async function call(method: string, params: unknown): Promise<unknown> {
    const rpc = { method, params }
    const body = stringify({ jsonrpc: '2.0', id: nextId++, method, params })
    const attempts = isReadOnlyRpcMethod(method) ? retry.attempts : 1
    let outcome: AttemptOutcome
    for (let number = 1; ; number++) {
      outcome = await attempt(body)
      const retryable = outcome.kind === 'answer' ? retryableStatuses.has(outcome.status) : outcome.retryable
      if (!retryable || number >= attempts) break
      onRetry?.(outcome.kind === 'answer' ? `http ${outcome.status}` : outcome.reason)
      await sleep(retryDelayMs(number - 1, retry, random()))
    }
    if (outcome.kind === 'failure') {
      if (outcome.error instanceof ResponseBodyTooLargeError) throw outcome.error
      throw new HttpRequestError({ body: rpc, cause: outcome.error, url: shownUrl })
    }
    let data: { result?: unknown; error?: { code?: unknown; message?: unknown } }
    try {
      data = JSON.parse(outcome.text || '{}')
    } catch (error) {
      if (outcome.status >= 200 && outcome.status < 300)
        throw new HttpRequestError({ body: rpc, cause: error as Error, url: shownUrl })
      data = { error: outcome.text as never }
    }
    const rpcError =
      typeof data?.error?.code === 'number' && typeof data.error.message === 'string'
        ? (data.error as { code: number; message: string })
        : undefined
    if (outcome.status < 200 || outcome.status >= 300) {
      if (rpcError)
        throw new RpcRequestError({ body: rpc, error: rpcError, status: outcome.status, url: shownUrl })
      throw new HttpRequestError({
        body: rpc,
        details: stringify(data?.error) || outcome.statusText,
        status: outcome.status,
        url: shownUrl,
      })
    }
    if (data?.error) throw new RpcRequestError({ body: rpc, error: data.error as never, url: shownUrl })
    return data?.result
  }

  return () =>
    createTransport(
      {
        key: 'http',
        name: 'JSON-RPC over node:http',
        type: 'http',
        // Retries happen in `call`, where a read can be told from a write; viem's would resend both.
        retryCount: 0,
        timeout: worstCaseMs(retry) + 1_000,
        request: ({ method, params }) => call(method, params) as Promise<never>,
      },
      { url: shownUrl },
    )
}
