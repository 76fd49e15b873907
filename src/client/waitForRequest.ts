import type { Hex } from 'viem'
import type { IntentGateContext } from './clientContext.js'
import {
  GatewayResponseError,
  type GatewayResponseErrorType,
  IntentGateNetworkError,
  type InvalidGatewayResponseErrorType,
  WaitForRequestTimeoutError,
  type WaitForRequestTimeoutErrorType,
} from './errors.js'
import { getRequest } from './getRequest.js'
import { type RequestRecord, type RequestStatus, terminalRequestStatuses } from './types.js'

export type WaitForRequestParameters = {
  id: Hex
  /**
   * Statuses to stop at besides the terminal ones (`confirmed`, `reverted`, `failed`,
   * `cancelled`, `denied`), for example `['queued']` to wait only for the decision.
   */
  until?: readonly RequestStatus[]
  /** Milliseconds between reads. 1 000 unless given. */
  pollingInterval?: number
  /** Milliseconds before giving up with `WaitForRequestTimeoutError`. 60 000 unless given. */
  timeout?: number
  /** Called with the record each time its status changes, including the first read. */
  onStatusChange?: (record: RequestRecord) => void
}

export type WaitForRequestReturnType = RequestRecord

export type WaitForRequestErrorType =
  | WaitForRequestTimeoutErrorType
  | GatewayResponseErrorType
  | InvalidGatewayResponseErrorType

const defaultPollingIntervalMs = 1_000
const defaultTimeoutMs = 60_000

/**
 * Polls a request until it reaches a terminal status or one in `until`, and resolves with that
 * record: a `reverted` or `failed` request resolves too, so read `status`. Network failures and
 * 503s while polling are retried until the timeout, since a relay can take longer than a blip;
 * any other gateway error (such as `REQUEST_NOT_FOUND`) is thrown at once.
 */
export async function waitForRequest(
  context: IntentGateContext,
  parameters: WaitForRequestParameters,
): Promise<WaitForRequestReturnType> {
  const {
    id,
    until = [],
    pollingInterval = defaultPollingIntervalMs,
    timeout = defaultTimeoutMs,
    onStatusChange,
  } = parameters
  const wanted = new Set<string>([...terminalRequestStatuses, ...until])
  const deadline = Date.now() + timeout
  let lastStatus: RequestStatus | undefined
  let lastError: unknown

  const timedOut = () =>
    new WaitForRequestTimeoutError({ id, timeoutMs: timeout, lastStatus, cause: lastError })

  while (true) {
    const remaining = deadline - Date.now()
    if (remaining <= 0) throw timedOut()
    try {
      const record = await getRequest(context, { id, timeout: remaining })
      if (record.status !== lastStatus) onStatusChange?.(record)
      lastStatus = record.status
      lastError = undefined
      if (wanted.has(record.status)) return record
    } catch (error) {
      if (!isTransient(error)) throw error
      lastError = error
    }
    const pause = Math.min(pollingInterval, deadline - Date.now())
    if (pause <= 0) throw timedOut()
    await new Promise((resolve) => setTimeout(resolve, pause))
  }
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof IntentGateNetworkError || (error instanceof GatewayResponseError && error.status === 503)
  )
}
