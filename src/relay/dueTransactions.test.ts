import { describe, expect, test } from 'vitest'
import type { RequestRecord } from '../requests/requestStore.js'
import { nextLookAt, replacementCap, withLatestAttempt } from './dueTransactions.js'

describe('replacementCap', () => {
  const record = { replacements: 1, capPerGas: '50000000000' }
  const now = 1_800_000_000_000

  test('the request cap while replacements remain and the window is open', () => {
    expect(replacementCap(record, 3, now)).toBe(50_000_000_000n)
    expect(replacementCap({ ...record, validUntil: now / 1000 + 1 }, 3, now)).toBe(50_000_000_000n)
  })

  test('zero, so the transaction is cancelled, once out of replacements', () => {
    expect(replacementCap({ ...record, replacements: 3 }, 3, now)).toBe(0n)
  })

  test('zero from validUntil on: a bundle landing after its window would revert at the relayer cost', () => {
    expect(replacementCap({ ...record, validUntil: now / 1000 }, 3, now)).toBe(0n)
    expect(replacementCap({ ...record, validUntil: now / 1000 - 60 }, 3, now)).toBe(0n)
  })
})

describe('nextLookAt', () => {
  const now = 1_800_000_000_000
  const replaceAfterMs = 30_000

  test('replaceAfterMs from now for a transaction with no window', () => {
    expect(nextLookAt({}, 'request', now, replaceAfterMs)).toBe(now + replaceAfterMs)
  })

  test("a bundle no later than its op's validUntil, so it is cancelled as soon as it could only revert", () => {
    const validUntil = now / 1000 + 10
    expect(nextLookAt({ validUntil }, 'request', now, replaceAfterMs)).toBe(validUntil * 1000)
    expect(nextLookAt({ validUntil: now / 1000 + 60 }, 'request', now, replaceAfterMs)).toBe(
      now + replaceAfterMs,
    )
    // Already past it (signed just before the window ended): looked at, and cancelled, at once.
    expect(nextLookAt({ validUntil: now / 1000 - 1 }, 'request', now, replaceAfterMs)).toBeLessThan(now)
  })

  test('cancels and gap fillers wait the usual time whatever the window: they only clear the nonce', () => {
    const validUntil = now / 1000 + 10
    expect(nextLookAt({ validUntil }, 'cancel', now, replaceAfterMs)).toBe(now + replaceAfterMs)
    expect(nextLookAt({ validUntil }, 'gap-fill', now, replaceAfterMs)).toBe(now + replaceAfterMs)
  })
})

describe('withLatestAttempt', () => {
  const common: Omit<Extract<RequestRecord, { status: 'denied' }>, 'status'> = {
    id: `0x${'11'.repeat(32)}`,
    kind: 'user-op',
    chainId: 31337,
    instanceId: 'instance-1',
    templateId: 'template-1',
    sender: `0x${'22'.repeat(20)}`,
    createdAt: '2026-12-06T00:00:00.000Z',
    decision: { allow: true, reasons: [] },
    decisionAttestation: { logIndex: 3, envelope: {} },
    answer: { kind: 'accepted', status: 202, body: {} },
  }
  const relayer = `0x${'55'.repeat(20)}` as const
  const userOperation = {
    userOpHash: `0x${'33'.repeat(32)}`,
    sender: common.sender,
    nonce: '0x0',
    validUntil: 1_800_000_000,
    decisionDigest: `0x${'44'.repeat(32)}`,
    fromBlock: '1',
    nonceKey: 'nonce-key',
    gasWeiLimits: [],
    bundle: { txHash: `0x${'aa'.repeat(32)}`, relayer, nonce: 7 },
  } as unknown as NonNullable<RequestRecord['userOperation']>
  const sponsored = { ...common, status: 'sponsored', userOperation } as RequestRecord
  const sent = { signer: relayer, nonce: 7 }
  const replacement = { hash: `0x${'bb'.repeat(32)}`, kind: 'request' } as const
  const cancel = { hash: `0x${'cc'.repeat(32)}`, kind: 'cancel' } as const
  const submitted = {
    ...common,
    kind: 'meta-tx',
    status: 'submitted',
    txHash: `0x${'aa'.repeat(32)}`,
    relayer: relayer.toUpperCase().replace('0X', '0x'),
    nonce: 7,
  } as RequestRecord

  test("a bundled op's record names the replacement bundle, all else kept", () => {
    expect(withLatestAttempt(sponsored, sent, replacement)).toStrictEqual({
      ...sponsored,
      userOperation: { ...userOperation, bundle: { ...userOperation.bundle, txHash: replacement.hash } },
    })
  })

  test("a submitted meta-transaction's record names the latest attempt, a bump or the cancel, all else kept", () => {
    expect(withLatestAttempt(submitted, sent, replacement)).toStrictEqual({
      ...submitted,
      txHash: replacement.hash,
    })
    expect(withLatestAttempt(submitted, sent, cancel)).toStrictEqual({ ...submitted, txHash: cancel.hash })
  })

  test("nothing to write for an op never bundled, a bundle's cancel, one that settled, or another submission", () => {
    const { bundle: _bundle, ...unbundled } = userOperation
    expect(
      withLatestAttempt({ ...sponsored, userOperation: unbundled } as RequestRecord, sent, replacement),
    ).toBe(undefined)
    expect(withLatestAttempt(sponsored, sent, cancel)).toBe(undefined)
    expect(withLatestAttempt({ ...sponsored, status: 'confirmed' } as RequestRecord, sent, replacement)).toBe(
      undefined,
    )
    expect(withLatestAttempt({ ...submitted, status: 'queued' } as RequestRecord, sent, replacement)).toBe(
      undefined,
    )
    // Moved back to the queue and submitted again since, at another nonce or by another key.
    expect(withLatestAttempt(submitted, { ...sent, nonce: 8 }, replacement)).toBe(undefined)
    expect(withLatestAttempt(submitted, { ...sent, signer: `0x${'66'.repeat(20)}` }, replacement)).toBe(
      undefined,
    )
  })
})
