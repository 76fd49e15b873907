import { IntentGateError } from './baseError.js'

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
])

/**
 * Turns anything thrown into an IntentGateError. Errors from Redis, the chain and the network
 * become DEPENDENCY_UNAVAILABLE (503); anything unrecognised is an INTERNAL_ERROR whose cause is
 * kept for the log but never shown to the client.
 */
export function classifyError(error: unknown): IntentGateError {
  if (error instanceof IntentGateError) return error
  if (isDependencyFailure(error)) {
    return new IntentGateError('DEPENDENCY_UNAVAILABLE', 'A dependency is unavailable', { cause: error })
  }
  return new IntentGateError('INTERNAL_ERROR', 'Internal error', { cause: error })
}

function isDependencyFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && unreachableCodes.has(code)) return true
    // ioredis gives up on a command with these when the connection is down.
    if (current.name === 'MaxRetriesPerRequestError') return true
    // A Redis that holds the connection but does not answer: ioredis's commandTimeout.
    if (
      /Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out/.test(current.message)
    )
      return true
    // viem's transport failures.
    if (current.name === 'HttpRequestError' || current.name === 'TimeoutError') return true
    current = current.cause
  }
  return false
}
