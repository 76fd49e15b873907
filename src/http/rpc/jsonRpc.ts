import { z } from 'zod'
import {
  type ErrorCode,
  errorCatalogue,
  type HeldRequestInfo,
  type IntentGateError,
  UpstreamRpcError,
} from '../../errors/index.js'

/** JSON-RPC 2.0 error codes of the specification itself. */
export const jsonRpcErrorCodes = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const

/**
 * Application errors (policy denials, limits, sponsorship checks) use -33000 minus the HTTP
 * status of their stable code: POLICY_DENIED (403) is -33403, LIMIT_EXCEEDED (429) is -33429,
 * and APPROVAL_REQUIRED (202, a hold rather than a refusal) is -33202.
 * The range sits outside JSON-RPC's reserved -32768..-32000, and `data.code` always carries
 * the stable code itself, so clients match on that.
 */
export const APPLICATION_ERROR_BASE = -33000

/** The JSON-RPC code for a gateway error code. */
export function jsonRpcCodeOf(code: ErrorCode): number {
  if (code === 'INVALID_REQUEST' || code === 'UNSUPPORTED_MEDIA_TYPE') return jsonRpcErrorCodes.invalidParams
  if (code === 'INTERNAL_ERROR') return jsonRpcErrorCodes.internalError
  return APPLICATION_ERROR_BASE - errorCatalogue[code].status
}

export type JsonRpcId = string | number | null

/** `data` of every error the gateway answers on /rpc: the documented error fields. */
export type JsonRpcErrorData = {
  code: ErrorCode
  reasons?: { code: string; message: string }[]
  requestId?: string
  attestation?: unknown
  /** For APPROVAL_REQUIRED: the id of the held request, which GET /v1/requests/:id takes. */
  id?: string
  /** For APPROVAL_REQUIRED: how many approvals it needs and has, why, and until when. */
  approval?: HeldRequestInfo['approval']
}

export type JsonRpcError = { code: number; message: string; data: JsonRpcErrorData }

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: unknown }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcError }

/** One call as JSON-RPC 2.0 frames it. `id` absent means a notification, which gets no answer. */
export const jsonRpcRequestSchema = z.strictObject({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string().max(200), z.number(), z.null()]).optional(),
  method: z.string().min(1).max(100),
  params: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
})

export type JsonRpcRequest = z.output<typeof jsonRpcRequestSchema>

/** Builds the JSON-RPC error of a gateway error, with the documented fields in `data`. */
export function jsonRpcErrorOf(error: IntentGateError, requestId: string | undefined): JsonRpcError {
  const data: JsonRpcErrorData = {
    code: error.code,
    ...(error.reasons.length > 0 ? { reasons: error.reasons } : {}),
    ...(requestId ? { requestId } : {}),
    ...(error.attestation === undefined ? {} : { attestation: error.attestation }),
    ...(error.request ? { id: error.request.id, approval: error.request.approval } : {}),
  }
  return {
    code: error instanceof UpstreamRpcError ? error.rpcCode : jsonRpcCodeOf(error.code),
    message: error.details ? `${error.shortMessage}: ${error.details}` : error.shortMessage,
    data,
  }
}
