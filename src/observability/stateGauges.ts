import { Gauge, type Registry } from 'prom-client'
import type { TransparencyLog } from '../attest/transparencyLog.js'
import type { LimitUsage } from '../limits/limitUsage.js'
import type { PolicyStore } from '../policy/policyStore.js'

/** Where the state gauges read from when Prometheus scrapes. */
export type StateGaugeSources = {
  policies: Pick<PolicyStore, 'current'>
  log: Pick<TransparencyLog, 'size' | 'latestCheckpoint' | 'latestCheckpointAt'>
  /** Relay queues, in processes that have them. */
  queues?: { chainIds: readonly number[]; depth(chainId: number): Promise<number> }
  /** How full the instance, template and global limits are (see src/limits/limitUsage.ts). */
  limitUsage?: () => Promise<LimitUsage[]>
  /** Milliseconds since the epoch. */
  now?: () => number
}

/**
 * Gauges of the gateway's state, read at scrape time rather than kept up to date on the request
 * path: the active policy, the log's size and checkpoint age, relay queue depth, and limit
 * utilisation. A source that fails (Redis down) leaves its gauge empty for that scrape instead of
 * failing the whole scrape: an absent series is what alerts on staleness see.
 */
export function registerStateGauges(registry: Registry, sources: StateGaugeSources): void {
  const now = sources.now ?? Date.now
  const registers = [registry]
  new Gauge({
    name: 'intentgate_policy_info',
    help: 'The active policy: always 1, labelled with its revision and bundle digest.',
    labelNames: ['revision', 'digest'],
    registers,
    collect() {
      this.reset()
      const { revision, digest } = sources.policies.current()
      this.set({ revision, digest }, 1)
    },
  })
  new Gauge({
    name: 'intentgate_log_entries',
    help: "Entries in this process's transparency log.",
    registers,
    collect() {
      this.set(sources.log.size())
    },
  })
  new Gauge({
    name: 'intentgate_log_uncheckpointed_entries',
    help: 'Durable log entries that no signed checkpoint covers yet.',
    registers,
    collect() {
      this.set(sources.log.size() - sources.log.latestCheckpoint().size)
    },
  })
  new Gauge({
    name: 'intentgate_log_checkpoint_age_seconds',
    help: 'Seconds since the latest checkpoint was signed (or adopted when the log opened).',
    registers,
    collect() {
      this.set(Math.max(0, (now() - sources.log.latestCheckpointAt()) / 1000))
    },
  })
  const { queues, limitUsage } = sources
  if (queues) {
    new Gauge({
      name: 'intentgate_relay_queue_depth',
      help: 'Relay jobs waiting, delayed or running, per chain.',
      labelNames: ['chain'],
      registers,
      async collect() {
        this.reset()
        for (const chainId of queues.chainIds) {
          const depth = await queues.depth(chainId).catch(() => undefined)
          if (depth !== undefined) this.set({ chain: String(chainId) }, depth)
        }
      },
    })
  }
  if (limitUsage) {
    new Gauge({
      name: 'intentgate_limit_utilisation_ratio',
      help: 'Fullest counter of each template limit (instance, template and global scope) in its current window: used / max.',
      labelNames: ['template', 'limit'],
      registers,
      async collect() {
        this.reset()
        const usage = await limitUsage().catch(() => [])
        for (const [key, ratio] of highestByLimit(usage)) {
          const [template = '', limit = ''] = key.split('\n')
          this.set({ template, limit }, ratio)
        }
      },
    })
  }
}

/** The highest ratio per template and limit id: bounded labels, however many instances there are. */
export function highestByLimit(usage: readonly LimitUsage[]): Map<string, number> {
  const highest = new Map<string, number>()
  for (const entry of usage) {
    const key = `${entry.templateId}\n${entry.limitId}`
    highest.set(key, Math.max(highest.get(key) ?? 0, entry.ratio))
  }
  return highest
}
