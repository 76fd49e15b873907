import { type ErrorCode, errorCatalogue, type Reason } from './codes.js'

export type IntentGateErrorOptions = {
  /** Safe for the client: what was wrong, in more detail than the short message. */
  details?: string
  reasons?: Reason[]
  /** The logged, signed decision behind a denial; sent to the client with the error. */
  attestation?: unknown
  /** The request the error is about, for a client that must follow it up (APPROVAL_REQUIRED). */
  request?: HeldRequestInfo
  cause?: unknown
}

/** A request held for operator approval, as a client is told of it. */
export type HeldRequestInfo = {
  /** The request id: what `GET /v1/requests/:id` takes. */
  id: string
  approval: {
    required: number
    /** Distinct operators who approved so far. */
    approvals: number
    reason: string
    /** Unix seconds: not approved by then, it expires. */
    expiresAt: number
  }
}

/**
 * The root of every error the gateway raises on purpose. `shortMessage` and `details` are shown
 * to clients; `cause` is for logs only and never leaves the process.
 */
export class IntentGateError extends Error {
  override name = 'IntentGateError'
  readonly code: ErrorCode
  readonly shortMessage: string
  readonly details: string | undefined
  readonly reasons: Reason[]
  readonly attestation: unknown
  readonly request: HeldRequestInfo | undefined

  constructor(code: ErrorCode, shortMessage: string, options: IntentGateErrorOptions = {}) {
    super(options.details ? `${shortMessage}: ${options.details}` : shortMessage, { cause: options.cause })
    this.code = code
    this.shortMessage = shortMessage
    this.details = options.details
    this.reasons = options.reasons ?? []
    this.attestation = options.attestation
    this.request = options.request
  }

  get status(): number {
    return errorCatalogue[this.code].status
  }

  /**
   * Walks the `cause` chain and returns the deepest error, or the first one for which
   * `predicate` holds (undefined when none does).
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
