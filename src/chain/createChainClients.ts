import { createPublicClient, http, type PublicClient } from 'viem'
import type { Secret } from '../config/secret.js'

export type ChainClient = { chainId: number; client: PublicClient }

/**
 * One viem public client per served chain. Transports time out and retry a bounded number of
 * times so a stalled RPC cannot hold a request forever. `fetchFn`, when given, is what the
 * transport fetches with: main passes the outbound guard, which checks every address it
 * connects to (see src/net/guardedFetch.ts).
 */
export function createChainClients(
  chains: { chainId: number; rpcUrl: Secret }[],
  options: { timeoutMs: number; fetchFn?: typeof fetch },
): ChainClient[] {
  return chains.map(({ chainId, rpcUrl }) => ({
    chainId,
    client: createPublicClient({
      transport: http(rpcUrl.reveal(), {
        timeout: options.timeoutMs,
        retryCount: 2,
        retryDelay: 100,
        ...(options.fetchFn ? { fetchFn: options.fetchFn } : {}),
      }),
    }),
  }))
}
