import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createAttestor } from '../../../attest/attestationLog.js'
import { signCheckpoint } from '../../../attest/checkpoint.js'
import { encodeLogEntry } from '../../../attest/logEntry.js'
import { hashLeaf, inclusionProof, rootFromLeafHashes, verifyInclusionProof } from '../../../attest/merkle.js'
import { formatVerifierKey, noteKeyId as serverNoteKeyId, signNote } from '../../../attest/signedNote.js'
import { openTransparencyLog } from '../../../attest/transparencyLog.js'
import { canonicalJson as serverCanonicalJson } from '../../../crypto/canonicalJson.js'
import { preAuthEncoding as serverPae, signEnvelope } from '../../../crypto/dsse.js'
import { formatPublicKey, generateSigningKey } from '../../../crypto/ed25519.js'
import {
  base64ToBytes,
  canonicalJson,
  noteKeyId,
  parseVerifierKey,
  preAuthEncoding,
  rootFromInclusionProof,
  verifyCheckpoint,
  verifyEnvelopeEntry,
  verifyLogEntry,
} from './verifyLogEntry.js'

/**
 * The browser's verifier (verifyLogEntry.js) checked against the gateway's own implementation:
 * whatever the gateway writes, it accepts; whatever the gateway's verifier refuses, it refuses.
 */

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const leafHashes = (count: number, seed: number) =>
  Array.from({ length: count }, (_, i) => hashLeaf(new TextEncoder().encode(`entry ${seed}:${i}`)))

describe('RFC 6962 inclusion proofs', () => {
  test('every proof the gateway builds leads to its root; a changed hash or index does not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 70 })
          .chain((size) => fc.tuple(fc.constant(size), fc.nat({ max: size - 1 }))),
        fc.nat(),
        async ([size, index], seed) => {
          const leaves = leafHashes(size, seed)
          const proof = inclusionProof(leaves, index, size)
          const root = rootFromLeafHashes(leaves)
          const leaf = leaves[index] as Uint8Array
          expect(await rootFromInclusionProof(leaf, index, size, proof)).toStrictEqual(root)
          if (proof.length > 0) {
            const tampered = proof.map((hash, i) => (i === seed % proof.length ? hashLeaf(hash) : hash))
            const from = await rootFromInclusionProof(leaf, index, size, tampered)
            expect(from === undefined || b64(from) !== b64(root)).toBe(true)
          }
          if (size > 1) {
            const other = (index + 1) % size
            const moved = await rootFromInclusionProof(leaf, other, size, proof)
            // The gateway's verifier is the reference for whether a proof fits another index.
            expect(moved !== undefined && b64(moved) === b64(root)).toBe(
              verifyInclusionProof(leaf, other, size, proof, root),
            )
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  test('proofs of the wrong length for the tree are refused, as by the gateway', async () => {
    const leaves = leafHashes(13, 1)
    const proof = inclusionProof(leaves, 5, 13)
    const leaf = leaves[5] as Uint8Array
    expect(await rootFromInclusionProof(leaf, 5, 13, proof.slice(1))).toBeUndefined()
    expect(await rootFromInclusionProof(leaf, 5, 13, [...proof, proof[0] as Uint8Array])).toBeUndefined()
    expect(await rootFromInclusionProof(leaf, 13, 13, proof)).toBeUndefined()
  })
})

describe('DSSE and canonical JSON', () => {
  test('the pre-authentication encoding is byte for byte the gateway’s', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 200 }), (type, payload) => {
        expect(b64(preAuthEncoding(type, payload))).toBe(b64(serverPae(type, payload)))
      }),
    )
  })

  test('canonical JSON is the gateway’s RFC 8785 for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(serverCanonicalJson(value))
      }),
    )
  })

  test('an envelope the gateway signs verifies; another key, a swapped payload type or a re-encoding does not', async () => {
    const key = generateSigningKey()
    const keys = [{ keyid: key.keyid, publicKey: formatPublicKey(key) }]
    const payload = new TextEncoder().encode(
      JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', n: 1 }),
    )
    const envelope = signEnvelope('application/vnd.in-toto+json', payload, [key])
    const entry = encodeLogEntry(envelope)
    expect(await verifyEnvelopeEntry(entry, keys)).toMatchObject({ ok: true, statement: { n: 1 } })
    const stranger = generateSigningKey()
    expect(
      (await verifyEnvelopeEntry(entry, [{ keyid: 'x', publicKey: formatPublicKey(stranger) }])).ok,
    ).toBe(false)
    const swapped = encodeLogEntry({ ...envelope, payloadType: 'application/json' })
    expect(await verifyEnvelopeEntry(swapped, keys)).toMatchObject({ ok: false })
    const spaced = new TextEncoder().encode(JSON.stringify(envelope, null, 1))
    expect(await verifyEnvelopeEntry(spaced, keys)).toMatchObject({
      ok: false,
      detail: 'the entry is not canonical JSON',
    })
  })
})

