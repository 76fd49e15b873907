import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { createRelayerPool, type RelayerPool } from '../../../src/relay/relayerPool.js'
import { openRedis } from '../../support/redisClient.js'
import { relayerSigner } from './relayerSigner.js'

/*
 * The bundle job chooses its key with `pick` and allocates on it after simulating; the relay job
 * chooses and allocates in one step with `pickAndAllocate`. Each scenario below runs both ways on
 * two pools given the same starting state (each under its own key prefix) and checks they choose
 * the same keys and end with the same ledgers and round-robin counter.
 */

const chainId = 31337
const runPrefix = `${inject('redisKeyPrefix')}relay-pool-${randomBytes(3).toString('hex')}:`
let redis: Redis
let poolCount = 0
const prefixOf = new Map<RelayerPool, string>()

beforeAll(async () => {
  ;({ redis } = await openRedis())
})
afterAll(() => redis?.disconnect())

type Step =
  | { request: string }
  | { drain: number }
  | { restore: number }
  /** Allocates `txId` on key `on` directly, as a job that crashed after allocating would leave it. */
  | { hold: string; on: number }

type Start = { reconciled: number[]; counter?: number; drained?: number[] }

async function freshPool({ reconciled, counter, drained = [] }: Start): Promise<RelayerPool> {
  const prefix = `${runPrefix}${poolCount++}:`
  const pool = createRelayerPool({
    redis,
    prefix,
    chainId,
    signers: [relayerSigner(5), relayerSigner(6), relayerSigner(7)],
  })
  prefixOf.set(pool, prefix)
  for (const [index, key] of pool.keys.entries()) {
    const start = reconciled[index]
    if (start !== undefined) await key.nonces.reconcile({ pending: start, latest: start })
  }
  if (counter !== undefined) await redis.set(`${prefix}relay:rr:${chainId}`, counter)
  for (const index of drained) await pool.markDrained(keyAt(pool, index).signer.address, 'test')
  return pool
}

function keyAt(pool: RelayerPool, index: number) {
  const key = pool.keys[index]
  if (!key) throw new Error(`no key ${index}`)
  return key
}

/** The index of the key each request got (-1: refused), and the nonce it holds there. */
type Choice = { key: number; nonce: number | undefined }

async function runSteps(
  pool: RelayerPool,
  steps: Step[],
  choose: (pool: RelayerPool, txId: string) => Promise<Choice>,
): Promise<Choice[]> {
  const choices: Choice[] = []
  for (const step of steps) {
    if ('request' in step) choices.push(await choose(pool, step.request))
    else if ('drain' in step) await pool.markDrained(keyAt(pool, step.drain).signer.address, 'test')
    else if ('restore' in step) await pool.restore(keyAt(pool, step.restore).signer.address)
    else await keyAt(pool, step.on).nonces.allocate(step.hold)
  }
  return choices
}

/** The bundle job's way: choose, then allocate on the chosen key. */
async function pickThenAllocate(pool: RelayerPool, txId: string): Promise<Choice> {
  const key = await pool.pick(txId)
  if (!key) return { key: -1, nonce: undefined }
  return { key: pool.keys.indexOf(key), nonce: await key.nonces.allocate(txId) }
}

/** The relay job's way: both in one script. */
async function pickAndAllocate(pool: RelayerPool, txId: string): Promise<Choice> {
  const picked = await pool.pickAndAllocate(txId)
  if (!picked) return { key: -1, nonce: undefined }
  return { key: pool.keys.indexOf(picked.key), nonce: picked.nonce }
}

async function stateOf(pool: RelayerPool) {
  return {
    ledgers: await Promise.all(pool.keys.map((key) => key.nonces.inspect())),
    drained: Object.keys(await pool.drained()).sort(),
    counter: await redis.get(`${prefixOf.get(pool)}relay:rr:${chainId}`),
  }
}

/** Runs `steps` both ways from `start`; returns the choices, after checking both ways agree. */
async function bothWays(start: Start, steps: Step[]): Promise<Choice[]> {
  const [bundlePool, relayPool] = [await freshPool(start), await freshPool(start)]
  const viaPick = await runSteps(bundlePool, steps, pickThenAllocate)
  const viaScript = await runSteps(relayPool, steps, pickAndAllocate)
  expect(viaPick).toStrictEqual(viaScript)
  const [bundleState, relayState] = [await stateOf(bundlePool), await stateOf(relayPool)]
  expect(bundleState).toStrictEqual(relayState)
  return viaScript
}

