import type { Redis } from 'ioredis'
import type { Address } from 'viem'
import { luaScript } from '../redis/luaScript.js'

/**
 * Nonces for one relayer key on one chain, allocated atomically in Redis so any number of worker
 * processes can share the key without two transactions ever getting the same nonce.
 *
 * Redis keys (to be listed in src/redis/keys.ts; `{k}` is `{p}relay:nonce:{chainId}:{address}`):
 *   {k}:next     STRING  the next nonce to hand out; absent until the first reconcile
 *   {k}:ledger   ZSET    score nonce -> member: the txId that holds it, `gap:{n}` for a nonce burned
 *                        before broadcast (a hole to fill), `fill:{n}` while a gap filler is in flight
 *   {k}:mined    STRING  one past the highest nonce the worker saw confirmed, a floor for reconcile
 *                        when its read of the chain is older than a confirmation
 *
 * The ledger holds every nonce at or above the chain's pending nonce that was handed out and not yet
 * seen by the node, so reconcile can tell an in-flight nonce from one that was lost (allocated and
 * never broadcast), and turn the lost ones into gaps instead of leaving them as holes that jam every
 * later transaction of the key.
 */

export type NonceManager = {
  readonly chainId: number
  readonly address: Address
  /** The nonce for `txId`: the same one again when `txId` already holds one (a retried job). */
  allocate(txId: string): Promise<number>
  /** The nonce `txId` holds on this key, or null: a retried job must stay on the key it started on. */
  heldBy(txId: string): Promise<number | null>
  /** The job failed before broadcasting: its nonce becomes a gap to fill. Returns it, or null. */
  burn(txId: string): Promise<number | null>
  /** Nonces burned or lost and not yet claimed by a filler, ascending. */
  gaps(): Promise<number[]>
  /**
   * Claims a gap for filling; true for exactly one caller. The claimer sends the filler (see
   * gapFill.ts) under the txId {@link gapFillTxId}(nonce) and confirms that id once it is mined.
   */
  claimGap(nonce: number): Promise<boolean>
  /** Gives a claimed gap back when its filler could not be sent, so another attempt fills it. */
  releaseGap(nonce: number): Promise<void>
  /** The transaction of `txId` is mined: drop it from the ledger and raise the mined floor. */
  confirm(txId: string): Promise<void>
  /** Aligns the ledger with the chain; call at start and after every nonce error. */
  reconcile(chain: ChainNonces): Promise<ReconcileReport>
  /** The raw ledger, for health checks and tests. */
  inspect(): Promise<NonceLedgerState>
}

/**
 * The key's transaction counts from the node: `pending` includes the mempool, `latest` only mined
 * ones. Entries between them stay in the ledger (they are allocated and unconfirmed); gaps there are
 * dropped, since the node already holds a transaction at that nonce.
 */
export type ChainNonces = { pending: number; latest: number }

/**
 * initialized: first use, `next` starts at the chain's pending nonce. moved-up: `next` was behind the
 * chain (the key was used elsewhere, or Redis lost data). kept-ahead: `next` is ahead by in-flight
 * nonces and at most `maxDrift` lost ones, which became gaps. reset-down: more than `maxDrift` lost
 * nonces, so `next` went back to the chain's pending nonce.
 */
export type ReconcileAction = 'initialized' | 'moved-up' | 'in-sync' | 'kept-ahead' | 'reset-down'

export type ReconcileReport = {
  action: ReconcileAction
  previousNext: number | null
  next: number
  /** Nonces that were lost (no owner in the ledger) and are now gaps to fill. */
  newGaps: number[]
  /**
   * After a reset-down only: txIds whose nonces were taken back. None of them can have been mined
   * (a hole lay below each), so their jobs allocate again; a copy left in a node's queue is
   * replaced by whatever takes its nonce next.
   */
  orphaned: string[]
  /** Ledger entries dropped because the node has seen their nonce. */
  pruned: number
}

export type NonceLedgerState = {
  next: number | null
  entries: { nonce: number; member: string }[]
}

export type CreateNonceManagerParameters = {
  redis: Redis
  /** The deployment's key prefix (REDIS_KEY_PREFIX). */
  prefix: string
  chainId: number
  address: Address
  /**
   * How far `next` may run ahead of the chain's pending nonce with nonces nobody holds before
   * reconcile resets it down rather than filling them: a counter that drifted by thousands (a bad
   * restore, a manual write) heals in one reconcile instead of thousands of self-transfers. Nonces
   * held by in-flight transactions never count as drift.
   */
  maxDrift?: number
}

