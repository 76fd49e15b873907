/**
 * Retries of chain RPC reads. A node that times out, answers 5xx or resets the connection is
 * asked again after a delay that doubles each time up to a cap, with jitter so that many
 * processes retrying at once do not hit the node in step. Only methods that change nothing are
 * retried: a state-changing call (a raw transaction above all) is sent once, and the relay,
 * which saves every signed transaction and checks receipts before it sends again, decides what
 * to do when its answer was lost.
 */
export type RpcRetryPolicy = {
  /** Attempts in all, the first included (1 = no retry). */
  attempts: number
  /** Delay before the first retry; it doubles each time, up to `maxDelayMs`. */
  baseDelayMs: number
  maxDelayMs: number
  /** How long one attempt may take before it counts as a timeout (and, for a read, is retried). */
  attemptTimeoutMs: number
}

/** JSON-RPC methods that only read: asking twice changes nothing on the node. */
const readMethods = new Set([
  'eth_blockNumber',
  'eth_call',
  'eth_chainId',
  'eth_estimateGas',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_getBalance',
  'eth_getBlockByHash',
  'eth_getBlockByNumber',
  'eth_getCode',
  'eth_getLogs',
  'eth_getStorageAt',
  'eth_getTransactionByHash',
  'eth_getTransactionCount',
  'eth_getTransactionReceipt',
  'eth_maxPriorityFeePerGas',
  'eth_simulateV1',
  'eth_syncing',
  'net_version',
  'web3_clientVersion',
])

/** HTTP statuses that say "try again": overloaded, or a gateway in front of the node failing. */
export const retryableStatuses = new Set([429, 500, 502, 503, 504])

/**
 * The delay before retry `retry` (0 for the first): half of the capped exponential step is fixed
 * and half is random, so delays grow but never synchronize. `random` is in [0, 1).
 */
export function retryDelayMs(
  retry: number,
  policy: Pick<RpcRetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: number,
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry, 30))
  return Math.round(step / 2 + random * (step / 2))
}

/** Whether a JSON-RPC method only reads, so sending it again is safe. */
export function isReadOnlyRpcMethod(method: string): boolean {
  return readMethods.has(method)
}

/** The longest a call through the chain transport (jsonRpcTransport.ts) can take: every attempt timing out, every delay at its cap. */
export function worstCaseMs(policy: RpcRetryPolicy): number {
  return policy.attempts * policy.attemptTimeoutMs + (policy.attempts - 1) * policy.maxDelayMs
}

const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
])

/** The code that names a network failure (ECONNRESET, ETIMEDOUT, ...), from the error or its causes. */
export function networkCode(error: unknown): string {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    if (current.message === 'socket hang up') return 'ECONNRESET'
    current = current.cause
  }
  return 'network'
}

/** Whether a failure to get an answer is worth another attempt (for a read). */
export function isNetworkFailure(error: unknown): boolean {
  return networkCodes.has(networkCode(error))
}
