import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { IntentGateError } from '../../errors/index.js'
import { errorResponse } from '../errorResponse.js'

/**
 * Caps request bodies at `maxBytes`. Hono's bodyLimit counts the streamed bytes, so a chunked
 * body without Content-Length is cut off as soon as it passes the limit.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
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