/** Thrown by `allocate` for a key whose ledger was never aligned with the chain: reconcile, then allocate again. */
export class NonceLedgerNotReconciledError extends Error {
  override name = 'NonceLedgerNotReconciledError'
}

/** The ledger id under which the filler of a gap at `nonce` is tracked and confirmed. */
export function gapFillTxId(nonce: number): string {
  return `fill:${nonce}`
}

/** The Redis keys of one relayer key's ledger, from its {@link nonceKeyBase}. */
export function nonceKeys(base: string) {
  return { next: `${base}:next`, ledger: `${base}:ledger`, mined: `${base}:mined` }
}

/** Redis key base for one relayer key on one chain; see the schema at the top of this module. */
export function nonceKeyBase(prefix: string, chainId: number, address: Address): string {
  return `${prefix}relay:nonce:${chainId}:${address.toLowerCase()}`
}

/**
 * Lua: `allocate_nonce(next, ledger, txId)` hands out the key's next nonce to `txId` (the one it
 * holds already, if any); -1 when the key was never reconciled. Shared with the pool's script
 * that picks a key and allocates on it in one step (relayerPool.ts).
 */
export const allocateNonceLua = `
local function allocate_nonce(next_key, ledger_key, tx_id)
  local held = redis.call('ZSCORE', ledger_key, tx_id)
  if held then return tonumber(held) end
  local next = redis.call('GET', next_key)
  if not next then return -1 end
  next = tonumber(next)
  redis.call('SET', next_key, next + 1)
  redis.call('ZADD', ledger_key, next, tx_id)
  return next
end
`

// KEYS: next, ledger. ARGV: txId. Returns the nonce, or -1 when the key was never reconciled.
const allocateScript = luaScript(`${allocateNonceLua}
return allocate_nonce(KEYS[1], KEYS[2], ARGV[1])
`)

// KEYS: ledger. ARGV: txId. Returns the burned nonce or -1.
const burnScript = luaScript(`
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held then return -1 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], held, 'gap:' .. held)
return tonumber(held)
`)

// KEYS: ledger. ARGV: from member, to member. Moves one entry, keeping its nonce; 1 when it moved.
const renameScript = luaScript(`
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], held, ARGV[2])
return 1
`)

// KEYS: ledger, mined. ARGV: txId.
const confirmScript = luaScript(`
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
local floor = tonumber(held) + 1
local mined = tonumber(redis.call('GET', KEYS[2]) or '0')
if floor > mined then redis.call('SET', KEYS[2], floor) end
return 1
`)

/*
 * KEYS: next, ledger, mined. ARGV: chain pending nonce, chain latest nonce, max drift.
 * Returns {action, previousNext (-1 when absent), next, pruned, #newGaps, newGap..., orphan...}.
 * One script, so no allocation can slip between reading the ledger and moving the counter.
 */
const reconcileScript = luaScript(`
local mined = tonumber(redis.call('GET', KEYS[3]) or '0')
local floor = math.max(tonumber(ARGV[1]), mined)
local latest = math.max(tonumber(ARGV[2]), mined)
local maxDrift = tonumber(ARGV[3])
-- Mined nonces are final for allocation; gaps the node already has a transaction for are filled.
local pruned = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. latest)
local below = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. floor)
for _, member in ipairs(below) do
  if string.sub(member, 1, 4) == 'gap:' then
    redis.call('ZREM', KEYS[2], member)
    pruned = pruned + 1
  end
end
local raw = redis.call('GET', KEYS[1])
local previous = -1
if raw then previous = tonumber(raw) end
local action = 'in-sync'
local next = floor
local orphans = {}
if previous < 0 then
  action = 'initialized'
elseif previous < floor then
  action = 'moved-up'
elseif previous > floor then
  local held = redis.call('ZCOUNT', KEYS[2], floor, previous - 1)
  if (previous - floor) - held > maxDrift then
    -- Too many nonces nobody holds: start again at the chain's nonce. Transactions allocated above
    -- it cannot be mined before the holes below them are, so their jobs must allocate again.
    action = 'reset-down'
    local above = redis.call('ZRANGEBYSCORE', KEYS[2], floor, '+inf')
    for _, member in ipairs(above) do
      local kind = string.sub(member, 1, 4)
      if kind ~= 'gap:' and kind ~= 'fill' then table.insert(orphans, member) end
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[2], floor, '+inf')
  else
    action = 'kept-ahead'
    next = previous
  end
end
redis.call('SET', KEYS[1], next)
local gaps = {}
if next > floor then
  local held = {}
  local entries = redis.call('ZRANGEBYSCORE', KEYS[2], floor, next - 1, 'WITHSCORES')
  for i = 2, #entries, 2 do held[tonumber(entries[i])] = true end
  for nonce = floor, next - 1 do
    if not held[nonce] then
      redis.call('ZADD', KEYS[2], nonce, 'gap:' .. nonce)
      table.insert(gaps, nonce)
    end
  end
end
local result = {action, previous, next, pruned, #gaps}
for _, nonce in ipairs(gaps) do table.insert(result, nonce) end
for _, member in ipairs(orphans) do table.insert(result, member) end
return result
`)

