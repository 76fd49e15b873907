import type { ErrorCode } from '../errors/codes.js'
import type { Attestation, Reason } from './types.js'

/**
 * Codes the client raises itself, for failures that never reached a gateway answer. They are
 * spelled so they can never collide with the gateway's catalogue.
 */
export type ClientErrorCode =
  | 'CLIENT_CONFIG_INVALID'
  | 'NETWORK_ERROR'
  | 'INVALID_RESPONSE'
  | 'CHAIN_READ_FAILED'
  | 'CHAIN_MISMATCH'
  | 'SIGNING_FAILED'
  | 'WAIT_TIMEOUT'

/**
 * Every code an `IntentGateClientError` can carry: the gateway's stable catalogue (see the README's
 * error table) and the client's own. A newer gateway may send a code this build does not know yet,
 * so any string is accepted while the known ones still autocomplete.
 */
export type IntentGateErrorCode = ErrorCode | ClientErrorCode | (string & {})

export type IntentGateClientErrorParameters = {
  code: IntentGateErrorCode
  shortMessage: string
  details?: string | undefined
  cause?: unknown
  /** The HTTP status of the gateway's answer, when there was one. */
  status?: number | undefined
  reasons?: readonly Reason[] | undefined
  /** The gateway's request id (`X-Request-Id`), to find its log line. */
  requestId?: string | undefined
  /** The signed decision behind a refusal, when the gateway attested one. */
  attestation?: Attestation | undefined
}

/**
 * The root of every error the client throws. `shortMessage` is one line for a UI, `details` says
 * more, `code` is the gateway's stable code (or a client code), and a refusal carries its
 * `reasons` and the `attestation` of the decision. No message ever contains the capability token.
 */
export class IntentGateClientError extends Error {
  override name = 'IntentGateClientError'
  readonly code: IntentGateErrorCode
  readonly shortMessage: string
  readonly details: string | undefined
  readonly status: number | undefined
  readonly reasons: readonly Reason[]
  readonly requestId: string | undefined
  readonly attestation: Attestation | undefined

  constructor(parameters: IntentGateClientErrorParameters) {
    const { code, shortMessage, details, cause, status, reasons = [], requestId, attestation } = parameters
    super(composeMessage({ code, shortMessage, details, status, reasons, requestId }), { cause })
    this.code = code
    this.shortMessage = shortMessage
    this.details = details
    this.status = status
    this.reasons = reasons
    this.requestId = requestId
    this.attestation = attestation
  }

  /**
   * Walks the `cause` chain and returns the deepest error, or the first one for which `predicate`
   * holds (undefined when none does).
   */
  walk(predicate?: (error: unknown) => boolean): unknown {
    let current: unknown = this
    while (true) {
      if (predicate?.(current)) return current
      const next = current instanceof Error ? current.cause : undefined
      if (next === undefined || next === current) return predicate ? undefined : current
      current = next
    }
  }
}

function composeMessage(parts: {
  code: string
  shortMessage: string
  details: string | undefined
  status: number | undefined
  reasons: readonly Reason[]
  requestId: string | undefined
}): string {
  const { code, shortMessage, details, status, reasons, requestId } = parts
  const lines = [shortMessage, '']
  if (reasons.length > 0)
    lines.push('Reasons:', ...reasons.map((reason) => `  ${reason.code}: ${reason.message}`))
  if (details) lines.push(`Details: ${details}`)
  lines.push(`Code: ${code}${status === undefined ? '' : ` (HTTP ${status})`}`)
  if (requestId) lines.push(`Request id: ${requestId}`)
  return lines.join('\n')
}

export type GatewayResponseErrorType = GatewayResponseError & { name: 'GatewayResponseError' }

/** The gateway answered with its documented error shape: a refusal, a bad token, a limit, and so on. */
export class GatewayResponseError extends IntentGateClientError {
  override name = 'GatewayResponseError'
  declare readonly status: number

  constructor(parameters: IntentGateClientErrorParameters & { status: number }) {
    super(parameters)
  }
}

export type IntentGateNetworkErrorType = IntentGateNetworkError & { name: 'IntentGateNetworkError' }

/** No answer came back: the gateway was unreachable, the connection broke, or the call timed out. */
export class IntentGateNetworkError extends IntentGateClientError {
  override name = 'IntentGateNetworkError'
  /** Whether the client gave up waiting rather than the connection failing. */
  readonly timedOut: boolean

