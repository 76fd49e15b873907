import { Counter, Gauge, type Registry } from 'prom-client'

export type ChainMetrics = {
  identityChanged: Gauge<'chain'>
  rpcRetries: Counter<'chain' | 'reason'>
}

/** Metrics of the chains' health, in the registry it is given (never prom-client's global one). */
export function createChainMetrics(registry: Registry): ChainMetrics {
  const registers = [registry]
  return {
    identityChanged: new Gauge({
      name: 'intentgate_chain_identity_changed',
      help: "1 while a chain's genesis differs from the one first seen: sponsorship and relay on it are halted.",
      labelNames: ['chain'],
      registers,
    }),
    rpcRetries: new Counter({
      name: 'intentgate_chain_rpc_retries_total',
      help: 'Chain RPC reads sent again after a timeout, a 429/5xx or a lost connection, by reason.',
      labelNames: ['chain', 'reason'],
      registers,
    }),
  }
}
