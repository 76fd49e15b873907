import type { Redis } from 'ioredis'
import type { Address, Hex } from 'viem'
import { luaScript } from '../redis/luaScript.js'

/**
 * Transactions the relayer has signed and not yet seen final, in Redis, so any worker process can
 * take over another's. Keys (see src/redis/keys.ts; `{r}` is `{p}relay:`):
 *   {r}tx:{txId}            STRING  JSON RelayTransactionRecord, written before every broadcast
 *   {r}hash:{chainId}       HASH    tx hash of every attempt -> txId, to match mined blocks
 *   {r}due:{chainId}        ZSET    txId -> ms when the broadcast, not yet mined, is next looked at
 *   {r}included:{chainId}   ZSET    txId -> block number it was mined in, until it is deep enough
 *
 * A transaction is in exactly one of `due` and `included`. Writing the record (with the signed
 * bytes) before broadcasting means a crash can never leave a broadcast the store does not know of.
 */
export type RelayAttempt = {
  hash: Hex
  /** The signed transaction, so it can be broadcast again after a crash or a lost node. */
  raw: Hex
  maxFeePerGas: string
  maxPriorityFeePerGas: string
  /** A cancel replaces the request's transaction with a 0-value self-transfer at the same nonce. */
  kind: 'request' | 'cancel' | 'gap-fill'
  sentAt: number
}

export type RelayTransactionRecord = {
  /** The request digest, or `gapfill:{address}:{nonce}` for a gap filler. */
  txId: string
  purpose: 'request' | 'gap-fill'
  chainId: number
  signer: Address
  nonce: number
  /** The request's transaction, as first built: replacements change only the fees. */
  call: { to: Address; data: Hex; value: string; gas: string }
  /** Highest maxFeePerGas a replacement of the request's transaction may carry. */
  capPerGas: string
  /** Highest maxPriorityFeePerGas a replacement may carry: a bundle's op pays back no more than its tip. */
  tipCapPerGas?: string
  /**
   * Unix seconds after which the transaction must not land: a bundle past its op's validUntil
   * reverts at the relayer's cost, so a stuck one is cancelled instead of replaced.
   */
  validUntil?: number
  attempts: RelayAttempt[]
  replacements: number
  included?: { hash: Hex; blockNumber: number; blockHash: Hex }
}

export type RelayTransactionStore = {
  get(txId: string): Promise<RelayTransactionRecord | undefined>
  /**
   * Saves the record with a new attempt, indexes its hash, and makes it due at `dueAt`; the
   * attempt must be durable before it is broadcast.
   */
  saveAttempt(record: RelayTransactionRecord, dueAt: number): Promise<void>
  /** Marks a transaction mined in a block; it leaves `due` for `included`. */
  markIncluded(
    record: RelayTransactionRecord,
    included: NonNullable<RelayTransactionRecord['included']>,
  ): Promise<void>
  /** A mined transaction's block was reorged away: it is due again now, with no inclusion. */
  markOrphaned(record: RelayTransactionRecord, dueAt: number): Promise<void>
  /** Pushes back the next look at a transaction. */
  reschedule(chainId: number, txId: string, dueAt: number): Promise<void>
  /** Forgets a transaction and its hashes: it is final, or its nonce went to something else. */
  remove(record: RelayTransactionRecord): Promise<void>
  /** txIds of the hashes given that are ours, in the same order (undefined where not ours). */
  matchHashes(chainId: number, hashes: readonly Hex[]): Promise<(string | undefined)[]>
  /** Up to `count` txIds due at or before `now`, oldest first. */
  due(chainId: number, now: number, count: number): Promise<string[]>
  /** Up to `count` txIds mined at or below `blockNumber`, oldest first. */
  includedUpTo(chainId: number, blockNumber: number, count: number): Promise<string[]>
  /** How many transactions of the chain are in flight (broadcast, not final). */
  inFlight(chainId: number): Promise<number>
  /** How many of them are not seen mined yet (in `due`): what a node's pool and the monitor still hold. */
  unmined(chainId: number): Promise<number>
}