/** Creates the nonce manager of one relayer key on one chain. */
export function createNonceManager(parameters: CreateNonceManagerParameters): NonceManager {
  const { redis, prefix, chainId, address, maxDrift = 64 } = parameters
  const base = nonceKeyBase(prefix, chainId, address)
  const keys = nonceKeys(base)

  const rename = async (from: string, to: string) =>
    (await renameScript.run(redis, [keys.ledger], [from, to])) === 1

  return {
    chainId,
    address,
    async allocate(txId) {
      assertTxId(txId)
      const nonce = Number(await allocateScript.run(redis, [keys.next, keys.ledger], [txId]))
      if (nonce < 0) {
        throw new NonceLedgerNotReconciledError(
          `nonce ledger of ${address} on chain ${chainId} was never reconciled`,
        )
      }
      return nonce
    },
    async heldBy(txId) {
      const score = await redis.zscore(keys.ledger, txId)
      return score === null ? null : Number(score)
    },
    async burn(txId) {
      const nonce = Number(await burnScript.run(redis, [keys.ledger], [txId]))
      return nonce < 0 ? null : nonce
    },
    async gaps() {
      const members = await redis.zrange(keys.ledger, 0, -1)
      return members.filter((member) => member.startsWith('gap:')).map((member) => Number(member.slice(4)))
    },
    claimGap: (nonce) => rename(`gap:${nonce}`, gapFillTxId(nonce)),
    async releaseGap(nonce) {
      await rename(gapFillTxId(nonce), `gap:${nonce}`)
    },
    async confirm(txId) {
      await confirmScript.run(redis, [keys.ledger, keys.mined], [txId])
    },
    async reconcile({ pending, latest }) {
      if (!Number.isSafeInteger(pending) || !Number.isSafeInteger(latest) || latest > pending || latest < 0) {
        throw new RangeError(`chain nonces must satisfy 0 <= latest <= pending, got ${latest} and ${pending}`)
      }
      const reply = (await reconcileScript.run(
        redis,
        [keys.next, keys.ledger, keys.mined],
        [pending, latest, maxDrift],
      )) as [ReconcileAction, number, number, number, number, ...(number | string)[]]
      const [action, previousNext, next, pruned, gapCount, ...rest] = reply
      return {
        action,
        previousNext: previousNext < 0 ? null : previousNext,
        next,
        newGaps: rest.slice(0, gapCount).map(Number),
        orphaned: rest.slice(gapCount).map(String),
        pruned,
      }
    },
    async inspect() {
      const [next, flat] = await Promise.all([
        redis.get(keys.next),
        redis.zrange(keys.ledger, 0, -1, 'WITHSCORES'),
      ])
      const entries: { nonce: number; member: string }[] = []
      for (let index = 0; index + 1 < flat.length; index += 2) {
        entries.push({ member: flat[index] as string, nonce: Number(flat[index + 1]) })
      }
      return { next: next === null ? null : Number(next), entries }
    },
  }
}

/** Throws for a txId that cannot hold a nonce (empty, or shaped like the ledger's own members). */
export function assertTxId(txId: string): void {
  // The ledger's own members use these prefixes; a job id that looked like one would be mistaken for a gap.
  if (txId === '' || txId.startsWith('gap:') || txId.startsWith('fill:')) {
    throw new RangeError(`not a usable transaction id: ${JSON.stringify(txId)}`)
  }
}