  constructor(parameters: { endpoint: string; timedOut: boolean; timeoutMs?: number; cause: unknown }) {
    const { endpoint, timedOut, timeoutMs, cause } = parameters
    super({
      code: 'NETWORK_ERROR',
      shortMessage: timedOut
        ? `The gateway did not answer within ${timeoutMs} ms`
        : 'The gateway could not be reached',
      details: `${endpoint}${cause instanceof Error && !timedOut ? `: ${cause.message}` : ''}`,
      cause,
    })
    this.timedOut = timedOut
  }
}

export type InvalidGatewayResponseErrorType = InvalidGatewayResponseError & {
  name: 'InvalidGatewayResponseError'
}

/**
 * An answer that is not the gateway's: not JSON, or JSON of another shape. A proxy's HTML error
 * page lands here, with the HTTP status it came with.
 */
export class InvalidGatewayResponseError extends IntentGateClientError {
  override name = 'InvalidGatewayResponseError'

  constructor(parameters: {
    endpoint: string
    status: number
    details: string
    requestId?: string
    cause?: unknown
  }) {
    const { endpoint, status, details, requestId, cause } = parameters
    super({
      code: 'INVALID_RESPONSE',
      shortMessage: `Unexpected answer from ${endpoint}`,
      details,
      status,
      requestId,
      cause,
    })
  }
}

export type ClientConfigErrorType = ClientConfigError & { name: 'ClientConfigError' }

/** The client was built or called without what the call needs, such as a forwarder address. */
export class ClientConfigError extends IntentGateClientError {
  override name = 'ClientConfigError'

  constructor(shortMessage: string, details?: string) {
    super({ code: 'CLIENT_CONFIG_INVALID', shortMessage, details })
  }
}

export type ChainReadErrorType = ChainReadError & { name: 'ChainReadError' }

/**
 * Reading the forwarder's nonce or EIP-712 domain from the app's own RPC failed. The viem error is
 * the `cause`; its text can hold the RPC URL, so it is not copied into this message.
 */
export class ChainReadError extends IntentGateClientError {
  override name = 'ChainReadError'

  constructor(parameters: { what: string; forwarder: string; cause: unknown }) {
    const { what, forwarder, cause } = parameters
    const reason = cause instanceof Error && 'shortMessage' in cause ? String(cause.shortMessage) : undefined
    super({
      code: 'CHAIN_READ_FAILED',
      shortMessage: `Could not read ${what} from the forwarder ${forwarder}`,
      details: reason,
      cause,
    })
  }
}

export type ChainMismatchErrorType = ChainMismatchError & { name: 'ChainMismatchError' }

/** The chain the RPC reports is not the one the call asked for, so a signature would be for the wrong chain. */
export class ChainMismatchError extends IntentGateClientError {
  override name = 'ChainMismatchError'

  constructor(parameters: { expected: number; actual: number }) {
    super({
      code: 'CHAIN_MISMATCH',
      shortMessage: `The forwarder's chain is ${parameters.actual}, not ${parameters.expected}`,
      details: 'the public client or rpcUrl points at another chain than the chainId asked for',
    })
  }
}

export type SigningErrorType = SigningError & { name: 'SigningError' }

/**
 * The account did not sign the forward request; a wallet's own error, such as viem's
 * `UserRejectedRequestError`, is the `cause` (find it with `walk`).
 */
export class SigningError extends IntentGateClientError {
  override name = 'SigningError'

  constructor(parameters: { signer: string; cause: unknown }) {
    const { signer, cause } = parameters
    const reason =
      cause instanceof Error
        ? 'shortMessage' in cause
          ? String(cause.shortMessage)
          : cause.message
        : undefined
    super({
      code: 'SIGNING_FAILED',
      shortMessage: `${signer} did not sign the forward request`,
      details: reason,
      cause,
    })
  }
}

export type WaitForRequestTimeoutErrorType = WaitForRequestTimeoutError & {
  name: 'WaitForRequestTimeoutError'
}

/** `waitForRequest` gave up: the request did not reach a wanted status within the timeout. */
export class WaitForRequestTimeoutError extends IntentGateClientError {
  override name = 'WaitForRequestTimeoutError'
  /** The last status read, if any read succeeded. */
  readonly lastStatus: string | undefined

  constructor(parameters: {
    id: string
    timeoutMs: number
    lastStatus: string | undefined
    cause?: unknown
  }) {
    const { id, timeoutMs, lastStatus, cause } = parameters
    super({
      code: 'WAIT_TIMEOUT',
      shortMessage: `Request ${id} did not settle within ${timeoutMs} ms`,
      details: lastStatus === undefined ? 'no status could be read' : `last status: ${lastStatus}`,
      cause,
    })
    this.lastStatus = lastStatus
  }
}
