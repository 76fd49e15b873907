import { describe, expect, test } from 'vitest'
import {
  buildRelayJob,
  forwardRequestOf,
  gasRefunds,
  parseRelayJob,
  type UserOperationJob,
} from './relayJob.js'
import type { RelayTransactionRecord } from './relayTransactionStore.js'
import { relayRetryDelayMs } from './relayWorker.js'
import { finalStatusOf } from './settleRequest.js'

const digest = `0x${'ab'.repeat(32)}` as const
const job = buildRelayJob({
  requestDigest: digest,
  chainId: 31337,
  forwarder: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
  request: {
    from: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    to: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
    value: 5n,
    gas: 200_000n,
    deadline: 1_900_000_000,
    data: '0x0121b93f',
    signature: `0x${'11'.repeat(65)}`,
  },
  capPerGas: '4000000000',
  limits: [
    {
      id: 'count',
      scope: 'instance',
      keyParts: ['i'],
      metric: 'count',
      amount: '1',
      max: '10',
      windowSeconds: 86400,
      windowKind: 'utc-day',
    },
    {
      id: 'gas',
      scope: 'instance',
      keyParts: ['i'],
      metric: 'gasWei',
      amount: '1000',
      max: '1000000',
      windowSeconds: 86400,
      windowKind: 'utc-day',
    },
  ],
  acceptedAt: 1_800_000_000,
})

describe('relay job envelope', () => {
  test('round-trips through JSON as version 1 and gives back the forward request', () => {
    const parsed = parseRelayJob(JSON.parse(JSON.stringify(job)))
    expect(parsed).toStrictEqual(job)
    if (parsed.kind !== 'meta-tx') throw new Error('expected a meta-transaction job')
    expect(forwardRequestOf(parsed)).toMatchObject({ value: 5n, gas: 200_000n, deadline: 1_900_000_000 })
    expect(parsed.gasLimits).toStrictEqual([{ id: 'gas', amount: '1000' }])
  })

  test('a self-bundled user operation round-trips as its own kind, and its malformed fields are refused', () => {
    const userOpJob: UserOperationJob = {
      v: 1,
      kind: 'user-op',
      requestDigest: digest,
      chainId: 31337,
      entryPoint: '0x0000000071727De22E5E9d8BAf0edAc6f37da032',
      userOp: { sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', nonce: '0x0' },
      userOpHash: `0x${'cd'.repeat(32)}`,
      capPerGas: '3000000000',
      tipCapPerGas: '1000000000',
      validUntil: 1_900_000_000,
      acceptedAt: 1_800_000_000,
    }
    expect(parseRelayJob(JSON.parse(JSON.stringify(userOpJob)))).toStrictEqual(userOpJob)
    expect(() => parseRelayJob({ ...userOpJob, forwarder: job.forwarder })).toThrow()
    expect(() => parseRelayJob({ ...userOpJob, tipCapPerGas: '0x1' })).toThrow()
    expect(() => parseRelayJob({ ...job, kind: 'user-op' })).toThrow()
  })

  test('an unknown version or a malformed field is refused, never guessed at', () => {
    expect(() => parseRelayJob({ ...job, v: 2 })).toThrow(/version 2 is not supported/)
    expect(() => parseRelayJob({ ...job, capPerGas: '-1' })).toThrow()
    expect(() => parseRelayJob({ ...job, extra: true })).toThrow()
    expect(() => parseRelayJob(null)).toThrow(/version undefined/)
  })

  test('gas refunds give back what was reserved beyond the actual cost, never below zero', () => {
    expect(gasRefunds(job, 300n)).toStrictEqual([{ id: 'gas', amount: '700' }])
    expect(gasRefunds(job, 5_000n)).toStrictEqual([{ id: 'gas', amount: '0' }])
  })
})

describe('finalStatusOf', () => {
  const record = {
    attempts: [
      { hash: '0x01', kind: 'request' },
      { hash: '0x02', kind: 'cancel' },
    ],
  } as unknown as RelayTransactionRecord
  test('a mined cancel ends the request cancelled; otherwise the receipt decides', () => {
    expect(finalStatusOf(record, { transactionHash: '0x02', status: 'success' })).toBe('cancelled')
    expect(finalStatusOf(record, { transactionHash: '0x01', status: 'success' })).toBe('confirmed')
    expect(finalStatusOf(record, { transactionHash: '0x01', status: 'reverted' })).toBe('reverted')
  })
})

test('retry delays double from half a second and stop at 15 s', () => {
  expect([1, 2, 3, 4, 5, 6, 50].map(relayRetryDelayMs)).toStrictEqual([
    500, 1000, 2000, 4000, 8000, 15000, 15000,
  ])
})
