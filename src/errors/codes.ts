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
  TOKEN_INVALID: {
    status: 401,
    description: 'The capability token is malformed, not signed by this gateway, or for another audience.',
  },
  TOKEN_EXPIRED: { status: 401, description: 'The capability token is past its exp.' },
  TOKEN_REVOKED: { status: 401, description: 'The capability token was revoked by its jti.' },
  INSTANCE_REVOKED: { status: 403, description: 'The app instance was revoked; none of its tokens work.' },
  INSTANCE_NOT_FOUND: { status: 404, description: 'No app instance with this id.' },
  TEMPLATE_INVALID: {
    status: 400,
    description: 'The template manifest does not match intentgate.template/v1; the message names the field.',
  },
  TEMPLATE_SIGNATURE_INVALID: {
    status: 422,
    description:
      'The template envelope is malformed, of another payload type, or not signed by a trusted authority.',
  },
  TEMPLATE_SIGNATURES_INSUFFICIENT: {
    status: 422,
    description:
      'Fewer distinct trusted authorities signed the template than its verification level requires.',
  },
  TEMPLATE_EXPIRED: { status: 422, description: 'The template is past its expiresAt.' },
  TEMPLATE_NOT_FOUND: { status: 404, description: 'No template with this digest.' },
  TEMPLATE_DEPRECATED: { status: 403, description: 'The template version is deprecated: no new instances.' },
  TEMPLATE_REVOKED: {
    status: 403,
    description: 'The template was revoked; every instance of it is refused.',
  },
  PARAMS_INVALID: {
    status: 400,
    description: "Instance params do not match the template's declared params.",
  },
  KILL_SWITCH: {
    status: 403,
    description: 'A kill switch (global, template, instance or chain) is engaged; nothing is approved.',
  },
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
