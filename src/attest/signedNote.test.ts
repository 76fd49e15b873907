import { describe, expect, test } from 'vitest'
import { generateSigningKey, parseSigningKey } from '../crypto/ed25519.js'
import {
  formatVerifierKey,
  NoteFormatError,
  noteKeyId,
  parseNote,
  parseVerifierKey,
  signNote,
  verifyNote,
} from './signedNote.js'

/*
 * The example of golang.org/x/mod/sumdb/note, the reference implementation of signed notes: its
 * private key is base64(0x01 || 32-byte Ed25519 seed). Ed25519 is deterministic, so signing the
 * same text must give the published note byte for byte.
 */
const goSeed = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1)
const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex')
const peterKey = parseSigningKey(Buffer.concat([pkcs8Ed25519Prefix, goSeed]).toString('base64'))
const peter = { name: 'PeterNeumann', key: peterKey }
const peterVerifierKey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const peterText =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const peterNote = `${peterText}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`

describe('signed notes, against the Go reference example', () => {
  test('signing reproduces the published note and the key ID c74f20a3', () => {
    expect(signNote(peterText, peter)).toBe(peterNote)
    expect(Buffer.from(noteKeyId('PeterNeumann', peterKey)).toString('hex')).toBe('c74f20a3')
  })

  test('the verifier key text round-trips', () => {
    expect(formatVerifierKey({ name: 'PeterNeumann', publicKey: peterKey })).toBe(peterVerifierKey)
    const parsed = parseVerifierKey(peterVerifierKey)
    expect(parsed.name).toBe('PeterNeumann')
    expect(Buffer.from(parsed.publicKey.raw)).toStrictEqual(Buffer.from(peterKey.raw))
    expect(verifyNote(peterNote, [parsed])).toStrictEqual({
      ok: true,
      text: peterText,
      signedBy: ['PeterNeumann'],
    })
  })

  test('a verifier key with a wrong key ID, type or length is refused', () => {
    expect(() => parseVerifierKey(peterVerifierKey.replace('c74f20a3', 'c74f20a4'))).toThrow('does not match')
    expect(() =>
      parseVerifierKey('PeterNeumann+c74f20a3+AhpcmQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    ).toThrow('not an Ed25519 key')
    expect(() => parseVerifierKey('PeterNeumann+c74f20a3')).toThrow(NoteFormatError)
    expect(() =>
      parseVerifierKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    ).toThrow(NoteFormatError)
  })
})

describe('parseNote', () => {
  test('a signature in non-canonical base64 (unused bits of the last digit set) is refused, not read alike', () => {
    // 68 bytes leave 2 unused bits in the last digit: "AN=" decodes to the same bytes as "AM=".
    const twin = peterNote.replace('nAM=', 'nAN=')
    expect(twin).not.toBe(peterNote)
    expect(Buffer.from('nAN=', 'base64')).toStrictEqual(Buffer.from('nAM=', 'base64'))
    expect(() => parseNote(twin)).toThrow('not canonical base64')
  })
})

describe('verifyNote', () => {
  const other = { name: 'example.com/other', key: generateSigningKey() }
  const peterVerifier = { name: 'PeterNeumann', publicKey: peterKey }

  test('a changed text fails: the trusted signature no longer verifies', () => {
    expect(verifyNote(peterNote.replace('cryptography', 'cryptographY'), [peterVerifier])).toMatchObject({
      ok: false,
      reason: 'BAD_SIGNATURE',
    })
  })

  test('unknown signatures are ignored, but one trusted signature is required', () => {
    const cosigned = `${peterNote}${signNote(peterText, other).slice(peterText.length + 1)}`
    expect(cosigned.split('\n— ')).toHaveLength(3)
    expect(verifyNote(cosigned, [peterVerifier])).toMatchObject({ ok: true, signedBy: ['PeterNeumann'] })
    expect(verifyNote(cosigned, [peterVerifier, { name: other.name, publicKey: other.key }])).toMatchObject({
      ok: true,
      signedBy: ['PeterNeumann', 'example.com/other'],
    })
    expect(verifyNote(peterNote, [{ name: other.name, publicKey: other.key }])).toMatchObject({
      ok: false,
      reason: 'NO_TRUSTED_SIGNATURE',
    })
  })

  test('a key that shares the name but not the key ID is ignored, not failed', () => {
    expect(verifyNote(peterNote, [{ name: 'PeterNeumann', publicKey: other.key }])).toMatchObject({
      ok: false,
      reason: 'NO_TRUSTED_SIGNATURE',
    })
  })

  test('bytes are read as strict UTF-8', () => {
    expect(verifyNote(Buffer.from(peterNote, 'utf8'), [peterVerifier]).ok).toBe(true)
    const invalid = Buffer.concat([
      Buffer.from(peterText),
      Buffer.of(0xff),
      Buffer.from(peterNote.slice(peterText.length)),
    ])
    expect(verifyNote(invalid, [peterVerifier])).toMatchObject({ ok: false, reason: 'MALFORMED_NOTE' })
  })
})

describe('parseNote is strict', () => {
  const malformed: [string, string][] = [
    ['no blank line', peterNote.replace('\n\n', '\n')],
    ['no final newline', peterNote.slice(0, -1)],
    ['a carriage return', peterNote.replace('\n\n', '\r\n\n')],
    ['a tab', peterNote.replace('cryptography', 'crypto\tgraphy')],
    ['a hyphen for the em dash', peterNote.replace('— ', '- ')],
    ['two spaces in a signature line', peterNote.replace('— PeterNeumann ', '— PeterNeumann  ')],
    ['no signature lines', `${peterText}\n`],
    ['an empty line after the signatures', `${peterNote}\n`],
    ['bad base64', peterNote.replace('x08go', 'x08g!')],
    ['unpadded base64', peterNote.replace('AM=\n', 'AM\n')],
    ['a plus in the key name', peterNote.replace('— PeterNeumann', '— Peter+Neumann')],
    ['a signature too short for a key ID', `${peterText}\n— PeterNeumann AAAA\n`],
  ]
  test.each(malformed)('%s', (_, note) => {
    expect(() => parseNote(note)).toThrow(NoteFormatError)
  })

  test('the text keeps empty lines of its own: the last blank line separates', () => {
    const text = 'first\n\nthird\n'
    const note = signNote(text, peter)
    expect(parseNote(note).text).toBe(text)
    expect(verifyNote(note, [{ name: 'PeterNeumann', publicKey: peterKey }]).ok).toBe(true)
  })

  test('signNote refuses text it could not write as a note', () => {
    expect(() => signNote('no newline', peter)).toThrow(NoteFormatError)
    expect(() => signNote('a\u0007bell\n', peter)).toThrow(NoteFormatError)
    expect(() => signNote('ok\n', { name: 'has space', key: peterKey })).toThrow(NoteFormatError)
  })
})
