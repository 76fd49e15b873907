import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { IntentGateError } from '../../errors/index.js'
import { errorResponse } from '../errorResponse.js'

/**
 * Caps request bodies at `maxBytes`, or at a larger limit for the few paths listed in `byPath`
 * (a policy bundle upload). A body framed by Content-Length is judged by it; Hono's bodyLimit
 * counts the streamed bytes of any other, so a chunked body is cut off as soon as it passes the
 * limit.
 */
export function limitBody(
  maxBytes: number,
  byPath: Readonly<Record<string, number>> = {},
): MiddlewareHandler {
  const limits = new Map(Object.entries(byPath))
  const streamed = new Map([maxBytes, ...limits.values()].map((bytes) => [bytes, bodyLimitOf(bytes)]))
  return function limitBodyMiddleware(c, next) {
    const method = c.req.method
    const contentLength = c.req.header('content-length')
    const chunked = c.req.header('transfer-encoding') !== undefined
    // A GET or HEAD without either framing header has no body (RFC 9112 §6.3).
    if ((method === 'GET' || method === 'HEAD') && contentLength === undefined && !chunked) return next()
    const limit = limits.get(c.req.path) ?? maxBytes
    // The rule bodyLimit applies to a Content-Length without Transfer-Encoding, decided here
    // before it asks for `c.req.raw.body`: that makes @hono/node-server build a full web Request
    // (abort signal, web stream) for every call, where the body is otherwise read straight from
    // the socket. Node's parser never delivers more than the Content-Length.
    if (contentLength !== undefined && !chunked) {
      return Number.parseInt(contentLength, 10) > limit ? Promise.resolve(tooLarge(c, limit)) : next()
    }
    return (streamed.get(limit) ?? bodyLimitOf(limit))(c, next)
  }
}

function bodyLimitOf(maxBytes: number): MiddlewareHandler {
  return bodyLimit({ maxSize: maxBytes, onError: (c) => tooLarge(c, maxBytes) })
}

function tooLarge(c: Context, maxBytes: number) {
  return errorResponse(
    c,
    new IntentGateError('PAYLOAD_TOO_LARGE', 'Request body too large', {
      details: `limit is ${maxBytes} bytes`,
    }),
  )
}