describe('pick and pickAndAllocate choose by one rule', () => {
  test('new requests go round robin from the counter; a retry keeps its key and nonce and does not move the counter', async () => {
    const choices = await bothWays({ reconciled: [10, 20, 30] }, [
      { request: 'r0' },
      { request: 'r1' },
      { request: 'r2' },
      { request: 'r1' },
      { request: 'r3' },
      { request: 'r0' },
      { request: 'r4' },
    ])
    expect(choices).toStrictEqual([
      { key: 1, nonce: 20 },
      { key: 2, nonce: 30 },
      { key: 0, nonce: 10 },
      { key: 2, nonce: 30 },
      { key: 1, nonce: 21 },
      { key: 1, nonce: 20 },
      { key: 2, nonce: 31 },
    ])
  })

  test('ties between usable keys go to the counter: the same start picks the same key', async () => {
    // Counter 40: the next turn is 41, 41 % 3 = 2, so the third key; with it drained, the first.
    expect(await bothWays({ reconciled: [0, 0, 0], counter: 40 }, [{ request: 't0' }])).toStrictEqual([
      { key: 2, nonce: 0 },
    ])
    expect(
      await bothWays({ reconciled: [0, 0, 0], counter: 40, drained: [2] }, [{ request: 't0' }]),
    ).toStrictEqual([{ key: 0, nonce: 0 }])
  })

  test('a txId holding nonces on two keys (a ledger written by hand) stays on the first in pool order', async () => {
    const choices = await bothWays({ reconciled: [0, 5, 9] }, [
      { hold: 'twice', on: 2 },
      { hold: 'twice', on: 1 },
      { request: 'twice' },
    ])
    expect(choices).toStrictEqual([{ key: 1, nonce: 5 }])
  })

  test('drained keys are skipped from the next turn on, and a restored key is back in turn', async () => {
    const choices = await bothWays({ reconciled: [0, 0, 0] }, [
      { request: 'd0' },
      { drain: 2 },
      { request: 'd1' },
      { request: 'd2' },
      { request: 'd3' },
      { restore: 2 },
      { request: 'd4' },
    ])
    // A drained key's turn passes to the next usable key in pool order (turns 2 and 3 both go to
    // the first key), so that key takes the drained key's share.
    expect(choices.map((choice) => choice.key)).toStrictEqual([1, 0, 0, 1, 2])
  })

  test('a request holding a nonce on a drained key keeps that key: its nonce must be used there', async () => {
    const choices = await bothWays({ reconciled: [0, 0, 0] }, [
      { hold: 'held', on: 0 },
      { drain: 0 },
      { request: 'held' },
      { drain: 1 },
      { drain: 2 },
      { request: 'held' },
    ])
    expect(choices).toStrictEqual([
      { key: 0, nonce: 0 },
      { key: 0, nonce: 0 },
    ])
  })

  test('every key drained: both refuse (undefined), allocate nothing, and a restored key serves again', async () => {
    const choices = await bothWays({ reconciled: [0, 0, 0], drained: [0, 1, 2] }, [
      { request: 'none-0' },
      { request: 'none-1' },
      { restore: 1 },
      { request: 'none-1' },
    ])
    expect(choices).toStrictEqual([
      { key: -1, nonce: undefined },
      { key: -1, nonce: undefined },
      { key: 1, nonce: 0 },
    ])
  })

  test('a key never reconciled is chosen like any other; neither way allocates on it', async () => {
    const [bundlePool, relayPool] = [await freshPool({ reconciled: [] }), await freshPool({ reconciled: [] })]
    const picked = await bundlePool.pick('unreconciled')
    const allocated = await relayPool.pickAndAllocate('unreconciled')
    expect(picked && bundlePool.keys.indexOf(picked)).toBe(1)
    expect(allocated && relayPool.keys.indexOf(allocated.key)).toBe(1)
    expect(allocated?.nonce).toBeUndefined()
    for (const pool of [bundlePool, relayPool]) {
      expect(
        (await Promise.all(pool.keys.map((key) => key.nonces.inspect()))).flatMap((l) => l.entries),
      ).toEqual([])
    }
  })

  test('both refuse a txId shaped like a ledger member, even one a ledger holds', async () => {
    const pool = await freshPool({ reconciled: [0, 0, 0] })
    await keyAt(pool, 2).nonces.allocate('burned')
    await keyAt(pool, 2).nonces.burn('burned')
    for (const txId of ['gap:0', 'fill:0', '']) {
      await expect(pool.pick(txId)).rejects.toThrow(RangeError)
      await expect(pool.pickAndAllocate(txId)).rejects.toThrow(RangeError)
    }
  })
})
