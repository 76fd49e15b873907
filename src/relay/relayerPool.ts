import type { Redis } from 'ioredis'
import type { Address } from 'viem'
import { luaScript } from '../redis/luaScript.js'
import {
  allocateNonceLua,
  assertTxId,
  createNonceManager,
  type NonceManager,
  nonceKeyBase,
  nonceKeys,
} from './nonceManager.js'
import type { Signer } from './signer.js'

/** One relayer key of a chain: what signs, and the ledger of its nonces. */
export type RelayerKey = { signer: Signer; nonces: NonceManager }

/**
 * The relayer keys of one chain. Jobs are spread over the keys round robin, through a counter in
 * Redis so every worker process spreads the same way; a key that ran out of funds is taken out of
 * the pool (for every process) until the balance check sees it funded again, instead of failing
 * job after job.
 *
 * Keys (see src/redis/keys.ts): {p}relay:rr:{chainId} STRING round-robin counter;
 * {p}relay:drained:{chainId} HASH address -> why it left the pool.
 */
export type RelayerPool = {
  readonly chainId: number
  readonly keys: readonly RelayerKey[]
  /**
   * The key for `txId`: the one already holding a nonce for it (a job that crashed between
   * allocating and broadcasting must not leave that nonce behind on another key), else the next
   * usable key round robin, or undefined when every key is drained.
   */
  pick(txId: string): Promise<RelayerKey | undefined>
  /**
   * {@link RelayerPool.pick} and the picked key's nonce allocation for `txId`, in one atomic step.
   * `nonce` is undefined when the picked key's ledger was never reconciled: reconcile it, then
   * allocate on it.
   */
  pickAndAllocate(txId: string): Promise<{ key: RelayerKey; nonce: number | undefined } | undefined>
  byAddress(address: string): RelayerKey | undefined
  markDrained(address: Address, why: string): Promise<void>
  restore(address: Address): Promise<boolean>
  /** Lower-case addresses out of the pool, with why. */
  drained(): Promise<Record<string, string>>
}

/*
 * KEYS: round-robin counter, drained hash, then each key's nonce `next` and `ledger`. ARGV: txId,
 * then each key's lower-case address. Returns {index (1-based, 0 when every key is drained),
 * nonce (-1 when that key was never reconciled)}. The same choice as `pick`, and the allocation
 * of `allocate`, without a command in between.
 */
const pickAndAllocateScript = luaScript(`${allocateNonceLua}
local count = #ARGV - 1
for i = 1, count do
  local held = redis.call('ZSCORE', KEYS[2 + 2 * i], ARGV[1])
  if held then return {i, tonumber(held)} end
end
local turn = redis.call('INCR', KEYS[1])
for offset = 0, count - 1 do
  local i = (turn + offset) % count + 1
  if redis.call('HEXISTS', KEYS[2], ARGV[1 + i]) == 0 then
    return {i, allocate_nonce(KEYS[1 + 2 * i], KEYS[2 + 2 * i], ARGV[1])}
  end
end
return {0, -1}
`)

export function createRelayerPool(parameters: {
  redis: Redis
  prefix: string
  chainId: number
  signers: readonly Signer[]
  maxDrift?: number
}): RelayerPool {
  const { redis, prefix, chainId, signers } = parameters
  const keys: RelayerKey[] = signers.map((signer) => ({
    signer,
    nonces: createNonceManager({
      redis,
      prefix,
      chainId,
      address: signer.address,
      ...(parameters.maxDrift === undefined ? {} : { maxDrift: parameters.maxDrift }),
    }),
  }))
  const counterKey = `${prefix}relay:rr:${chainId}`
  const drainedKey = `${prefix}relay:drained:${chainId}`
  const byAddress = (address: string) =>
    keys.find((key) => key.signer.address.toLowerCase() === address.toLowerCase())
  return {
    chainId,
    keys,
    byAddress,
    async pick(txId) {
      if (keys.length === 0) return undefined
      const held = await Promise.all(keys.map((key) => key.nonces.heldBy(txId)))
      const holder = keys[held.findIndex((nonce) => nonce !== null)]
      if (holder) return holder
      const [turn, drained] = await Promise.all([redis.incr(counterKey), redis.hkeys(drainedKey)])
      const out = new Set(drained)
      for (let offset = 0; offset < keys.length; offset++) {
        const key = keys[(turn + offset) % keys.length]
        if (key && !out.has(key.signer.address.toLowerCase())) return key
      }
      return undefined
    },
    async pickAndAllocate(txId) {
      assertTxId(txId)
      if (keys.length === 0) return undefined
      const ledgers = keys.flatMap(({ signer }) => {
        const { next, ledger } = nonceKeys(nonceKeyBase(prefix, chainId, signer.address))
        return [next, ledger]
      })
      const [index, nonce] = (await pickAndAllocateScript.run(
        redis,
        [counterKey, drainedKey, ...ledgers],
        [txId, ...keys.map(({ signer }) => signer.address.toLowerCase())],
      )) as [number, number]
      const key = keys[index - 1]
      if (!key) return undefined
      return { key, nonce: nonce < 0 ? undefined : nonce }
    },
    async markDrained(address, why) {
      await redis.hset(drainedKey, address.toLowerCase(), why)
    },
    async restore(address) {
      return (await redis.hdel(drainedKey, address.toLowerCase())) === 1
    },
    drained: () => redis.hgetall(drainedKey),
  }
}
