import { Counter, Gauge, type Registry } from 'prom-client'

export type RelayMetrics = {
  relayerBalance: Gauge<'chain' | 'address'>
  inFlight: Gauge<'chain'>
  relayOutcomes: Counter<'chain' | 'status'>
  relayJobs: Counter<'chain' | 'result'>
  /** Wei paid on chain for settled requests, relayed or sponsored, per template. */
  gasSpent: Counter<'chain' | 'template'>
}

/** The relay's metrics, in the registry it is given (never prom-client's global one). */
export function createRelayMetrics(registry: Registry): RelayMetrics {
  const registers = [registry]
  return {
    relayerBalance: new Gauge({
      name: 'intentgate_relayer_balance_wei',
      help: 'Balance of each relayer key, in wei, as last read by the receipt monitor.',
      labelNames: ['chain', 'address'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'intentgate_relay_in_flight',
      help: 'Relayed transactions broadcast and not yet final.',
      labelNames: ['chain'],
      registers,
    }),
    relayOutcomes: new Counter({
      name: 'intentgate_relay_outcomes_total',
      help: 'Relayed requests that ended, by final status.',
      labelNames: ['chain', 'status'],
      registers,
    }),
    relayJobs: new Counter({
      name: 'intentgate_relay_jobs_total',
      help: 'Relay job runs, by result (submitted, already-done, failed, retry).',
      labelNames: ['chain', 'result'],
      registers,
    }),
    gasSpent: new Counter({
      name: 'intentgate_gas_spent_wei_total',
      help: 'Wei paid for gas by settled requests (relayed meta-transactions and sponsored user operations), per chain and template.',
      labelNames: ['chain', 'template'],
      registers,
    }),
  }
}
