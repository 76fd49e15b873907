import { describe, expect, test } from 'vitest'
import { preAuthEncoding, signEnvelope, verifyEnvelope } from './dsse.js'
import {
  exportSigningKey,
  formatPublicKey,
  generateSigningKey,
  parsePublicKey,
  parseSigningKey,
} from './ed25519.js'

const payloadType = 'application/vnd.intentgate.template+json'
const payload = new TextEncoder().encode('{"id":"poll"}')

describe('preAuthEncoding', () => {
  test('follows the DSSE v1 definition, lengths in bytes', () => {
    const pae = preAuthEncoding('http://example.com/HelloWorld', new TextEncoder().encode('hello world'))
    expect(Buffer.from(pae).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world')
    expect(Buffer.from(preAuthEncoding('t', new TextEncoder().encode('é'))).toString()).toBe('DSSEv1 1 t 2 é')
  })
})

describe('signEnvelope and verifyEnvelope', () => {
  const alice = generateSigningKey()
  const bob = generateSigningKey()
  const mallory = generateSigningKey()

  test('a signed envelope verifies and yields the payload and its signers', () => {
    const envelope = signEnvelope(payloadType, payload, [alice, bob])
    const result = verifyEnvelope(envelope, payloadType, [alice, bob])
    expect(result).toStrictEqual({ ok: true, payload, signers: [alice.keyid, bob.keyid].sort() })
  })

  test('a payload type swap is refused before anything else', () => {
    const envelope = signEnvelope('application/vnd.other+json', payload, [alice])
    expect(verifyEnvelope(envelope, payloadType, [alice])).toStrictEqual({
      ok: false,
      reason: 'PAYLOAD_TYPE_MISMATCH',
      signers: [],
    })
    // Relabelling the envelope does not help: the signature covers the type.
    expect(verifyEnvelope({ ...envelope, payloadType }, payloadType, [alice]).ok).toBe(false)
  })

  test('a tampered payload or an untrusted signer has no valid signature', () => {
    const envelope = signEnvelope(payloadType, payload, [alice])
    const tampered = { ...envelope, payload: Buffer.from('{"id":"pwn"}').toString('base64') }
    expect(verifyEnvelope(tampered, payloadType, [alice])).toMatchObject({
      ok: false,
      reason: 'NO_VALID_SIGNATURE',
    })
    expect(verifyEnvelope(signEnvelope(payloadType, payload, [mallory]), payloadType, [alice])).toMatchObject(
      {
        ok: false,
        reason: 'NO_VALID_SIGNATURE',
      },
    )
  })

  test('a keyid is only a hint: a lying keyid neither helps nor hurts', () => {
    const envelope = signEnvelope(payloadType, payload, [mallory])
    const claimed = {
      ...envelope,
      signatures: [{ keyid: alice.keyid, sig: envelope.signatures[0]?.sig ?? '' }],
    }
    expect(verifyEnvelope(claimed, payloadType, [alice]).ok).toBe(false)
    const honest = signEnvelope(payloadType, payload, [alice])
    const misnamed = { ...honest, signatures: [{ keyid: 'nonsense', sig: honest.signatures[0]?.sig ?? '' }] }
    expect(verifyEnvelope(misnamed, payloadType, [bob, alice])).toMatchObject({
      ok: true,
      signers: [alice.keyid],
    })
  })

  test('the same key signing twice counts once', () => {
    const envelope = signEnvelope(payloadType, payload, [alice, alice])
    expect(verifyEnvelope(envelope, payloadType, [alice, bob])).toMatchObject({
      ok: true,
      signers: [alice.keyid],
    })
  })

  test('malformed base64 is refused, not decoded leniently', () => {
    const envelope = signEnvelope(payloadType, payload, [alice])
    expect(
      verifyEnvelope({ ...envelope, payload: `${envelope.payload}!` }, payloadType, [alice]),
    ).toMatchObject({
      ok: false,
      reason: 'MALFORMED_ENVELOPE',
    })
    const badSig = { ...envelope, signatures: [{ sig: 'not base64!' }] }
    expect(verifyEnvelope(badSig, payloadType, [alice])).toMatchObject({
      ok: false,
      reason: 'NO_VALID_SIGNATURE',
    })
  })
})

describe('Ed25519 key text forms', () => {
  test('keys survive export and parse, with stable key ids', () => {
    const key = generateSigningKey()
    const again = parseSigningKey(exportSigningKey(key))
    expect(again.keyid).toBe(key.keyid)
    const publicKey = parsePublicKey(formatPublicKey(key))
    expect(publicKey.keyid).toBe(key.keyid)
    expect(formatPublicKey(key)).toMatch(/^ed25519:[A-Za-z0-9+/]{43}=$/)
  })

  test('rejects keys of the wrong length or type', () => {
    expect(() => parsePublicKey('ed25519:AAAA')).toThrow('an Ed25519 public key is 32 bytes')
    expect(() => parseSigningKey('bm90IGEga2V5')).toThrow()
  })
})
