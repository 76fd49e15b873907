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
   * usable key round robin, or undefined when every key is drained. Allocates nothing: the bundle
   * job simulates with the key as beneficiary first and must not burn a nonce on a rejected op.
   * Throws a RangeError for a txId shaped like a ledger member (see `assertTxId`).
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
 * The pool's one rule for choosing a key, written once and composed into both scripts below, so
 * the bundle job (pick, then simulate, then allocate) and the relay job (pick and allocate at once)
 * cannot choose differently. `pick_key()` returns the 1-based index of the key for the txId and the
 * nonce the txId already holds there (nil for a new choice), or 0 when every key is drained.
 *
 * KEYS: round-robin counter, drained hash, then each key's nonce `next` and `ledger`. ARGV: txId,
 * then each key's lower-case address.
 */
const pickKeyLua = `
local tx_id = ARGV[1]
local key_count = #ARGV - 1
local function next_key_of(i) return KEYS[1 + 2 * i] end
local function ledger_key_of(i) return KEYS[2 + 2 * i] end
local function pick_key()
  -- A txId holding a nonce keeps its key, drained or not: that nonce must be used or burned there.
  for i = 1, key_count do
    local held = redis.call('ZSCORE', ledger_key_of(i), tx_id)
    if held then return i, tonumber(held) end
  end
  local turn = redis.call('INCR', KEYS[1])
  for offset = 0, key_count - 1 do
    local i = (turn + offset) % key_count + 1
    if redis.call('HEXISTS', KEYS[2], ARGV[1 + i]) == 0 then return i, nil end
  end
  return 0, nil
end
`

// Returns the index of `pick_key`, allocating nothing.
const pickScript = luaScript(`${pickKeyLua}
local index = pick_key()
return index
`)

// Returns {index, nonce}: `pick_key`'s choice and the nonce held or allocated there for the txId
// (-1 when that key's ledger was never reconciled, or when every key is drained).
const pickAndAllocateScript = luaScript(`${allocateNonceLua}${pickKeyLua}
local index, held = pick_key()
if index == 0 then return {0, -1} end
if held then return {index, held} end
return {index, allocate_nonce(next_key_of(index), ledger_key_of(index), tx_id)}
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
  const scriptKeys = [
    counterKey,
    drainedKey,
    ...keys.flatMap(({ signer }) => {
      const { next, ledger } = nonceKeys(nonceKeyBase(prefix, chainId, signer.address))
      return [next, ledger]
    }),
  ]
  const addresses = keys.map(({ signer }) => signer.address.toLowerCase())
  const byAddress = (address: string) =>
    keys.find((key) => key.signer.address.toLowerCase() === address.toLowerCase())
  return {
    chainId,
    keys,
    byAddress,
    async pick(txId) {
      assertTxId(txId)
      if (keys.length === 0) return undefined
      const index = Number(await pickScript.run(redis, scriptKeys, [txId, ...addresses]))
      return keys[index - 1]
    },
    async pickAndAllocate(txId) {
      assertTxId(txId)
      if (keys.length === 0) return undefined
      const [index, nonce] = (await pickAndAllocateScript.run(redis, scriptKeys, [txId, ...addresses])) as [
        number,
        number,
      ]
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
