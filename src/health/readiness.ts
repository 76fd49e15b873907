import type { Redis } from 'ioredis'
import type { PublicClient } from 'viem'
import type { ChainIdentity } from '../chain/chainIdentity.js'

export type DependencyReport = {
  name: string
  ok: boolean
  latencyMs: number
  error?: string
  chainId?: number
  blockNumber?: string
}

export type ReadinessReport = {
  status: 'ready' | 'not_ready'
  checks: DependencyReport[]
  /** What the chain addresses came from, e.g. the Anvil fixture, so a newcomer sees what they run against. */
  addresses?: { source: string; chainId: number }
  /** The active policy revision and bundle digest. */
  policy?: { revision: string; digest: string }
  /** This process's transparency log. */
  log?: { origin: string; size: number }
  /** Relayer keys and their balances; `warnings` name keys below the minimum balance. */
  relayers?: {
    chains: {
      chainId: number
      keys: { address: string; balanceWei: string; low: boolean; drained?: boolean }[]
    }[]
    warnings: string[]
  }
}

export type ReadinessProbe = () => Promise<ReadinessReport>

export type ServedChain = {
  chainId: number
  client: Pick<PublicClient, 'getChainId' | 'getBlockNumber'>
}

export type CreateReadinessProbeParameters = {
  redis: Pick<Redis, 'ping'>
  chains: ServedChain[]
  timeoutMs: number
  addresses?: ReadinessReport['addresses']
  /** State to report beside the checks, read at probe time. */
  describe?: () => Pick<ReadinessReport, 'policy' | 'log'>
  /** Relayer balances, read at probe time; a failure to read them is reported, never thrown. */
  relayers?: () => Promise<NonNullable<ReadinessReport['relayers']>>
  /** Each chain's genesis watch: a chain replaced under its RPC URL is not ready. */
  identities?: readonly Pick<ChainIdentity, 'chainId' | 'state'>[]
}

/**
 * Probes Redis and every served chain in parallel, each bounded by `timeoutMs`. A chain whose RPC
 * reports another chain id than configured is not ready: serving it would sign for the wrong chain.
 */
export function createReadinessProbe(parameters: CreateReadinessProbeParameters): ReadinessProbe {
  const { redis, chains, timeoutMs, addresses, describe, relayers, identities = [] } = parameters
  return async function probeReadiness() {
    const relayerReport = relayers
      ? await relayers().catch((error: unknown) => ({
          chains: [],
          warnings: [`relayer balances unavailable: ${safeMessage(error)}`],
        }))
      : undefined
    const checks = await Promise.all([
      timed('redis', timeoutMs, async () => {
        await redis.ping()
        return {}
      }),
      ...chains.map((chain) =>
        timed(`chain:${chain.chainId}`, timeoutMs, async () => {
          const [chainId, blockNumber] = await Promise.all([
            chain.client.getChainId(),
            chain.client.getBlockNumber(),
          ])
          if (chainId !== chain.chainId)
            throw new Error(`RPC reports chain ${chainId}, expected ${chain.chainId}`)
          return { chainId, blockNumber: blockNumber.toString() }
        }),
      ),
      ...identities.map(identityReport),
    ])
    return {
      status: checks.every((check) => check.ok) ? 'ready' : 'not_ready',
      checks,
      ...(addresses ? { addresses } : {}),
      ...describe?.(),
      ...(relayerReport ? { relayers: relayerReport } : {}),
    }
  }
}

/** The genesis watch as a check: what it last saw, read from memory (the watch polls on its own). */
function identityReport(identity: Pick<ChainIdentity, 'chainId' | 'state'>): DependencyReport {
  const name = `chain:${identity.chainId}:genesis`
  const state = identity.state()
  if (state.status === 'matches') return { name, ok: true, latencyMs: 0, chainId: identity.chainId }
  const error =
    state.status === 'changed'
      ? `CHAIN_IDENTITY_CHANGED: genesis ${state.actual}, expected ${state.expected}; sponsorship and relay are halted until it matches again or an operator accepts it`
      : `genesis not read yet${state.error ? `: ${safeMessage(new Error(state.error))}` : ''}`
  return { name, ok: false, latencyMs: 0, chainId: identity.chainId, error }
}

async function timed(
  name: string,
  timeoutMs: number,
  probe: () => Promise<Partial<DependencyReport>>,
): Promise<DependencyReport> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    const extra = await Promise.race([probe(), timeout])
    return { name, ok: true, latencyMs: elapsed(started), ...extra }
  } catch (error) {
    // Only the message: RPC errors can embed the URL, and the URL can embed a key.
    return { name, ok: false, latencyMs: elapsed(started), error: safeMessage(error) }
  } finally {
    clearTimeout(timer)
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10
}

function safeMessage(error: unknown): string {
  const message =
    error instanceof Error
      ? ((error as { shortMessage?: string }).shortMessage ?? error.message)
      : String(error)
  return message.replace(/https?:\/\/\S+/g, '<url>').slice(0, 200)
}
