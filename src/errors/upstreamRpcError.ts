import { IntentGateError } from './baseError.js'
import type { ErrorCode } from './codes.js'

/**
 * An error that keeps the JSON-RPC code an upstream gave it, such as a bundler's ERC-4337 code
 * (-32500 and up), so /rpc passes it on as it came; `data.code` still names the gateway's code.
 */
export class UpstreamRpcError extends IntentGateError {
  override name = 'UpstreamRpcError'

  constructor(
    readonly rpcCode: number,
    code: ErrorCode,
    shortMessage: string,
    options: { details?: string; cause?: unknown } = {},
  ) {
    super(code, shortMessage, options)
  }
}
