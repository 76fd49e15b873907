import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { signEnvelope } from '../crypto/dsse.js'
import { generateSigningKey } from '../crypto/ed25519.js'
import { signCheckpoint } from './checkpoint.js'
import { encodeLogEntry } from './logEntry.js'
import { hashLeaf, rootFromLeafHashes } from './merkle.js'
import { buildAdminActionStatement, signStatement } from './statements.js'
import { formatVerifierState, readVerifierState } from './verifierState.js'
import { type AcceptedCheckpoint, verifyLogView } from './verifyLogView.js'

const origin = 'audit.test/log'
const logKey = generateSigningKey()
const attestationKey = generateSigningKey()
const keys = { log: { name: origin, publicKey: logKey, origin }, attestation: [attestationKey] }

function entry(i: number, target = `t-${i}`): Uint8Array {
  const statement = buildAdminActionStatement({
    actor: { name: 'alice', role: 'operator' },
    action: 'template.publish',
    target,
    detail: { n: i },
    at: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(),
    gateway: { id: 'gw-1' },
  })
  return encodeLogEntry(signStatement(statement, attestationKey))
}

/** Notes of checkpoints at `sizes` over `entries`, signed by `signer` (the log key by default). */
function notesFor(entries: readonly Uint8Array[], sizes: readonly number[], signer = logKey): Uint8Array[] {
  const leaves = entries.map(hashLeaf)
  return sizes.map((size) =>
    new TextEncoder().encode(
      signCheckpoint({ origin, size, root: rootFromLeafHashes(leaves, size) }, { name: origin, key: signer }),
    ),
  )
}

const entries = Array.from({ length: 12 }, (_, i) => entry(i))
const sizes = [0, 1, 4, 5, 9, 12]
const notes = notesFor(entries, sizes)

function acceptedAt(size: number): AcceptedCheckpoint {
  const result = verifyLogView({
    view: { entries: entries.slice(0, size), notes: notesFor(entries, [size]) },
    keys,
  })
  if (!result.ok) throw new Error(result.problem.message)
  return result.latest
}

