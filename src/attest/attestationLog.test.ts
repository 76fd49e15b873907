import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { canonicalJson } from '../crypto/canonicalJson.js'
import { generateSigningKey } from '../crypto/ed25519.js'
import type { Intent } from '../intents/intent.js'
import { type Attestor, createAttestor } from './attestationLog.js'
import { encodeLogEntry, openLogEntry } from './logEntry.js'
import { hashLeaf, verifyInclusionProof } from './merkle.js'
import { openTransparencyLog, type TransparencyLog } from './transparencyLog.js'

const requestDigest = `0x${'5a'.repeat(32)}` as const
const intent: Intent = {
  kind: 'user-op',
  chainId: 31337,
  sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  calls: [],
  gas: { limit: '1', maxFeePerGas: '1', maxCostWei: '1' },
  validUntil: 1_900_000_000,
  nonce: '7',
  requestDigest,
}
const attestationKey = generateSigningKey()
const logKey = generateSigningKey()

let dir: string
let log: TransparencyLog
let attestor: Attestor

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'intentgate-attest-'))
  log = await openTransparencyLog({ dir, origin: 'test/log', signingKey: { name: 'test/log', key: logKey } })
  attestor = createAttestor({
    log,
    key: attestationKey,
    gatewayId: 'gw-1',
    now: () => new Date('2030-05-06T07:08:09.000Z'),
  })
})
afterEach(async () => {
  await log.close()
  await rm(dir, { recursive: true, force: true })
})

const decision = {
  requestDigest,
  decision: { allow: true, reasons: [] },
  template: { id: 'poll', digest: 'sha256:t' },
  instance: { id: 'inst-1' },
  policy: { revision: 'r1', digest: 'sha256:p' },
  intent,
  limits: [{ id: 'daily', amount: '1' }],
  decidedAt: '2030-05-06T07:08:00.000Z',
}

describe('createAttestor', () => {
  test('a decision is signed, logged durably, and comes back whole from the log', async () => {
    const logged = await attestor.attestDecision(decision)
    expect(logged.index).toBe(0)
    const entry = await log.entry(0)
    expect(entry).toStrictEqual(encodeLogEntry(logged.envelope))
    expect(Buffer.from(entry).toString()).toBe(canonicalJson(logged.envelope))
    expect(logged.envelopeDigest).toBe(createHash('sha256').update(entry).digest('hex'))
    expect(verifyInclusionProof(hashLeaf(entry), 0, 1, log.inclusionProof(0), log.root())).toBe(true)
    const opened = openLogEntry(entry, [attestationKey])
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    expect(opened.signers).toStrictEqual([attestationKey.keyid])
    expect(opened.statement.predicateType).toBe('https://intentgate.dev/attestations/decision/v1')
    expect(opened.statement.predicate).toMatchObject({ gateway: { id: 'gw-1' }, limits: [{ id: 'daily' }] })
  })

  test('an outcome points back to the decision by index and digest', async () => {
    const first = await attestor.attestDecision(decision)
    const outcome = await attestor.attestOutcome({
      requestDigest,
      decisionEntry: { logIndex: first.index, envelopeDigest: first.envelopeDigest },
      outcome: { status: 'confirmed', userOpHash: `0x${'01'.repeat(32)}`, gasUsed: 21000n },
    })
    expect(outcome.index).toBe(1)
    const opened = openLogEntry(await log.entry(1), [attestationKey])
    expect(opened.ok && opened.statement.predicate).toStrictEqual({
      gateway: { id: 'gw-1' },
      recordedAt: '2030-05-06T07:08:09.000Z',
      decisionEntry: { logIndex: 0, envelopeDigest: first.envelopeDigest },
      outcome: { status: 'confirmed', userOpHash: `0x${'01'.repeat(32)}`, gasUsed: '21000' },
    })
  })

  test('admin actions are attested with the clock time unless given one', async () => {
    const logged = await attestor.attestAdminAction({
      actor: { name: 'alice', role: 'operator' },
      action: 'template.revoke',
      target: 'sha256:t',
    })
    const opened = openLogEntry(await log.entry(logged.index), [attestationKey])
    expect(opened.ok && opened.statement.predicate).toStrictEqual({
      gateway: { id: 'gw-1' },
      at: '2030-05-06T07:08:09.000Z',
      actor: { name: 'alice', role: 'operator' },
      action: 'template.revoke',
      target: 'sha256:t',
      detail: {},
    })
  })

  test('a statement that cannot be built is a rejection, and nothing is logged', async () => {
    await expect(attestor.attestDecision({ ...decision, decidedAt: 'now' })).rejects.toThrow()
    expect(log.size()).toBe(0)
  })
})

describe('openLogEntry', () => {
  test('refuses entries that are not canonical, not signed by a trusted key, or of another payload type', async () => {
    const logged = await attestor.attestDecision(decision)
    const entry = encodeLogEntry(logged.envelope)
    expect(openLogEntry(entry, [generateSigningKey()])).toMatchObject({
      ok: false,
      reason: 'NO_VALID_SIGNATURE',
    })
    const spaced = new TextEncoder().encode(JSON.stringify(logged.envelope, null, 1))
    expect(openLogEntry(spaced, [attestationKey])).toMatchObject({ ok: false, reason: 'NOT_CANONICAL' })
    const swapped = encodeLogEntry({ ...logged.envelope, payloadType: 'application/json' })
    expect(openLogEntry(swapped, [attestationKey])).toMatchObject({
      ok: false,
      reason: 'PAYLOAD_TYPE_MISMATCH',
    })
    expect(openLogEntry(new TextEncoder().encode('{"a":1}'), [attestationKey])).toMatchObject({
      ok: false,
      reason: 'MALFORMED_ENVELOPE',
    })
  })
})
