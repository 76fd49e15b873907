import { createPublicClient, http, type PublicClient } from 'viem'
import type { Secret } from '../config/secret.js'
import { createRetryingFetch, type RpcRetryPolicy, worstCaseMs } from './retryingFetch.js'

export type ChainClient = { chainId: number; client: PublicClient }

/**
 * One viem public client per served chain. Each attempt times out; reads that time out, get a
 * 5xx or lose their connection are retried with capped, jittered backoff (see retryingFetch.ts),
 * and state-changing calls are sent once. `fetchFn`, when given, is what the transport fetches
 * with: main passes the outbound guard, which checks every address it connects to (see
 * src/net/guardedFetch.ts).
 */
export function createChainClients(
  chains: { chainId: number; rpcUrl: Secret }[],
  options: {
    retry: RpcRetryPolicy
    fetchFn?: typeof fetch
    onRetry?: (chainId: number, reason: string) => void
  },
): ChainClient[] {
  return chains.map(({ chainId, rpcUrl }) => ({
    chainId,
    client: createPublicClient({
      transport: http(rpcUrl.reveal(), {
        // Retries happen below, where a read can be told from a write; viem's own would resend both.
        retryCount: 0,
        timeout: worstCaseMs(options.retry) + 1_000,
        fetchFn: createRetryingFetch(options.fetchFn ?? fetch, options.retry, {
          ...(options.onRetry ? { onRetry: (reason) => options.onRetry?.(chainId, reason) } : {}),
        }),
      }),
    }),
  }))
}
