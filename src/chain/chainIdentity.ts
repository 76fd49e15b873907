import type { Redis } from 'ioredis'
import type { Hex, PublicClient } from 'viem'
import { IntentGateError } from '../errors/index.js'
import type { Logger } from '../observability/logger.js'

/**
 * What this process knows of a chain's identity: its genesis block hash against the one pinned
 * in Redis when the chain was first seen. A chain replaced under the same RPC URL (a node
 * restarted with a new genesis, an operator pointing the URL elsewhere) keeps its chain id, and
 * its contracts may sit at the same addresses, so only the genesis tells it apart; everything the
 * gateway signed or counted belongs to the old one.
 */
export type ChainIdentityState =
  | { status: 'unchecked'; error?: string }
  | { status: 'matches'; genesis: Hex }
  | { status: 'changed'; expected: Hex; actual: Hex }

export type ChainIdentity = {
  chainId: number
  state(): ChainIdentityState
  /** Reads block 0 and compares it with the pin (pinning it if none is kept yet). */
  check(): Promise<ChainIdentityState>
  /** Operator action: pins the chain's current genesis, ending a halt. Returns it. */
  accept(): Promise<Hex>
  /** Throws CHAIN_IDENTITY_CHANGED (503) while halted, and DEPENDENCY_UNAVAILABLE while never checked. */
  assertUnchanged(): void
  start(): void
  stop(): void
}

/**
 * Watches one chain's genesis every `intervalMs`. While it differs from the pin, sponsorship and
 * relay on the chain halt (they call {@link ChainIdentity.assertUnchanged}), `/readyz` says why,
 * and `onChange` is told (for the metric). It resumes by itself once the chain matches again, or
 * when an operator accepts the new genesis. An RPC that cannot be read leaves the state as it was.
 */
export function createChainIdentity(parameters: {
  chainId: number
  client: Pick<PublicClient, 'getBlock'>
  redis: Pick<Redis, 'set' | 'get'>
  /** The Redis key of the pinned genesis (see src/redis/keys.ts). */
  key: string
  intervalMs: number
  logger: Logger
  onChange?: (state: ChainIdentityState) => void
}): ChainIdentity {
  const { chainId, client, redis, key, intervalMs, logger, onChange } = parameters
  let current: ChainIdentityState = { status: 'unchecked' }
  let timer: NodeJS.Timeout | undefined
  let running: Promise<ChainIdentityState> | undefined

  const settle = (next: ChainIdentityState) => {
    const before = current
    current = next
    if (before.status !== next.status) {
      if (next.status === 'changed')
        logger.error(
          { chainId, expected: next.expected, actual: next.actual },
          'chain genesis changed: sponsorship and relay halt until it matches again or an operator accepts it',
        )
      else if (next.status === 'matches' && before.status === 'changed')
        logger.warn({ chainId, genesis: next.genesis }, 'chain genesis matches again: resuming')
      onChange?.(next)
    }
    return next
  }

  const readGenesis = async (): Promise<Hex> => {
    const block = await client.getBlock({ blockNumber: 0n })
    if (!block.hash) throw new Error('block 0 has no hash')
    return block.hash
  }

  const check = () => {
    running ??= (async () => {
      try {
        const actual = await readGenesis()
        // The first process to see the chain pins it; every other compares with that pin.
        await redis.set(key, actual, 'NX')
        const expected = (await redis.get(key)) as Hex | null
        if (!expected) throw new Error('the pinned genesis vanished')
        return settle(
          expected.toLowerCase() === actual.toLowerCase()
            ? { status: 'matches', genesis: actual }
            : { status: 'changed', expected, actual },
        )
      } catch (error) {
        if (current.status === 'unchecked') current = { status: 'unchecked', error: (error as Error).message }
        return current
      } finally {
        running = undefined
      }
    })()
    return running
  }

  return {
    chainId,
    state: () => current,
    check,
    async accept() {
      const actual = await readGenesis()
      await redis.set(key, actual)
      logger.warn({ chainId, genesis: actual }, 'an operator accepted the chain genesis')
      settle({ status: 'matches', genesis: actual })
      return actual
    },
    assertUnchanged() {
      if (current.status === 'matches') return
      if (current.status === 'changed') {
        throw new IntentGateError('CHAIN_IDENTITY_CHANGED', 'The chain was replaced', {
          details: `chain ${chainId}: genesis ${current.actual}, expected ${current.expected}`,
        })
      }
      throw new IntentGateError('DEPENDENCY_UNAVAILABLE', 'A dependency is unavailable', {
        details: `chain ${chainId}: its genesis could not be read yet`,
      })
    },
    start() {
      if (timer) return
      timer = setInterval(() => void check(), intervalMs)
      timer.unref()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
    },
  }
}
