import { createPublicClient, http, type PublicClient } from 'viem'
import type { Secret } from '../config/secret.js'

export type ChainClient = { chainId: number; client: PublicClient }

/**
 * One viem public client per served chain. Transports time out and retry a bounded number of
 * times so a stalled RPC cannot hold a request forever.
 */
export function createChainClients(
  chains: { chainId: number; rpcUrl: Secret }[],
  options: { timeoutMs: number },
): ChainClient[] {
  return chains.map(({ chainId, rpcUrl }) => ({
    chainId,
    client: createPublicClient({
      transport: http(rpcUrl.reveal(), { timeout: options.timeoutMs, retryCount: 2, retryDelay: 100 }),
    }),
  }))
}
