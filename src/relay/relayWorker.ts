import { randomUUID } from 'node:crypto'
import { UnrecoverableError, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import type { PublicClient } from 'viem'
import type { Attestor } from '../attest/attestationLog.js'
import type { ChainIdentity } from '../chain/chainIdentity.js'
import type { Config } from '../config/schema.js'
import type { KillSwitch } from '../killSwitch/killSwitch.js'
import type { LimitStore } from '../limits/reserveLimits.js'
import type { Logger } from '../observability/logger.js'
import type { RequestStore } from '../requests/requestStore.js'
import type { InstanceStore } from '../templates/instances.js'
import type { TemplateRegistry } from '../templates/registry.js'
import { reconcileKey } from './broadcast.js'
import { createInFlightGate, type InFlightGate } from './inFlightGate.js'
import { createReceiptMonitor, type ReceiptMonitor, runExclusive } from './receiptMonitor.js'
import type { RelayerPool } from './relayerPool.js'
import { parseRelayJob } from './relayJob.js'
import type { RelayMetrics } from './relayMetrics.js'
import { type RelayQueues, relayQueueName } from './relayQueue.js'
import { createRelayTransactionStore } from './relayTransactionStore.js'
import { RelayRetryError, submitRelayJob } from './submitRelayJob.js'
import { submitUserOperationJob } from './submitUserOperationJob.js'

export type RelayChain = {
  chainId: number
  client: PublicClient
  pool: RelayerPool
  /** While the chain's genesis differs from the one first seen, nothing is broadcast or settled on it. */
  identity?: Pick<ChainIdentity, 'assertUnchanged'>
}

export type RelayWorkerDeps = {
  redisUrl: string
  /** The command connection (fails fast while Redis is down). */
  redis: Redis
  prefix: string
  chains: readonly RelayChain[]
  queues: RelayQueues
  attestor: Attestor
  requests: RequestStore
  limits: LimitStore
  killSwitch: Pick<KillSwitch, 'check'>
  instances: Pick<InstanceStore, 'get'>
  registry: Pick<TemplateRegistry, 'state'>
  settings: Config['relay']
  logger: Logger
  metrics?: RelayMetrics
}

export type RelayWorker = {
  /** Reconciles every key's nonces with its chain, then starts the job workers and the monitors. */
  start(): Promise<void>
  /** Stops taking jobs, lets running ones finish, stops the monitors, closes connections. */
  stop(): Promise<void>
  /** The monitors, for tests that drive a tick directly. */
  monitors: ReadonlyMap<number, ReceiptMonitor>
}

/** Delay before the n-th retry of a job: doubling from half a second, never above 15 s. */
export function relayRetryDelayMs(attemptsMade: number): number {
  return Math.min(500 * 2 ** Math.max(0, attemptsMade - 1), 15_000)
}

const balanceEveryMs = 15_000
const sweepAfterMs = 10_000
/** How often the inbox is swept, at most, however short the poll interval. */
const sweepEveryMs = 1_000

/**
 * The worker role: one BullMQ worker per chain that submits jobs (meta-transactions, and
 * self-bundled user operations), and one receipt monitor per
 * chain (run by one process at a time) that follows what was broadcast to the end.
 */
export function createRelayWorker(deps: RelayWorkerDeps): RelayWorker {
  const { settings, logger } = deps
  const owner = randomUUID()
  const transactions = createRelayTransactionStore({ redis: deps.redis, prefix: deps.prefix })
  const now = () => Date.now()
  const monitors = new Map<number, ReceiptMonitor>()
  // One per chain: jobs wait here for a place among the chain's transactions in flight.
  const gates = new Map<number, InFlightGate>()
  const gateOf = (chain: RelayChain) => {
    const existing = gates.get(chain.chainId)
    if (existing) return existing
    const gate = createInFlightGate({
      limit: settings.maxInFlightPerKey * chain.pool.keys.length,
      // Mined transactions waiting for their confirmations are out of the node's pool and cost the
      // monitor little: counted, they would cap throughput at the cap per confirmation depth.
      inFlight: () => transactions.unmined(chain.chainId),
      recheckMs: settings.pollIntervalMs,
      // Checked again after the wait, however long it was, as before it: held, not failed.
      admit: () => chain.identity?.assertUnchanged(),
      stopping: () => new RelayRetryError('the worker is stopping'),
    })
    gates.set(chain.chainId, gate)
    return gate
  }
  // What the job processor and the monitor of one chain both work with.
  const chainDeps = (chain: RelayChain) => ({
    node: chain.client,
    pool: chain.pool,
    transactions,
    requests: deps.requests,
    limits: deps.limits,
    attestor: deps.attestor,
    now,
    replaceAfterMs: settings.replaceAfterMs,
  })
  for (const chain of deps.chains) {
    monitors.set(
      chain.chainId,
      createReceiptMonitor({
        ...chainDeps(chain),
        chainId: chain.chainId,
        enqueue: (job) => deps.queues.enqueue(job),
        maxReplacements: settings.maxReplacements,
        confirmations: settings.confirmations,
        minBalanceWei: BigInt(settings.minBalanceWei),
        redis: deps.redis,
        prefix: deps.prefix,
        logger: logger.child({ component: 'receipt-monitor', chainId: chain.chainId }),
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      }),
    )
  }
  const workers: Worker[] = []
  let connection: Redis | undefined
  let stopped = false
  const loops: Promise<void>[] = []

  async function monitorLoop(chain: RelayChain, monitor: ReceiptMonitor) {
    let lastBalances = 0
    let lastSweep = 0
    const leaseKey = `${deps.prefix}relay:monitor:${chain.chainId}`
    const chainLogger = logger.child({ component: 'receipt-monitor', chainId: chain.chainId })
    while (!stopped) {
      try {
        // A replaced chain has none of our transactions: settling against it would re-send them.
        if (isHalted(chain)) {
          await sleep(settings.pollIntervalMs)
          continue
        }
        await runExclusive(
          deps.redis,
          { key: leaseKey, owner, leaseMs: Math.max(5_000, settings.pollIntervalMs * 5) },
          async () => {
            await monitor.tick()
            // What the tick settled leaves flight: jobs waiting for a place need not wait out a recheck.
            gates.get(chain.chainId)?.wake()
            if (now() - lastSweep >= sweepEveryMs) {
              lastSweep = now()
              await deps.queues.sweepInbox(chain.chainId, deps.requests, sweepAfterMs)
            }
          },
        )
        if (now() - lastBalances >= balanceEveryMs) {
          lastBalances = now()
          await monitor.checkBalances()
        }
      } catch (error) {
        // A node or Redis outage: the next tick tries again; nothing is lost meanwhile.
        chainLogger.warn({ err: errorMessage(error) }, 'receipt monitor tick failed')
      }
      await sleep(settings.pollIntervalMs)
    }
  }

  return {
    monitors,
    async start() {
      for (const chain of deps.chains) {
        for (const key of chain.pool.keys) {
          const report = await reconcileKey(chain.client, key).catch((error: unknown) => {
            logger.warn(
              { address: key.signer.address, err: errorMessage(error) },
              'nonce reconcile at start failed',
            )
            return undefined
          })
          if (report && report.action !== 'in-sync')
            logger.info({ address: key.signer.address, ...report }, 'nonces reconciled')
        }
      }
      connection = new Redis(deps.redisUrl, {
        maxRetriesPerRequest: null,
        connectionName: 'intentgate-relay',
      })
      for (const chain of deps.chains) {
        const chainLabel = String(chain.chainId)
        const jobDeps = {
          ...chainDeps(chain),
          killSwitch: deps.killSwitch,
          instances: deps.instances,
          registry: deps.registry,
          logger: logger.child({ component: 'relay-worker', chainId: chain.chainId }),
          inFlight: gateOf(chain),
        }
        const worker = new Worker(
          relayQueueName(chain.chainId),
          async (bullJob) => {
            let job: ReturnType<typeof parseRelayJob>
            try {
              job = parseRelayJob(bullJob.data)
            } catch (error) {
              throw new UnrecoverableError(errorMessage(error))
            }
            try {
              // Held, not failed: the job runs again with backoff once the chain is the right one.
              chain.identity?.assertUnchanged()
              const result =
                job.kind === 'user-op'
                  ? await submitUserOperationJob(jobDeps, job)
                  : await submitRelayJob(jobDeps, job)
              deps.metrics?.relayJobs.inc({ chain: chainLabel, result: result.kind })
              // Every result means the request left `queued`. Should this fail, the sweep drops it.
              await deps.queues.release(chain.chainId, job.requestDigest).catch((error: unknown) => {
                jobDeps.logger.warn(
                  { id: job.requestDigest, err: errorMessage(error) },
                  'inbox release failed',
                )
              })
              return result
            } catch (error) {
              deps.metrics?.relayJobs.inc({ chain: chainLabel, result: 'retry' })
              jobDeps.logger.warn({ id: job.requestDigest, err: errorMessage(error) }, 'relay job will retry')
              throw error
            }
          },
          {
            connection,
            prefix: `${deps.prefix}bull`,
            concurrency: settings.concurrency,
            lockDuration: settings.jobLockMs,
            stalledInterval: Math.max(1_000, Math.floor(settings.jobLockMs / 2)),
            maxStalledCount: 1_000,
            settings: { backoffStrategy: relayRetryDelayMs },
          },
        )
        worker.on('error', (error) => jobDeps.logger.warn({ err: errorMessage(error) }, 'relay worker error'))
        workers.push(worker)
        const monitor = monitors.get(chain.chainId)
        if (monitor) loops.push(monitorLoop(chain, monitor))
      }
    },
    async stop() {
      stopped = true
      // Before the workers close: a job waiting for a place would wait for the monitors stopping now.
      for (const gate of gates.values()) gate.close()
      await Promise.all(workers.map((worker) => worker.close()))
      await Promise.all(loops)
      await connection?.quit().catch(() => connection?.disconnect())
    },
  }
}

function isHalted(chain: RelayChain): boolean {
  try {
    chain.identity?.assertUnchanged()
    return false
  } catch {
    return true
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function errorMessage(error: unknown): string {
  const message =
    error instanceof Error
      ? ((error as { shortMessage?: string }).shortMessage ?? error.message)
      : String(error)
  return message.replace(/https?:\/\/\S+/g, '<url>').slice(0, 300)
}
