import { describe, expect, test } from 'vitest'
import { generateSigningKey } from '../crypto/ed25519.js'
import {
  CheckpointFormatError,
  formatCheckpointText,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from './checkpoint.js'
import { emptyTreeRoot } from './merkle.js'
import { noteKeyId, signNote } from './signedNote.js'

const origin = 'gateway.example/log/1'
const logKey = generateSigningKey()
const signer = { name: origin, key: logKey }
const verifier = { name: origin, publicKey: logKey }
const root = new Uint8Array(
  Buffer.from('b70774ab4b8a8159950d886804e6d29fa1a51f306db62f257d81e2320cd65e4c', 'hex'),
)

describe('checkpoints', () => {
  test('the text is origin, size and base64 root, each on its own line', () => {
    expect(formatCheckpointText({ origin, size: 8, root })).toBe(
      'gateway.example/log/1\n8\ntwd0q0uKgVmVDYhoBObSn6GlHzBtti8lfYHiMgzWXkw=\n',
    )
    expect(formatCheckpointText({ origin, size: 0, root: emptyTreeRoot() })).toBe(
      'gateway.example/log/1\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n',
    )
  })

  test('a signed checkpoint is a note with one line signed by the log key, and verifies', () => {
    const note = signCheckpoint({ origin, size: 8, root }, signer)
    const lines = note.split('\n')
    expect(lines.slice(0, 4)).toStrictEqual([origin, '8', 'twd0q0uKgVmVDYhoBObSn6GlHzBtti8lfYHiMgzWXkw=', ''])
    expect(lines[4]).toMatch(/^— gateway\.example\/log\/1 [A-Za-z0-9+/]{91}=$/)
    expect(lines[5]).toBe('')
    const blob = Buffer.from((lines[4] as string).split(' ')[2] as string, 'base64')
    expect(blob).toHaveLength(68)
    expect(blob.subarray(0, 4)).toStrictEqual(Buffer.from(noteKeyId(origin, logKey)))
    expect(verifyCheckpoint(note, verifier)).toStrictEqual({
      ok: true,
      checkpoint: { origin, size: 8, root },
    })
    expect(parseCheckpoint(note)).toMatchObject({ origin, size: 8, root, extensions: [] })
  })

  test('another key, another origin, or a changed size or root is refused', () => {
    const note = signCheckpoint({ origin, size: 8, root }, signer)
    const stranger = generateSigningKey()
    expect(verifyCheckpoint(note, { name: origin, publicKey: stranger })).toMatchObject({
      ok: false,
      reason: 'NO_TRUSTED_SIGNATURE',
    })
    expect(
      verifyCheckpoint(signCheckpoint({ origin, size: 8, root }, { name: origin, key: stranger }), verifier),
    ).toMatchObject({ ok: false, reason: 'NO_TRUSTED_SIGNATURE' })
    expect(verifyCheckpoint(note, { ...verifier, origin: 'gateway.example/log/2' })).toMatchObject({
      ok: false,
      reason: 'ORIGIN_MISMATCH',
    })
    expect(verifyCheckpoint(note.replace('\n8\n', '\n9\n'), verifier)).toMatchObject({
      ok: false,
      reason: 'BAD_SIGNATURE',
    })
    const otherRoot = Buffer.from(emptyTreeRoot()).toString('base64')
    expect(
      verifyCheckpoint(note.replace(Buffer.from(root).toString('base64'), otherRoot), verifier),
    ).toMatchObject({
      ok: false,
      reason: 'BAD_SIGNATURE',
    })
  })

  test('extension lines are parsed and signed over, and witness cosignatures are ignored', () => {
    const text = `${formatCheckpointText({ origin, size: 8, root })}ext one\n`
    const note = signNote(text, signer)
    expect(parseCheckpoint(note).extensions).toStrictEqual(['ext one'])
    expect(verifyCheckpoint(note, verifier).ok).toBe(true)
    const witness = { name: 'witness.example', key: generateSigningKey() }
    const cosigned = note + signNote(text, witness).slice(text.length + 1)
    expect(verifyCheckpoint(cosigned, verifier)).toMatchObject({ ok: true, checkpoint: { size: 8 } })
  })

  const sign = (text: string) => signNote(text, signer)
  const b64root = Buffer.from(root).toString('base64')
  const malformed: [string, string][] = [
    ['a size with a leading zero', sign(`${origin}\n08\n${b64root}\n`)],
    ['a negative size', sign(`${origin}\n-1\n${b64root}\n`)],
    ['a size past 2^53', sign(`${origin}\n9007199254740993\n${b64root}\n`)],
    ['a root of 31 bytes', sign(`${origin}\n8\n${Buffer.alloc(31).toString('base64')}\n`)],
    ['a root in hex', sign(`${origin}\n8\n${Buffer.from(root).toString('hex')}\n`)],
    ['a root with non-canonical trailing bits', sign(`${origin}\n8\n${b64root.slice(0, 42)}x=\n`)],
    ['a missing root', sign(`${origin}\n8\n`)],
    ['an empty origin', sign(`\n8\n${b64root}\n`)],
    ['an empty extension line', sign(`${origin}\n8\n${b64root}\n\next\n`)],
    ['no signatures', `${origin}\n8\n${b64root}\n\n`],
  ]
  test.each(malformed)('refuses %s', (_, note) => {
    expect(() => parseCheckpoint(note)).toThrow(CheckpointFormatError)
    expect(verifyCheckpoint(note, verifier)).toMatchObject({ ok: false, reason: 'MALFORMED_CHECKPOINT' })
  })

  test('signing refuses what it could not write as a checkpoint', () => {
    expect(() => signCheckpoint({ origin: 'has space', size: 1, root }, signer)).toThrow(
      CheckpointFormatError,
    )
    expect(() => signCheckpoint({ origin, size: -1, root }, signer)).toThrow(CheckpointFormatError)
    expect(() => signCheckpoint({ origin, size: 1, root: root.subarray(1) }, signer)).toThrow(
      CheckpointFormatError,
    )
  })
})
