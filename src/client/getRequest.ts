import type { Hex } from 'viem'
import type { IntentGateContext } from './clientContext.js'
import type {
  GatewayResponseErrorType,
  IntentGateNetworkErrorType,
  InvalidGatewayResponseErrorType,
} from './errors.js'
import { isRequestRecord, type RequestRecord } from './types.js'

export type GetRequestParameters = {
  /** The id `sendMetaTransaction` returned. */
  id: Hex
  /** A limit shorter than the client's for this one call, in milliseconds. */
  timeout?: number
}

export type GetRequestReturnType = RequestRecord

export type GetRequestErrorType =
  | GatewayResponseErrorType
  | IntentGateNetworkErrorType
  | InvalidGatewayResponseErrorType

/**
 * Reads a request of this app instance: its status, decision and attestations, and the
 * transaction hash once relayed. Another instance's request is `REQUEST_NOT_FOUND`.
 */
export function getRequest(
  context: IntentGateContext,
  parameters: GetRequestParameters,
): Promise<GetRequestReturnType> {
  return context.transport.request({
    method: 'GET',
    path: `/v1/requests/${encodeURIComponent(parameters.id)}`,
    accept: isRequestRecord,
    expected: 'a request record',
    ...(parameters.timeout === undefined ? {} : { timeout: parameters.timeout }),
  })
}
