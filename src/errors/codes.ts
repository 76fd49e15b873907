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
  CHAIN_NOT_SERVED: { status: 400, description: 'The request names a chain this gateway does not serve.' },
  REQUEST_SIGNATURE_INVALID: {
    status: 422,
    description: "The request's signature does not recover to its sender for this chain, contract and nonce.",
  },
  REQUEST_EXPIRED: { status: 422, description: 'The request is past its deadline or validity window.' },
  SIMULATION_REVERTED: {
    status: 422,
    description: 'Simulating the request on chain reverted; nothing was sponsored.',
  },
  POLICY_DENIED: {
    status: 403,
    description: 'The policy denied the request; `reasons` say which rules and why.',
  },
  LIMIT_EXCEEDED: {
    status: 429,
    description: 'A limit of the template is reached; `reasons` name the limit.',
  },
  NONCE_CONFLICT: {
    status: 409,
    description: 'Another approved request already holds this sender nonce; only one can ever execute.',
  },
  REQUEST_REPLAYED: {
    status: 409,
    description: 'This exact signed request was already decided; it is not run twice.',
  },
  REQUEST_NOT_FOUND: { status: 404, description: 'No request with this id.' },
  LOG_ENTRY_NOT_FOUND: {
    status: 404,
    description: 'No log entry at this index, or none for this request digest, tx hash or userOpHash.',
  },
  ENTRY_POINT_NOT_SUPPORTED: {
    status: 400,
    description: 'The user operation names an EntryPoint this gateway does not serve (it serves v0.7).',
  },
  PAYMASTER_MISMATCH: {
    status: 422,
    description: "The user operation names another paymaster than this gateway's IntentPaymaster.",
  },
  SPONSORSHIP_INVALID: {
    status: 422,
    description:
      "The user operation's paymasterAndData is not this gateway's signature for exactly this operation, or no sponsorship was decided for it.",
  },
  SPONSORSHIP_EXPIRED: {
    status: 422,
    description: 'The sponsorship is past its validUntil, or was released; ask pm_getPaymasterData again.',
  },
  BUNDLER_REJECTED: {
    status: 422,
    description:
      "The upstream bundler refused the user operation; on /rpc the bundler's ERC-4337 error code and message are passed on.",
  },
  USER_OPERATION_REJECTED: {
    status: 422,
    description:
      'Self-bundling (no BUNDLER_URL): the EntryPoint would refuse the user operation (a simulation of handleOps reverts with an AA error, such as a used nonce or a bad account signature), its call reverts when estimated, or its gas or fee fields are too low to bundle without loss; nothing was sent or paid. On /rpc it carries the ERC-7769 code: -32500 validation, -32501 paymaster, -32503 time range, -32507 signature, -32521 execution reverted, -32602 fields too low.',
  },

  APPROVAL_REQUIRED: {
    status: 202,
    description:
      'Not a refusal: the policy holds the request until k distinct operators approve it. `POST /v1/meta-transactions` answers 202 with status `awaiting_approval`; `pm_getPaymasterData` answers this code as JSON-RPC error -33202 with `data.id`, the request id, and `data.approval`.',
  },
  APPROVAL_REJECTED: {
    status: 403,
    description: 'An operator rejected the held request; it is never relayed or sponsored.',
  },
  APPROVAL_EXPIRED: {
    status: 422,
    description: 'The held request was not approved within its window; its reservation was released.',
  },
  APPROVAL_NOT_PENDING: {
    status: 409,
    description:
      'The request is not awaiting approval: it was already approved, rejected, expired or cancelled.',
  },
  APPROVER_IS_SUBMITTER: {
    status: 403,
    description:
      'This operator obtained a capability token of the instance that sent the request (created it or issued one), so may not approve it.',
  },

  POLICY_BUNDLE_INVALID: {
    status: 422,
    description:
      'The uploaded policy bundle is unsigned, signed by an unknown key, tampered with, or does not load.',
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
  RATE_LIMITED: {
    status: 429,
    description: 'Too many console logins from this address; Retry-After says when to try again.',
  },
  DEPENDENCY_UNAVAILABLE: {
    status: 503,
    description:
      'Redis, a chain RPC or the signer is unreachable; the gateway fails closed and approves nothing.',
  },
  CHAIN_IDENTITY_CHANGED: {
    status: 503,
    description:
      "The chain's genesis block is not the one this gateway first saw: the node was replaced under the same RPC URL. Sponsorship and relay halt on that chain until it matches again or an operator accepts it (POST /v1/admin/chains/{chainId}/genesis).",
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
  error: {
    code: ErrorCode
    message: string
    reasons?: Reason[]
    requestId?: string
    /** The signed decision, for denials that were decided and logged. */
    attestation?: unknown
  }
}
