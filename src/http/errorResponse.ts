import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { classifyError, type ErrorBody, IntentGateError } from '../errors/index.js'
import type { RequestContextVariables } from './middleware/requestContext.js'

/** Writes the documented JSON error body for an IntentGateError. */
export function errorResponse(c: Context, error: IntentGateError): Response {
  const requestId = c.get('requestId') as string | undefined
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.details ? `${error.shortMessage}: ${error.details}` : error.shortMessage,
      ...(error.reasons.length > 0 ? { reasons: error.reasons } : {}),
      ...(requestId ? { requestId } : {}),
      ...(error.attestation === undefined ? {} : { attestation: error.attestation }),
    },
  }
  return c.json(body, error.status as ContentfulStatusCode)
}

/**
 * The one error handler: every thrown error leaves as the documented JSON shape. Unexpected
 * errors are logged with their stack and answered with a generic message.
 */
export function onError(error: Error, c: Context<{ Variables: RequestContextVariables }>): Response {
  const classified = classifyError(error)
  if (classified.status >= 500) {
    const log = c.get('log')
    log?.error({ err: error, code: classified.code }, classified.shortMessage)
  }
  return errorResponse(c, classified)
}

/** Answers an unknown route with NOT_FOUND in the documented shape. */
export function notFound(c: Context): Response {
  return errorResponse(
    c,
    new IntentGateError('NOT_FOUND', 'No such route', { details: `${c.req.method} ${c.req.path}` }),
  )
}
