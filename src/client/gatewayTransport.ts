import {
  ClientConfigError,
  GatewayResponseError,
  IntentGateNetworkError,
  InvalidGatewayResponseError,
} from './errors.js'
import { isAttestation, isReasonList } from './types.js'

export type GatewayTransportParameters = {
  /** The gateway's base URL, for example `https://gateway.example` or `https://example.com/intentgate`. */
  url: string
  /** The capability token the gateway issued to this app instance. */
  token: string
  /** The fetch to call; the global one unless given. */
  fetch?: typeof globalThis.fetch | undefined
  /** How long one HTTP call may take, in milliseconds. 30 000 unless given. */
  timeout?: number | undefined
}

export type GatewayRequest<T> = {
  method: 'GET' | 'POST'
  /** Relative to the base URL, starting with `/`. */
  path: string
  body?: unknown
  /** Checks the success body has the shape the caller relies on. */
  accept: (value: unknown) => value is T
  /** What `accept` expects, for the error when it does not hold. */
  expected: string
  /** A shorter limit than the transport's for this call, in milliseconds. */
  timeout?: number
}

/** How the client talks to the gateway: one authenticated JSON call at a time, every failure typed. */
export type GatewayTransport = {
  /** The base URL, as given. */
  readonly url: string
  request<T>(request: GatewayRequest<T>): Promise<T>
}

const defaultTimeoutMs = 30_000

/**
 * Builds the transport. The token stays in this closure: it is not a property of anything
 * returned, so logging the client or an error never prints it.
 */
export function createGatewayTransport(parameters: GatewayTransportParameters): GatewayTransport {
  const base = parseBaseUrl(parameters.url)
  const authorization = bearerHeader(parameters.token)
  const fetchFn = parameters.fetch ?? globalThis.fetch
  if (typeof fetchFn !== 'function') {
    throw new ClientConfigError('No fetch available', 'pass `fetch` to createIntentGateClient')
  }
  const transportTimeout = parameters.timeout ?? defaultTimeoutMs
  if (!Number.isFinite(transportTimeout) || transportTimeout <= 0) {
    throw new ClientConfigError(
      'Invalid timeout',
      `expected a positive number of milliseconds, got ${transportTimeout}`,
    )
  }

  return {
    url: parameters.url,
    async request<T>(request: GatewayRequest<T>): Promise<T> {
      const target = new URL(request.path.replace(/^\//, ''), base)
      const endpoint = `${request.method} ${target.origin}${target.pathname}`
      const timeout = Math.max(1, Math.min(request.timeout ?? transportTimeout, transportTimeout))
      const headers: Record<string, string> = { authorization, accept: 'application/json' }
      if (request.body !== undefined) headers['content-type'] = 'application/json'

      let status: number
      let requestIdHeader: string | undefined
      let text: string
      const signal = AbortSignal.timeout(timeout)
      try {
        const response = await fetchFn(target, {
          method: request.method,
          headers,
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          signal,
        })
        status = response.status
        requestIdHeader = response.headers.get('x-request-id') ?? undefined
        text = await response.text()
      } catch (cause) {
        throw new IntentGateNetworkError({ endpoint, timedOut: signal.aborted, timeoutMs: timeout, cause })
      }
      return interpretAnswer({ endpoint, status, text, requestIdHeader }, request)
    },
  }
}

/** Turns a gateway answer into the accepted body or the matching typed error. */
function interpretAnswer<T>(
  answer: { endpoint: string; status: number; text: string; requestIdHeader: string | undefined },
  request: Pick<GatewayRequest<T>, 'accept' | 'expected'>,
): T {
  const { endpoint, status, text, requestIdHeader } = answer
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (cause) {
    throw new InvalidGatewayResponseError({
      endpoint,
      status,
      details: `HTTP ${status} with a body that is not JSON`,
      requestId: requestIdHeader,
      cause,
    })
  }

  if (status >= 200 && status < 300) {
    if (request.accept(body)) return body
    throw new InvalidGatewayResponseError({
      endpoint,
      status,
      details: `expected ${request.expected}`,
      requestId: requestIdHeader,
    })
  }

  const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined
  if (typeof error !== 'object' || error === null || !('code' in error) || typeof error.code !== 'string') {
    throw new InvalidGatewayResponseError({
      endpoint,
      status,
      details: `HTTP ${status} without the gateway's error shape`,
      requestId: requestIdHeader,
    })
  }
  const field = (name: string): unknown =>
    name in error ? (error as Record<string, unknown>)[name] : undefined
  const message = field('message')
  const reasons = field('reasons')
  const requestId = field('requestId')
  const attestation = field('attestation')
  throw new GatewayResponseError({
    code: error.code,
    shortMessage:
      typeof message === 'string' && message !== '' ? message : `The gateway refused: ${error.code}`,
    status,
    reasons: isReasonList(reasons) ? reasons : [],
    requestId: typeof requestId === 'string' ? requestId : requestIdHeader,
    attestation: isAttestation(attestation) ? attestation : undefined,
  })
}

function parseBaseUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new ClientConfigError('Invalid gateway url', cause instanceof Error ? cause.message : undefined)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ClientConfigError('Invalid gateway url', `expected http or https, got ${parsed.protocol}`)
  }
  // fetch refuses such URLs anyway, and an error quoting them would print the secret.
  if (parsed.username || parsed.password) {
    throw new ClientConfigError('Invalid gateway url', 'it must not carry a user name or password')
  }
  // Paths are resolved relative to the base, so a gateway mounted under a prefix keeps it.
  if (!parsed.pathname.endsWith('/')) parsed.pathname = `${parsed.pathname}/`
  parsed.search = ''
  parsed.hash = ''
  return parsed
}

function bearerHeader(token: string): string {
  // An invalid header value makes fetch throw a message that quotes it: refuse here, never echoing it.
  if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ClientConfigError(
      'Invalid capability token',
      'expected the token string the gateway issued, without spaces or line breaks',
    )
  }
  return `Bearer ${token}`
}
