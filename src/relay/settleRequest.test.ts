import type { Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import type { RequestRecord } from '../requests/requestStore.js'
import type { RelayAttempt } from './relayTransactionStore.js'
import { bundleCancelOf, withBundleCancel } from './settleRequest.js'

const validUntil = 1_800_000_000
const attempt = (kind: RelayAttempt['kind'], sentAt: number): RelayAttempt => ({
  hash: `0x${'aa'.repeat(32)}`,
  raw: '0x',
  maxFeePerGas: '1',
  maxPriorityFeePerGas: '1',
  kind,
  sentAt,
})
const receipt = {
  transactionHash: `0x${'cc'.repeat(32)}` as Hex,
  blockNumber: 42n,
  gasUsed: 21_000n,
  effectiveGasPrice: 3_000_000_000n,
}

describe('bundleCancelOf', () => {
  test("what the relayer paid for the cancel, and that no replacement fitted the op's caps", () => {
    const record = { validUntil, attempts: [attempt('request', 1), attempt('cancel', validUntil * 1000 - 1)] }
    expect(bundleCancelOf(record, receipt)).toStrictEqual({
      txHash: receipt.transactionHash,
      blockNumber: '42',
      gasUsed: '21000',
      actualCostWei: '63000000000000',
      reason: {
        code: 'RELAY_CANCELLED',
        message: "no replacement of the bundle fitted the op's fee caps: its nonce was cancelled",
      },
    })
  })

  test('a first cancel sent from validUntil on was for the window: later cancels do not change that', () => {
    const record = {
      validUntil,
      attempts: [
        attempt('request', 1),
        attempt('cancel', validUntil * 1000),
        attempt('cancel', validUntil * 1000 + 5),
      ],
    }
    expect(bundleCancelOf(record, receipt).reason.message).toBe(
      `the bundle was not mined by the op's validUntil ${validUntil}: its nonce was cancelled`,
    )
  })
})

describe('withBundleCancel', () => {
  const cancel = bundleCancelOf({ validUntil, attempts: [attempt('cancel', 0)] }, receipt)
  const sponsored = {
    id: `0x${'11'.repeat(32)}`,
    status: 'sponsored',
    userOperation: { userOpHash: `0x${'33'.repeat(32)}`, validUntil },
  } as unknown as RequestRecord

  test("notes the cancel on a sponsored op's record, all else kept", () => {
    expect(withBundleCancel(sponsored, cancel)).toStrictEqual({
      ...sponsored,
      userOperation: { ...(sponsored as { userOperation: object }).userOperation, cancel },
    })
  })

  test('leaves a record that moved on, or already names a cancel (the monitor settled it again)', () => {
    expect(withBundleCancel({ ...sponsored, status: 'cancelled' } as RequestRecord, cancel)).toBeUndefined()
    const noted = withBundleCancel(sponsored, cancel) as RequestRecord
    expect(withBundleCancel(noted, { ...cancel, txHash: `0x${'dd'.repeat(32)}` })).toBeUndefined()
  })
})
