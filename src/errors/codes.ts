/**
 * The stable error codes a client can see, with their HTTP status. A code is never renamed or
 * given another status once released; new situations get new codes.
 */
export const errorCatalogue = {
  INVALID_REQUEST: {
    status: 400,
    description: 'The request is malformed: invalid JSON, or a field is missing or invalid.',
  },
  UNAUTHENTICATED: {
    status: 401,
    description: 'No credential, or one that is malformed, expired or revoked.',
  },
  FORBIDDEN: { status: 403, description: 'The credential is valid but its role does not allow this.' },
  NOT_FOUND: { status: 404, description: 'No such route or resource.' },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    description: 'The body is larger than BODY_LIMIT_BYTES, chunked or not.',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The body is not application/json.' },
  DEPENDENCY_UNAVAILABLE: {
    status: 503,
    description:
      'Redis, a chain RPC or the signer is unreachable; the gateway fails closed and approves nothing.',
  },
  INTERNAL_ERROR: {
    status: 500,
    description: 'A bug. The message is generic; the request id finds the log line.',
  },
} as const satisfies Record<string, { status: number; description: string }>

export type ErrorCode = keyof typeof errorCatalogue

/** A machine-readable reason, as policies and validators produce them. */
export type Reason = { code: string; message: string }

/** The documented JSON error body. */
export type ErrorBody = {
  error: { code: ErrorCode; message: string; reasons?: Reason[]; requestId?: string }
}