// Each write is one script rather than a MULTI of four or five commands: as atomic, one command
// to send and one reply to read.
// KEYS: tx, hash, included, due. ARGV: record JSON, the new attempt's hash, txId, dueAt.
const saveAttemptScript = luaScript(`
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
return 1
`)
// Moves a transaction between due and included. KEYS: tx, from, to. ARGV: record JSON, txId, score.
const moveScript = luaScript(`
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
return 1
`)
// KEYS: tx, due, included, hash. ARGV: txId, then the hash of every attempt.
const removeScript = luaScript(`
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if #ARGV > 1 then redis.call('HDEL', KEYS[4], unpack(ARGV, 2)) end
return 1
`)

/** Creates the store over the deployment's key prefix. */
export function createRelayTransactionStore(parameters: {
  redis: Redis
  prefix: string
}): RelayTransactionStore {
  const { redis } = parameters
  const base = `${parameters.prefix}relay:`
  const keys = {
    tx: (txId: string) => `${base}tx:${txId}`,
    hash: (chainId: number) => `${base}hash:${chainId}`,
    due: (chainId: number) => `${base}due:${chainId}`,
    included: (chainId: number) => `${base}included:${chainId}`,
  }
  const get = async (txId: string) => {
    const raw = await redis.get(keys.tx(txId))
    return raw ? (JSON.parse(raw) as RelayTransactionRecord) : undefined
  }
  return {
    get,
    async saveAttempt(record, dueAt) {
      const attempt = record.attempts.at(-1)
      if (!attempt) throw new RangeError(`relay transaction ${record.txId} has no attempt to save`)
      const { chainId, txId } = record
      await saveAttemptScript.run(
        redis,
        [keys.tx(txId), keys.hash(chainId), keys.included(chainId), keys.due(chainId)],
        [JSON.stringify(record), attempt.hash, txId, dueAt],
      )
    },
    async markIncluded(record, included) {
      const { chainId, txId } = record
      await moveScript.run(
        redis,
        [keys.tx(txId), keys.due(chainId), keys.included(chainId)],
        [JSON.stringify({ ...record, included }), txId, included.blockNumber],
      )
    },
    async markOrphaned(record, dueAt) {
      const { chainId, txId, included: _dropped, ...rest } = record
      await moveScript.run(
        redis,
        [keys.tx(txId), keys.included(chainId), keys.due(chainId)],
        [JSON.stringify({ ...rest, chainId, txId }), txId, dueAt],
      )
    },
    async reschedule(chainId, txId, dueAt) {
      await redis.zadd(keys.due(chainId), 'XX', dueAt, txId)
    },
    async remove(record) {
      const { chainId, txId } = record
      await removeScript.run(
        redis,
        [keys.tx(txId), keys.due(chainId), keys.included(chainId), keys.hash(chainId)],
        [txId, ...record.attempts.map((attempt) => attempt.hash)],
      )
    },
    async matchHashes(chainId, hashes) {
      if (hashes.length === 0) return []
      const found = await redis.hmget(keys.hash(chainId), ...hashes)
      return found.map((txId) => txId ?? undefined)
    },
    due: (chainId, now, count) => redis.zrangebyscore(keys.due(chainId), '-inf', now, 'LIMIT', 0, count),
    includedUpTo: (chainId, blockNumber, count) =>
      redis.zrangebyscore(keys.included(chainId), '-inf', blockNumber, 'LIMIT', 0, count),
    async inFlight(chainId) {
      const [due, included] = await Promise.all([
        redis.zcard(keys.due(chainId)),
        redis.zcard(keys.included(chainId)),
      ])
      return due + included
    },
    unmined: (chainId) => redis.zcard(keys.due(chainId)),
  }
}
