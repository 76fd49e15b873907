import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createAuditReader } from '../audit/auditReader.js'
import { generateSigningKey } from '../crypto/ed25519.js'
import type { Intent } from '../intents/intent.js'
import { type Attestor, createAttestor } from './attestationLog.js'
import { withIdempotentOutcomes } from './idempotentOutcomes.js'
import { openTransparencyLog, type TransparencyLog } from './transparencyLog.js'

const requestDigest = `0x${'5b'.repeat(32)}` as const
const intent: Intent = {
  kind: 'user-op',
  chainId: 31337,
  sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  calls: [],
  gas: { limit: '1', maxFeePerGas: '1', maxCostWei: '1' },
  validUntil: 1_900_000_000,
  nonce: '0',
  requestDigest,
}
const attestationKey = generateSigningKey()
const logKey = generateSigningKey()
let dir: string
let log: TransparencyLog

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'intentgate-outcomes-'))
  log = await openTransparencyLog({ dir, origin: 'test/log', signingKey: { name: 'test/log', key: logKey } })
})
afterEach(async () => {
  await log.close()
  await rm(dir, { recursive: true, force: true })
})

/** The attestor a restarted process builds: over the same log, with its audit index. */
function attestorOver(target: TransparencyLog): Attestor {
  const plain = createAttestor({ log: target, key: attestationKey, gatewayId: 'gw-1' })
  const audit = createAuditReader({ log: target, attestationKeys: [attestationKey] })
  return withIdempotentOutcomes(plain, audit)
}

describe('withIdempotentOutcomes', () => {
  test('an outcome attested again for the same decision (a settle re-run after a crash) is the one logged, not a second', async () => {
    const attestor = attestorOver(log)
    const decision = await attestor.attestDecision({
      requestDigest,
      decision: { allow: true, reasons: [] },
      template: { id: 'poll', digest: 'sha256:t' },
      instance: { id: 'inst-1' },
      policy: { revision: 'r1', digest: 'sha256:p' },
      intent,
      limits: [],
      decidedAt: '2030-05-06T07:08:00.000Z',
    })
    const outcome = {
      requestDigest,
      decisionEntry: { logIndex: decision.index, envelopeDigest: decision.envelopeDigest },
      outcome: { status: 'confirmed' as const, chainId: 31337, txHash: `0x${'ab'.repeat(32)}` },
    }
    const first = await attestor.attestOutcome(outcome)
    // The process dies here, before the record moved on; a new one opens the same log.
    await log.close()
    log = await openTransparencyLog({
      dir,
      origin: 'test/log',
      signingKey: { name: 'test/log', key: logKey },
    })
    const restarted = attestorOver(log)
    const again = await restarted.attestOutcome(outcome)
    expect(again).toStrictEqual(first)
    expect(log.size()).toBe(2)
    // Another request's outcome is still attested.
    const other = await restarted.attestOutcome({ ...outcome, requestDigest: `0x${'5c'.repeat(32)}` })
    expect(other.index).toBe(2)
  })
})