describe('verifyLogView', () => {
  test('accepts an intact log and reports its size, checkpoints and kinds', () => {
    const result = verifyLogView({ view: { entries, notes }, keys })
    expect(result).toMatchObject({
      ok: true,
      size: 12,
      checkpoints: 6,
      unsignedEntries: 0,
      kinds: { decision: 0, outcome: 0, approval: 0, adminAction: 12 },
      latest: { origin, size: 12 },
    })
  })

  test('entries past the latest checkpoint are counted as unsigned, not refused', () => {
    const result = verifyLogView({ view: { entries, notes: notesFor(entries, [0, 9]) }, keys })
    expect(result).toMatchObject({ ok: true, size: 12, unsignedEntries: 3, latest: { size: 9 } })
  })

  test('a deleted entry is a checkpoint mismatch from the first entry no checkpoint before vouches for', () => {
    const result = verifyLogView({ view: { entries: entries.toSpliced(6, 1), notes }, keys })
    expect(result).toMatchObject({
      ok: false,
      problem: { kind: 'checkpoint-mismatch', index: 5, checkpoint: 4 },
    })
  })

  test('swapped entries are a checkpoint mismatch', () => {
    const swapped = [...entries]
    ;[swapped[2], swapped[3]] = [swapped[3] as Uint8Array, swapped[2] as Uint8Array]
    const result = verifyLogView({ view: { entries: swapped, notes }, keys })
    expect(result).toMatchObject({
      ok: false,
      problem: { kind: 'checkpoint-mismatch', index: 1, checkpoint: 2 },
    })
  })

  test('a log cut short of its checkpoints is missing entries', () => {
    const result = verifyLogView({ view: { entries: entries.slice(0, 10), notes }, keys })
    expect(result).toMatchObject({
      ok: false,
      problem: { kind: 'missing-entries', index: 10, checkpoint: 5 },
    })
  })

  test('a checkpoint signed by another key is refused, naming the checkpoint', () => {
    const forged = [...notes.slice(0, 3), ...notesFor(entries, [5], generateSigningKey()), ...notes.slice(4)]
    const result = verifyLogView({ view: { entries, notes: forged }, keys })
    expect(result).toMatchObject({ ok: false, problem: { kind: 'bad-checkpoint', checkpoint: 3 } })
    if (!result.ok) expect(result.problem.message).toContain('NO_TRUSTED_SIGNATURE')
  })

  test('checkpoints whose size goes down are refused', () => {
    const result = verifyLogView({ view: { entries, notes: notesFor(entries, [0, 5, 4]) }, keys })
    expect(result).toMatchObject({ ok: false, problem: { kind: 'checkpoint-order', checkpoint: 2 } })
  })

  test('a log with no checkpoint vouches for nothing', () => {
    const result = verifyLogView({ view: { entries, notes: [] }, keys })
    expect(result).toMatchObject({ ok: false, problem: { kind: 'no-checkpoint' } })
  })

  test('an envelope of another payload type is refused even when the attestation key signed it', () => {
    const statement = buildAdminActionStatement({
      actor: { name: 'alice', role: 'operator' },
      action: 'template.publish',
      target: 'x',
      at: '2030-01-01T00:00:00.000Z',
      gateway: { id: 'gw-1' },
    })
    const payload = new TextEncoder().encode(JSON.stringify(statement))
    const retyped = encodeLogEntry(
      signEnvelope('application/vnd.intentgate.template+json', payload, [attestationKey]),
    )
    const view = {
      entries: [...entries.slice(0, 3), retyped],
      notes: notesFor([...entries.slice(0, 3), retyped], [4]),
    }
    expect(verifyLogView({ view, keys })).toMatchObject({
      ok: false,
      problem: { kind: 'payload-type', index: 3 },
    })
  })

  test('an entry signed by another key is refused', () => {
    const other = { ...keys, attestation: [generateSigningKey()] }
    expect(verifyLogView({ view: { entries, notes }, keys: other })).toMatchObject({
      ok: false,
      problem: { kind: 'bad-signature', index: 0 },
    })
  })

  test('any single changed byte in any entry or checkpoint is detected', () => {
    const material = [
      ...entries.map((bytes) => ({ bytes, isNote: false })),
      ...notes.map((bytes) => ({ bytes, isNote: true })),
    ]
    fc.assert(
      fc.property(
        fc.nat(material.length - 1),
        fc.nat(1 << 20),
        fc.integer({ min: 1, max: 255 }),
        (which, at, mask) => {
          const target = material[which] as { bytes: Uint8Array; isNote: boolean }
          const changed = target.bytes.slice()
          const offset = at % changed.length
          changed[offset] = (changed[offset] as number) ^ mask
          const view = target.isNote
            ? { entries, notes: notes.map((note) => (note === target.bytes ? changed : note)) }
            : { entries: entries.map((e) => (e === target.bytes ? changed : e)), notes }
          expect(verifyLogView({ view, keys }).ok).toBe(false)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('an intact prefix of any length verifies against checkpoints of any sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(12)), (size, picks) => {
        const chosen = [...new Set([...picks.filter((pick) => pick <= size), size])].sort((a, b) => a - b)
        const result = verifyLogView({
          view: { entries: entries.slice(0, size), notes: notesFor(entries, chosen) },
          keys,
        })
        expect(result).toMatchObject({ ok: true, size, checkpoints: chosen.length })
      }),
    )
  })
})

describe('verifyLogView with a saved state', () => {
  test('a log that grew from the accepted tree verifies, and the state moves to its latest checkpoint', () => {
    const result = verifyLogView({ view: { entries, notes }, keys, state: acceptedAt(5) })
    expect(result).toMatchObject({ ok: true, state: { size: 12 } })
  })

  test('a log truncated and regrown with other entries is a fork, even though it is consistent in itself', () => {
    const regrown = [...entries.slice(0, 3), ...Array.from({ length: 9 }, (_, i) => entry(100 + i))]
    const view = { entries: regrown, notes: notesFor(regrown, [0, 3, 8, 12]) }
    expect(verifyLogView({ view, keys }).ok).toBe(true)
    expect(verifyLogView({ view, keys, state: acceptedAt(5) })).toMatchObject({
      ok: false,
      problem: { kind: 'fork' },
    })
  })

  test('a log smaller than the accepted tree is a rollback', () => {
    const view = { entries: entries.slice(0, 4), notes: notesFor(entries, [4]) }
    expect(verifyLogView({ view, keys, state: acceptedAt(9) })).toMatchObject({
      ok: false,
      problem: { kind: 'rollback', index: 4 },
    })
  })

  test('a state of another log is refused', () => {
    const state = { ...acceptedAt(4), origin: 'other.test/log' }
    expect(verifyLogView({ view: { entries, notes }, keys, state })).toMatchObject({
      ok: false,
      problem: { kind: 'state-mismatch' },
    })
  })

  test('the state file round-trips and is re-checked against the log key', () => {
    const accepted = acceptedAt(9)
    const text = formatVerifierState(accepted, new Date('2030-01-01T00:00:00Z'))
    expect(readVerifierState(text, keys.log)).toStrictEqual({ ok: true, state: accepted })
    const otherKey = { name: origin, publicKey: generateSigningKey(), origin }
    expect(readVerifierState(text, otherKey)).toMatchObject({ ok: false })
    const edited = text.replace(/"size": 9/, '"size": 8')
    expect(readVerifierState(edited, keys.log)).toMatchObject({
      ok: false,
      message: 'the size or root in the state file is not that of its checkpoint',
    })
    expect(readVerifierState('{', keys.log)).toMatchObject({ ok: false })
  })
})
