import { describe, expect, test } from 'vitest'
import { malleateEd25519 } from '../../test/support/forgeries.js'
import { type DsseEnvelope, preAuthEncoding, signEnvelope, verifyEnvelope } from './dsse.js'
import {
  exportSigningKey,
  formatPublicKey,
  generateSigningKey,
  parsePublicKey,
  parseSigningKey,
  signEd25519,
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

describe('verifyEnvelope refuses forged vectors', () => {
  const alice = generateSigningKey()
  const mallory = generateSigningKey()
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
  const withSignature = (sig: Uint8Array, keyid = alice.keyid): DsseEnvelope => ({
    payloadType,
    payload: base64(payload),
    signatures: [{ keyid, sig: base64(sig) }],
  })

  test('a signature over the bare payload rather than its PAE', () => {
    expect(verifyEnvelope(withSignature(signEd25519(alice, payload)), payloadType, [alice])).toMatchObject({
      ok: false,
      reason: 'NO_VALID_SIGNATURE',
    })
  })

  test('bytes moved between the payload type and the payload', () => {
    // PAE(type, "x y") and PAE("type x", "y") would collide without the length prefixes.
    const signed = signEnvelope('t', new TextEncoder().encode('1 u 1 v'), [alice])
    const shifted = { ...signed, payloadType: 't 1 u', payload: base64(new TextEncoder().encode('v')) }
    expect(verifyEnvelope(shifted, 't 1 u', [alice]).ok).toBe(false)
  })

  test('a malleated signature (S + L) of a genuine one', () => {
    const genuine = signEd25519(alice, preAuthEncoding(payloadType, payload))
    expect(verifyEnvelope(withSignature(genuine), payloadType, [alice]).ok).toBe(true)
    expect(verifyEnvelope(withSignature(malleateEd25519(genuine)), payloadType, [alice])).toMatchObject({
      ok: false,
      reason: 'NO_VALID_SIGNATURE',
    })
  })

  test('a signature lifted from another envelope of the same key', () => {
    const other = signEnvelope(payloadType, new TextEncoder().encode('{"id":"other"}'), [alice])
    const lifted = { ...signEnvelope(payloadType, payload, [mallory]), signatures: other.signatures }
    expect(verifyEnvelope(lifted, payloadType, [alice]).ok).toBe(false)
  })

  test('all-zero, truncated and extended signatures, and the public key as a signature', () => {
    const genuine = signEd25519(alice, preAuthEncoding(payloadType, payload))
    for (const sig of [
      new Uint8Array(64),
      genuine.subarray(0, 63),
      Uint8Array.from([...genuine, 0]),
      Uint8Array.from([...alice.raw, ...alice.raw]),
    ]) {
      expect(verifyEnvelope(withSignature(sig), payloadType, [alice])).toMatchObject({
        ok: false,
        reason: 'NO_VALID_SIGNATURE',
      })
    }
  })

  test('a payload type that only looks the same', () => {
    for (const lookalike of [
      `${payloadType} `,
      payloadType.toUpperCase(),
      payloadType.replace('a', '\u0430'),
    ]) {
      const envelope = signEnvelope(lookalike, payload, [alice])
      expect(verifyEnvelope(envelope, payloadType, [alice])).toMatchObject({
        reason: 'PAYLOAD_TYPE_MISMATCH',
      })
    }
  })

  test('signature lists of the wrong shape never throw', () => {
    const envelope = signEnvelope(payloadType, payload, [alice])
    const shapes: unknown[] = [null, 'sig', {}, [null], [42], [{ sig: 42 }], [{ keyid: alice.keyid }]]
    for (const signatures of shapes) {
      const forged = { ...envelope, signatures } as DsseEnvelope
      expect(verifyEnvelope(forged, payloadType, [alice]).ok).toBe(false)
    }
  })

  test('padding an envelope with copies of one genuine signature still counts one signer', () => {
    const envelope = signEnvelope(payloadType, payload, [alice])
    const [genuine] = envelope.signatures
    if (!genuine) throw new Error('signed by alice')
    const padded = {
      ...envelope,
      signatures: [genuine, { ...genuine, keyid: mallory.keyid }, { sig: genuine.sig }, genuine],
    }
    expect(verifyEnvelope(padded, payloadType, [alice, mallory])).toMatchObject({
      ok: true,
      signers: [alice.keyid],
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
