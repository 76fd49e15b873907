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
const retryableStatuses = new Set([429, 500, 502, 503, 504])

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

/** Whether a JSON-RPC body (a call or a batch) only reads, so sending it again is safe. */
export function isReadOnlyRpcBody(body: unknown): boolean {
  if (typeof body !== 'string') return false
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return false
  }
  const calls = Array.isArray(parsed) ? parsed : [parsed]
  return (
    calls.length > 0 &&
    calls.every((call) => {
      const method = (call as { method?: unknown } | null)?.method
      return typeof method === 'string' && readMethods.has(method)
    })
  )
}

/** The longest a call through {@link createRetryingFetch} can take: every attempt timing out, every delay at its cap. */
export function worstCaseMs(policy: RpcRetryPolicy): number {
  return policy.attempts * policy.attemptTimeoutMs + (policy.attempts - 1) * policy.maxDelayMs
}

/**
 * Wraps `fetchFn` (the outbound guard, for operator-set URLs) with per-attempt timeouts and, for
 * read-only JSON-RPC bodies, bounded retries. `onRetry` is told of each retry (for metrics).
 */
export function createRetryingFetch(
  fetchFn: typeof fetch,
  policy: RpcRetryPolicy,
  options: {
    random?: () => number
    sleep?: (ms: number) => Promise<void>
    onRetry?: (reason: string) => void
  } = {},
): typeof fetch {
  const random = options.random ?? Math.random
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  return async function retryingFetch(input, init = {}) {
    const attempts = isReadOnlyRpcBody(init.body) ? policy.attempts : 1
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptOnce(fetchFn, input, init, policy.attemptTimeoutMs)
      const last = attempt >= attempts || init.signal?.aborted === true
      if (outcome.kind === 'answer' && (!retryableStatuses.has(outcome.response.status) || last)) {
        return outcome.response
      }
      if (outcome.kind === 'failure' && (last || !outcome.retryable)) throw outcome.error
      const reason = outcome.kind === 'answer' ? `http ${outcome.response.status}` : outcome.reason
      if (outcome.kind === 'answer') await outcome.response.body?.cancel().catch(() => undefined)
      options.onRetry?.(reason)
      await sleep(retryDelayMs(attempt - 1, policy, random()))
    }
  }
}

type AttemptOutcome =
  | { kind: 'answer'; response: Response }
  | { kind: 'failure'; error: unknown; retryable: boolean; reason: string }

async function attemptOnce(
  fetchFn: typeof fetch,
  input: Parameters<typeof fetch>[0],
  init: RequestInit,
  timeoutMs: number,
): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout
  try {
    const response = await fetchFn(input, { ...init, signal })
    // Read whole within the attempt: a connection reset halfway through the body is retried too.
    const body = await response.arrayBuffer()
    const empty = response.status === 204 || response.status === 304
    return {
      kind: 'answer',
      response: new Response(empty ? null : body, { status: response.status, headers: response.headers }),
    }
  } catch (error) {
    // The caller's own abort is final; our timeout and network failures are worth another try.
    if (init.signal?.aborted) return { kind: 'failure', error, retryable: false, reason: 'aborted' }
    if (timeout.aborted)
      return { kind: 'failure', error: timeoutError(timeoutMs, error), retryable: true, reason: 'timeout' }
    return { kind: 'failure', error, retryable: isNetworkFailure(error), reason: networkCode(error) }
  }
}

function timeoutError(timeoutMs: number, cause: unknown): Error {
  return Object.assign(new Error(`no answer within ${timeoutMs} ms`, { cause }), { code: 'ETIMEDOUT' })
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

function networkCode(error: unknown): string {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    if (current.message === 'socket hang up') return 'ECONNRESET'
    current = current.cause
  }
  return 'network'
}

function isNetworkFailure(error: unknown): boolean {
  return networkCodes.has(networkCode(error))
}
