import { createPublicClient, type PublicClient } from 'viem'
import type { Secret } from '../config/secret.js'
import { createOutboundConnector } from '../net/guardedFetch.js'
import type { OutboundPolicy } from '../net/outboundAddress.js'
import { jsonRpcTransport } from './jsonRpcTransport.js'
import type { RpcRetryPolicy } from './rpcRetry.js'

export type ChainClient = { chainId: number; client: PublicClient }

/**
 * One viem public client per served chain, over keep-alive `node:http` connections (see
 * jsonRpcTransport.ts). Each attempt times out; reads that time out, get a 5xx or lose their
 * connection are retried with capped, jittered backoff, and state-changing calls are sent once;
 * reads issued together may share one JSON-RPC batch.
 * Every address connected to is checked against `outbound` (private networks allowed when it is
 * not given; link-local and metadata addresses never; see src/net/outboundAddress.ts).
 */
export function createChainClients(
  chains: { chainId: number; rpcUrl: Secret }[],
  options: {
    retry: RpcRetryPolicy
    /** Most reads in one JSON-RPC batch; 1 (the default) sends every call alone. */
    batchMax?: number
    outbound?: OutboundPolicy
    onRetry?: (chainId: number, reason: string) => void
  },
): ChainClient[] {
  const outbound = createOutboundConnector(options.outbound ?? { private: 'allow' })
  return chains.map(({ chainId, rpcUrl }) => ({
    chainId,
    client: createPublicClient({
      transport: jsonRpcTransport(rpcUrl.reveal(), {
        retry: options.retry,
        outbound,
        ...(options.batchMax ? { batchMax: options.batchMax } : {}),
        ...(options.onRetry ? { onRetry: (reason: string) => options.onRetry?.(chainId, reason) } : {}),
      }),
    }),
  }))
}
