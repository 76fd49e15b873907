import type { IntentGateContext } from './clientContext.js'
import type {
  GatewayResponseErrorType,
  IntentGateNetworkErrorType,
  InvalidGatewayResponseErrorType,
} from './errors.js'
import { isSession, type Session } from './types.js'

export type GetSessionReturnType = Session

export type GetSessionErrorType =
  | GatewayResponseErrorType
  | IntentGateNetworkErrorType
  | InvalidGatewayResponseErrorType

/**
 * Reads what the capability token stands for (instance, template, capabilities, intent) after
 * every revocation and kill-switch check. Call it at start to fail early with a clear code, such
 * as `TOKEN_EXPIRED` or `INSTANCE_REVOKED`.
 */
export function getSession(context: IntentGateContext): Promise<GetSessionReturnType> {
  return context.transport.request({
    method: 'GET',
    path: '/v1/session',
    accept: isSession,
    expected: 'a session {instance, template, capabilities, tokenExpiresAt}',
  })
}
