import type { Hex } from 'viem'
import { beforeAll, describe, expect, test } from 'vitest'
import { createRedisKeys } from '../../../src/redis/keys.js'
import { createRelayerPool, type RelayerPool } from '../../../src/relay/relayerPool.js'
import {
  createRelayTransactionStore,
  type RelayTransactionRecord,
  type RelayTransactionStore,
} from '../../../src/relay/relayTransactionStore.js'
import {
  createRequestStore,
  type RequestRecord,
  type RequestStore,
} from '../../../src/requests/requestStore.js'
import { ownRedisServer } from '../../support/ownRedisServer.js'
import { relayerSigner } from './relayerSigner.js'

// A redis-server of its own: the tests count the commands the stores send.
const { redis: connection, calls } = ownRedisServer()
const chainId = 31337

const hashOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex

function recordOf(txId: string, attempts: number[]): RelayTransactionRecord {
  return {
    txId,
    purpose: 'request',
    chainId,
    signer: relayerSigner(5).address,
    nonce: 7,
    call: { to: relayerSigner(6).address, data: '0x', value: '0', gas: '21000' },
    capPerGas: '100',
    attempts: attempts.map((n) => ({
      hash: hashOf(n),
      raw: '0x02',
      maxFeePerGas: '10',
      maxPriorityFeePerGas: '1',
      kind: 'request',
      sentAt: 0,
    })),
    replacements: Math.max(0, attempts.length - 1),
  }
}

describe('relay transaction store scripts', () => {
  const prefix = 'scripts-store:'
  let store: RelayTransactionStore
  beforeAll(() => {
    store = createRelayTransactionStore({ redis: connection(), prefix })
  })
  const state = async (txId: string) => ({
    due: await connection().zscore(`${prefix}relay:due:${chainId}`, txId),
    included: await connection().zscore(`${prefix}relay:included:${chainId}`, txId),
    hashes: await connection().hgetall(`${prefix}relay:hash:${chainId}`),
  })

  test('a transaction is in exactly one of due and included through save, inclusion, orphaning and removal', async () => {
    const first = recordOf('tx-a', [1])
    await store.saveAttempt(first, 1_000)
    expect(await store.get('tx-a')).toEqual(first)
    expect(await state('tx-a')).toEqual({ due: '1000', included: null, hashes: { [hashOf(1)]: 'tx-a' } })

    // A replacement: a second hash indexed, due again later.
    const replaced = recordOf('tx-a', [1, 2])
    await store.saveAttempt(replaced, 2_000)
    expect((await state('tx-a')).due).toBe('2000')
    expect(await store.matchHashes(chainId, [hashOf(2), hashOf(1), hashOf(3)])).toEqual([
      'tx-a',
      'tx-a',
      undefined,
    ])

    const included = { hash: hashOf(2), blockNumber: 42, blockHash: hashOf(99) }
    await store.markIncluded(replaced, included)
    expect(await store.get('tx-a')).toEqual({ ...replaced, included })
    expect(await state('tx-a')).toMatchObject({ due: null, included: '42' })
    expect(await store.includedUpTo(chainId, 42, 10)).toEqual(['tx-a'])

    await store.markOrphaned({ ...replaced, included }, 3_000)
    expect(await store.get('tx-a')).toEqual(replaced)
    expect(await state('tx-a')).toMatchObject({ due: '3000', included: null })

    // Saved again while included (a job handing over a mined attempt after a crash): due, not included.
    await store.markIncluded(replaced, included)
    await store.saveAttempt(replaced, 4_000)
    expect(await state('tx-a')).toMatchObject({ due: '4000', included: null })

    await store.remove(replaced)
    expect(await store.get('tx-a')).toBeUndefined()
    expect(await state('tx-a')).toEqual({ due: null, included: null, hashes: {} })
    expect(await store.inFlight(chainId)).toBe(0)
  })

  test('each write is one command, not a MULTI', async () => {
    const [multi, evalsha] = [await calls('multi'), await calls('evalsha')]
    const record = recordOf('tx-b', [5])
    await store.saveAttempt(record, 1)
    await store.markIncluded(record, { hash: hashOf(5), blockNumber: 1, blockHash: hashOf(6) })
    await store.remove(record)
    expect(await calls('multi')).toBe(multi)
    // The first run of each script may be an EVAL (NOSCRIPT); later ones are EVALSHA only.
    expect((await calls('evalsha')) - evalsha).toBe(3)
  })
})

