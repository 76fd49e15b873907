import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { IntentGateError } from '../../errors/index.js'
import { errorResponse } from '../errorResponse.js'

/**
 * Caps request bodies at `maxBytes`, or at a larger limit for the few paths listed in `byPath`
 * (a policy bundle upload). Hono's bodyLimit counts the streamed bytes, so a chunked body
 * without Content-Length is cut off as soon as it passes the limit.
 */
export function limitBody(
  maxBytes: number,
  byPath: Readonly<Record<string, number>> = {},
): MiddlewareHandler {
  const standard = bodyLimitOf(maxBytes)
  const special = new Map(Object.entries(byPath).map(([path, bytes]) => [path, bodyLimitOf(bytes)]))
  return function limitBodyMiddleware(c, next) {
    // A GET or HEAD without either framing header has no body (RFC 9112 §6.3). Asking for
    // `c.req.raw.body`, as bodyLimit does first, would make @hono/node-server build a full Request
    // for every such call, which halves the throughput of a cheap route. Other methods always go
    // through the limit: a body passed in-process to `app.request` carries no Content-Length.
    const method = c.req.method
    if (
      (method === 'GET' || method === 'HEAD') &&
      !c.req.header('content-length') &&
      !c.req.header('transfer-encoding')
    )
      return next()
    return (special.get(c.req.path) ?? standard)(c, next)
  }
}

function bodyLimitOf(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      errorResponse(
        c,
        new IntentGateError('PAYLOAD_TOO_LARGE', 'Request body too large', {
          details: `limit is ${maxBytes} bytes`,
        }),
      ),
  })
}
