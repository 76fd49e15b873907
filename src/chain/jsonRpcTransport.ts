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
  /** Most reads sent together in one JSON-RPC batch; 1 sends every call alone. */
  batchMax?: number
  random?: () => number
  sleep?: (ms: number) => Promise<void>
}

/** A call as viem's errors show it. */
type RpcBody = { [key: string]: unknown } | { [key: string]: unknown }[]

/** A read waiting for the next batch. */
type QueuedRead = {
  method: string
  params: unknown
  resolve: (result: unknown) => void
  reject: (error: unknown) => void
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
 *
 * Reads issued during one turn of the event loop (under load, those of many requests at once) go
 * out together as one JSON-RPC batch of at most `batchMax` calls, retried as a whole; each call
 * still gets its own result or error. Writes always go alone. A node that answers a batch with
 * anything but an array of answers is taken not to support batches: its reads go alone from then on.
 */
export function jsonRpcTransport(url: string, parameters: JsonRpcTransportParameters): Transport {
  const { retry, outbound, onRetry, maxResponseBytes = 10_485_760 } = parameters
  let batchMax = Math.max(1, parameters.batchMax ?? 1)
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

  /** Sends `body` until it is answered, or for as long as `attempts` allow. */
  async function post(body: string, attempts: number): Promise<AttemptOutcome> {
    for (let number = 1; ; number++) {
      const outcome = await attempt(body)
      const retryable = outcome.kind === 'answer' ? retryableStatuses.has(outcome.status) : outcome.retryable
      if (!retryable || number >= attempts) return outcome
      onRetry?.(outcome.kind === 'answer' ? `http ${outcome.status}` : outcome.reason)
      await sleep(retryDelayMs(number - 1, retry, random()))
    }
  }

  /**
   * The answer's JSON, or the error every call it answers fails with: a lost answer or an HTTP
   * failure (HttpRequestError), or a JSON-RPC error in a non-2xx answer (RpcRequestError).
   */
  function parseAnswer(outcome: AttemptOutcome, rpc: RpcBody): { data: unknown } | { error: Error } {
    if (outcome.kind === 'failure') {
      if (outcome.error instanceof ResponseBodyTooLargeError) return { error: outcome.error }
      return { error: new HttpRequestError({ body: rpc, cause: outcome.error, url: shownUrl }) }
    }
    const ok = outcome.status >= 200 && outcome.status < 300
    let data: unknown
    try {
      data = JSON.parse(outcome.text || '{}')
    } catch (error) {
      if (ok) return { error: new HttpRequestError({ body: rpc, cause: error as Error, url: shownUrl }) }
      data = { error: outcome.text }
    }
    if (ok) return { data }
    const error = rpcErrorOf(data)
    if (error)
      return { error: new RpcRequestError({ body: rpc, error, status: outcome.status, url: shownUrl }) }
    return {
      error: new HttpRequestError({
        body: rpc,
        details: stringify((data as { error?: unknown } | null)?.error) || outcome.statusText,
        status: outcome.status,
        url: shownUrl,
      }),
    }
  }

  /** The result of one call's answer, or the error it carries. */
  function resultOf(answer: unknown, rpc: RpcBody): unknown {
    const error = (answer as { error?: unknown } | null)?.error
    if (error) throw new RpcRequestError({ body: rpc, error: error as never, url: shownUrl })
    return (answer as { result?: unknown } | null)?.result
  }

  async function callAlone(method: string, params: unknown): Promise<unknown> {
    const rpc = { method, params }
    const body = stringify({ jsonrpc: '2.0', id: nextId++, method, params })
    const answer = parseAnswer(await post(body, isReadOnlyRpcMethod(method) ? retry.attempts : 1), rpc)
    if ('error' in answer) throw answer.error
    return resultOf(answer.data, rpc)
  }

  async function sendBatch(reads: QueuedRead[]) {
    const calls = reads.map(({ method, params }) => ({ jsonrpc: '2.0', id: nextId++, method, params }))
    const rpc = calls.map(({ method, params }) => ({ method, params }))
    const answer = parseAnswer(await post(stringify(calls), retry.attempts), rpc)
    if ('error' in answer) {
      for (const read of reads) read.reject(answer.error)
      return
    }
    if (!Array.isArray(answer.data)) {
      // Not an answer to a batch: a node that does not take them. Each read goes alone, now and after.
      batchMax = 1
      for (const read of reads) callAlone(read.method, read.params).then(read.resolve, read.reject)
      return
    }
    const byId = new Map<unknown, unknown>()
    for (const item of answer.data) byId.set((item as { id?: unknown } | null)?.id, item)
    for (const [index, read] of reads.entries()) {
      const call = calls[index]
      const item = byId.get(call?.id)
      if (item === undefined) {
        read.reject(
          new HttpRequestError({
            body: { method: read.method, params: read.params },
            details: `the batch answer has no answer for call ${String(call?.id)}`,
            url: shownUrl,
          }),
        )
        continue
      }
      try {
        read.resolve(resultOf(item, { method: read.method, params: read.params }))
      } catch (error) {
        read.reject(error)
      }
    }
  }

  let queued: QueuedRead[] = []
  function flush() {
    const reads = queued
    queued = []
    for (let start = 0; start < reads.length; start += batchMax) {
      const batch = reads.slice(start, start + batchMax)
      const [only] = batch
      if (batch.length === 1 && only) callAlone(only.method, only.params).then(only.resolve, only.reject)
      else void sendBatch(batch)
    }
  }

  function call(method: string, params: unknown): Promise<unknown> {
    if (batchMax <= 1 || !isReadOnlyRpcMethod(method)) return callAlone(method, params)
    return new Promise((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush)
      queued.push({ method, params, resolve, reject })
    })
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

/** The JSON-RPC error in an answer, when it has the shape of one. */
function rpcErrorOf(data: unknown): { code: number; message: string } | undefined {
  const error = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error
  return typeof error?.code === 'number' && typeof error.message === 'string'
    ? (error as { code: number; message: string })
    : undefined
}