describe('pickAndAllocate', () => {
  let prefixCount = 0
  const freshPool = async (reconciled: number[]): Promise<RelayerPool> => {
    const prefix = `scripts-pool-${prefixCount++}:`
    const pool = createRelayerPool({
      redis: connection(),
      prefix,
      chainId,
      signers: [relayerSigner(5), relayerSigner(6), relayerSigner(7)],
    })
    for (const [index, key] of pool.keys.entries()) {
      const start = reconciled[index]
      if (start !== undefined) await key.nonces.reconcile({ pending: start, latest: start })
    }
    return pool
  }
  const addressOf = (pick: Awaited<ReturnType<RelayerPool['pickAndAllocate']>>) => pick?.key.signer.address

  test('spreads new requests round robin like pick, with contiguous nonces per key; a retry gets its key and nonce back', async () => {
    const pool = await freshPool([10, 20, 30])
    const picks = []
    for (let index = 0; index < 6; index++) picks.push(await pool.pickAndAllocate(`req-${index}`))
    const [a, b, c] = pool.keys.map((key) => key.signer.address)
    expect(picks.map(addressOf)).toEqual([b, c, a, b, c, a])
    expect(picks.map((pick) => pick?.nonce)).toEqual([20, 30, 10, 21, 31, 11])
    // The ledgers hold exactly what was handed out.
    expect(await pool.keys[1]?.nonces.heldBy('req-3')).toBe(21)

    const again = await pool.pickAndAllocate('req-1')
    expect(addressOf(again)).toBe(c)
    expect(again?.nonce).toBe(30)
    // A retry does not move the round robin: the next new request goes where it would have.
    expect(addressOf(await pool.pickAndAllocate('req-6'))).toBe(b)
  })

  test('a nonce held through the nonce manager is found on its key', async () => {
    const pool = await freshPool([0, 0, 0])
    const nonce = await pool.keys[2]?.nonces.allocate('held')
    const picked = await pool.pickAndAllocate('held')
    expect(addressOf(picked)).toBe(pool.keys[2]?.signer.address)
    expect(picked?.nonce).toBe(nonce)
  })

  test('skips drained keys, and answers undefined when every key is drained', async () => {
    const pool = await freshPool([0, 0, 0])
    const [a, b, c] = pool.keys.map((key) => key.signer.address)
    if (!a || !b || !c) throw new Error('three keys')
    await pool.markDrained(b, 'empty')
    const picks = []
    for (let index = 0; index < 4; index++) picks.push(addressOf(await pool.pickAndAllocate(`d-${index}`)))
    expect(picks).not.toContain(b)
    expect(new Set(picks)).toEqual(new Set([a, c]))
    await pool.markDrained(a, 'empty')
    await pool.markDrained(c, 'empty')
    expect(await pool.pickAndAllocate('d-none')).toBeUndefined()
    // A request that already holds a nonce keeps its key even when it is drained: the nonce must be used.
    expect(addressOf(await pool.pickAndAllocate('d-0'))).toBe(picks[0])
  })

  test('a key never reconciled is picked without a nonce, and nothing is allocated on it', async () => {
    const pool = await freshPool([])
    const picked = await pool.pickAndAllocate('unreconciled')
    expect(picked?.key).toBeDefined()
    expect(picked?.nonce).toBeUndefined()
    expect((await picked?.key.nonces.inspect())?.entries).toEqual([])
  })

  test('200 concurrent requests get 200 distinct (key, nonce) pairs with no hole on any key', async () => {
    const pool = await freshPool([0, 100, 200])
    const picks = await Promise.all(
      Array.from({ length: 200 }, (_, index) => pool.pickAndAllocate(`c-${index}`)),
    )
    const byKey = new Map<string, number[]>()
    for (const pick of picks) {
      if (!pick?.key || pick.nonce === undefined) throw new Error('every pick allocates')
      byKey.set(pick.key.signer.address, [...(byKey.get(pick.key.signer.address) ?? []), pick.nonce])
    }
    for (const [index, key] of pool.keys.entries()) {
      const nonces = (byKey.get(key.signer.address) ?? []).sort((x, y) => x - y)
      const start = [0, 100, 200][index] ?? 0
      expect(nonces).toEqual(Array.from({ length: nonces.length }, (_, offset) => start + offset))
    }
  })

  test('pick is one script call (the same selection, no allocation), not a round trip per key', async () => {
    const pool = await freshPool([0, 0, 0])
    await pool.pick('warm-up')
    const [evalsha, hkeys] = [await calls('evalsha'), await calls('hkeys')]
    const key = await pool.pick('counted')
    expect((await calls('evalsha')) - evalsha).toBe(1)
    expect((await calls('hkeys')) - hkeys).toBe(0)
    expect(await key?.nonces.heldBy('counted')).toBeNull()
  })

  test('refuses a txId shaped like a ledger member', async () => {
    const pool = await freshPool([0, 0, 0])
    await expect(pool.pickAndAllocate('gap:3')).rejects.toThrow(RangeError)
  })
})