describe('C2SP signed notes', () => {
  test('key ids and verifier keys agree with the gateway’s', async () => {
    const key = generateSigningKey()
    const name = 'intentgate/gw-test'
    expect(b64(await noteKeyId(name, key.raw))).toBe(b64(serverNoteKeyId(name, key)))
    const parsed = await parseVerifierKey(formatVerifierKey({ name, publicKey: key }))
    expect(parsed?.name).toBe(name)
    expect(b64(parsed?.publicKey ?? new Uint8Array())).toBe(b64(key.raw))
    // A key id that does not match its key is refused.
    const text = formatVerifierKey({ name, publicKey: key })
    expect(await parseVerifierKey(text.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toBeUndefined()
  })

  test('a checkpoint the gateway signs verifies; a changed size, another key or another origin does not', async () => {
    const key = generateSigningKey()
    const name = 'intentgate/gw-test'
    const verifierKey = formatVerifierKey({ name, publicKey: key })
    const root = rootFromLeafHashes(leafHashes(7, 3))
    const note = signCheckpoint({ origin: name, size: 7, root }, { name, key })
    expect(await verifyCheckpoint(note, verifierKey)).toMatchObject({
      ok: true,
      checkpoint: { origin: name, size: 7 },
    })
    expect((await verifyCheckpoint(note.replace('\n7\n', '\n8\n'), verifierKey)).ok).toBe(false)
    const other = generateSigningKey()
    expect((await verifyCheckpoint(note, formatVerifierKey({ name, publicKey: other }))).ok).toBe(false)
    const elsewhere = signNote(`other/log\n7\n${b64(root)}\n`, { name, key })
    expect(await verifyCheckpoint(elsewhere, verifierKey)).toMatchObject({ ok: false })
    expect((await verifyCheckpoint('not a note', verifierKey)).ok).toBe(false)
  })
})

describe('a whole entry of a real log', () => {
  test('every entry of a log the gateway wrote verifies in the browser’s code; a flipped byte fails the right step', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intentgate-verify-js-'))
    const logKey = generateSigningKey()
    const attestationKey = generateSigningKey()
    const origin = 'intentgate/gw-verify'
    const log = await openTransparencyLog({ dir, origin, signingKey: { name: origin, key: logKey } })
    try {
      const attestor = createAttestor({ log, key: attestationKey, gatewayId: 'gw-verify' })
      for (let i = 0; i < 11; i++)
        await attestor.attestAdminAction({
          actor: { name: 'alice', role: 'operator' },
          action: 'kill-switch.engage',
          target: `instance:inst_${String(i).padStart(16, '0')}`,
          detail: { reason: `test ${i}` },
        })
      const checkpoint = await log.checkpoint()
      const keys = {
        verifierKey: log.verifierKey(),
        attestation: [{ keyid: attestationKey.keyid, publicKey: formatPublicKey(attestationKey) }],
      }
      const check = async (index: number, entry: Uint8Array, note = checkpoint.note) =>
        verifyLogEntry({
          index,
          entry,
          proof: { treeSize: checkpoint.size, hashes: log.inclusionProof(index, checkpoint.size).map(b64) },
          checkpointNote: note,
          logVerifierKey: keys.verifierKey,
          attestationKeys: keys.attestation,
        })
      for (let index = 0; index < checkpoint.size; index++) {
        const verdict = await check(index, await log.entry(index))
        expect(verdict.ok, `entry ${index}`).toBe(true)
        expect(verdict.checkpoint).toStrictEqual({ origin, size: 11, root: b64(checkpoint.root) })
      }
      const entry = await log.entry(4)
      const flipped = entry.slice()
      flipped[40] = (flipped[40] ?? 0) ^ 1
      const bad = await check(4, flipped)
      expect(bad.ok).toBe(false)
      expect(bad.steps.find((step) => step.name.startsWith('inclusion'))?.ok).toBe(false)
      // The right bytes under another index's proof are not included there.
      expect((await check(5, entry)).ok).toBe(false)
      // A checkpoint from a log key nobody trusts.
      const forged = signCheckpoint(
        { origin, size: 11, root: checkpoint.root },
        { name: origin, key: generateSigningKey() },
      )
      expect((await check(4, entry, forged)).steps[0]?.ok).toBe(false)
      expect(base64ToBytes('not base64!')).toBeUndefined()
    } finally {
      await log.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