/** A queued meta-transaction's record, as the pipeline writes it. */
const queuedRecord = (id: string) =>
  ({
    id,
    kind: 'meta-tx',
    chainId,
    instanceId: 'instance',
    templateId: 'template',
    sender: relayerSigner(5).address,
    createdAt: new Date(0).toISOString(),
    decision: { allow: true, reasons: [] },
    decisionAttestation: { logIndex: 0, envelope: {} },
    answer: { kind: 'accepted', status: 202, body: {} },
    status: 'queued',
  }) as RequestRecord

describe('request update from a known version', () => {
  const keys = createRedisKeys('scripts-requests:')
  let requests: RequestStore
  beforeAll(() => {
    requests = createRequestStore({ redis: connection(), keys, retentionSeconds: 60 })
  })
  const queued = queuedRecord
  const submit = (record: RequestRecord): RequestRecord | undefined =>
    record.status === 'queued' || record.status === 'submitted'
      ? {
          ...record,
          status: 'submitted',
          txHash: '0x01',
          relayer: 'r',
          nonce: record.status === 'queued' ? 1 : 2,
        }
      : undefined

  test('writes without reading again when the record did not change since it was read', async () => {
    await requests.record(queued('r1'), {})
    const known = await requests.read('r1')
    const gets = await calls('get')
    expect(await requests.update('r1', submit, known)).toMatchObject({ status: 'submitted', nonce: 1 })
    // One GET: the compare inside the compare-and-set script (commandstats counts Lua's commands too).
    expect((await calls('get')) - gets).toBe(1)
    expect((await requests.get('r1'))?.status).toBe('submitted')
  })

  test('a stale version is not written over: the change is applied to the stored record', async () => {
    await requests.record(queued('r2'), {})
    const stale = await requests.read('r2')
    await requests.update('r2', submit)
    expect(await requests.update('r2', submit, stale)).toMatchObject({ status: 'submitted', nonce: 2 })
    expect(await requests.get('r2')).toMatchObject({ status: 'submitted', nonce: 2 })
  })

  test('a change declined on the known record is asked again of the stored one', async () => {
    await requests.record(queued('r3'), {})
    const known = await requests.read('r3')
    if (!known) throw new Error('recorded')
    // What the caller holds says final; what is stored is still queued.
    const finalGuess = { ...known, record: { ...known.record, status: 'denied' } as RequestRecord }
    expect(await requests.update('r3', submit, finalGuess)).toMatchObject({ status: 'submitted' })
  })
})

describe('a request recorded with its relay inbox entry', () => {
  const prefix = 'scripts-inbox:'
  const keys = createRedisKeys(prefix)
  const inbox = `${prefix}relay:inbox:${chainId}`
  let requests: RequestStore
  beforeAll(() => {
    requests = createRequestStore({ redis: connection(), keys, retentionSeconds: 60 })
  })
  const record = queuedRecord

  test('one script notes the inbox entry, stores the record and indexes the signature', async () => {
    await connection().zadd(keys.inflight(), 1, 'i1')
    const scripts = await calls('evalsha')
    const stored = await requests.record(record('i1'), {
      signatureHash: '0xs1',
      inbox: { key: inbox, score: 1_000 },
    })
    expect(stored).toBe(true)
    expect((await calls('evalsha')) - scripts).toBe(1)
    expect(await connection().zscore(inbox, 'i1')).toBe('1000')
    expect(await requests.findBySignature('0xs1')).toBe('i1')
    expect((await requests.get('i1'))?.status).toBe('queued')
    expect(await connection().zscore(keys.inflight(), 'i1')).toBeNull()
  })

  test('without a signature the inbox is still the one written, and no signature is indexed', async () => {
    expect(await requests.record(record('i2'), { inbox: { key: inbox, score: 2_000 } })).toBe(true)
    expect(await connection().zscore(inbox, 'i2')).toBe('2000')
    expect(await connection().keys(`${prefix}sig:*`)).toEqual([`${prefix}sig:0xs1`])
    // And a record without an inbox entry leaves the inbox alone.
    expect(await requests.record(record('i3'), {})).toBe(true)
    expect(await connection().zscore(inbox, 'i3')).toBeNull()
  })

  test('a request already recorded is noted in the inbox as a hold would (NX: an entry keeps its time)', async () => {
    expect(await requests.record(record('i1'), { inbox: { key: inbox, score: 5_000 } })).toBe(false)
    expect(await connection().zscore(inbox, 'i1')).toBe('1000')
    expect(await requests.record(record('i3'), { inbox: { key: inbox, score: 6_000 } })).toBe(false)
    expect(await connection().zscore(inbox, 'i3')).toBe('6000')
  })
})
