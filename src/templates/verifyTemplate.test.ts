import { describe, expect, test } from 'vitest'
import { canonicalJson } from '../crypto/canonicalJson.js'
import { type DsseEnvelope, signEnvelope } from '../crypto/dsse.js'
import { generateSigningKey } from '../crypto/ed25519.js'
import { communityPollManifest } from './exampleManifest.js'
import { parseTemplateManifest, TEMPLATE_PAYLOAD_TYPE } from './manifest.js'
import { signTemplate } from './signTemplate.js'
import { templateDigest } from './templateDigest.js'
import {
  defaultRequiredSignatures,
  parseRequiredSignatures,
  type VerifyTemplateEnvelopeOptions,
  verifyTemplateEnvelope,
} from './verifyTemplate.js'

const alice = generateSigningKey()
const bob = generateSigningKey()
const mallory = generateSigningKey()
const example = communityPollManifest({ chainId: 31337, expiresAt: '2030-01-01T00:00:00Z' })
const audited = { ...example, verificationLevel: 2 }
const options: VerifyTemplateEnvelopeOptions = {
  authorities: [alice, bob],
  requiredSignatures: defaultRequiredSignatures,
  now: new Date('2026-01-01T00:00:00Z'),
}
const noTrustedSignature = {
  ok: false,
  code: 'TEMPLATE_SIGNATURE_INVALID',
  message:
    'envelope.signatures: no valid signature by a trusted verification authority (1 signature checked against 2 trusted keys)',
}

const bytes = (text: string) => new TextEncoder().encode(text)

describe('verifyTemplateEnvelope', () => {
  test('returns the manifest, the signed document, its digest and the signers', () => {
    const result = verifyTemplateEnvelope(signTemplate(example, [alice]), options)
    const parsed = parseTemplateManifest(example)
    if (!parsed.ok) throw new Error(parsed.message)
    expect(result).toStrictEqual({
      ok: true,
      manifest: parsed.manifest,
      manifestJson: JSON.parse(canonicalJson(example)),
      digest: templateDigest(example),
      signers: [alice.keyid],
    })
  })

  test('a tampered manifest has no valid signature', () => {
    const envelope = signTemplate(example, [alice])
    const tampered = { ...example, intent: { ...example.intent, maxTxValueWei: '1000000000000000000000' } }
    const forged = { ...envelope, payload: Buffer.from(canonicalJson(tampered)).toString('base64') }
    expect(verifyTemplateEnvelope(forged, options)).toMatchObject(noTrustedSignature)
  })

  test('a signature by a key that is not an authority counts for nothing', () => {
    expect(verifyTemplateEnvelope(signTemplate(example, [mallory]), options)).toMatchObject(
      noTrustedSignature,
    )
  })

  test('a signature that is not base64 is skipped, not a crash', () => {
    const envelope = signTemplate(example, [alice])
    const broken: DsseEnvelope = { ...envelope, signatures: [{ keyid: alice.keyid, sig: 'not base64!' }] }
    expect(verifyTemplateEnvelope(broken, options)).toMatchObject(noTrustedSignature)
  })

  test('a payloadType swap is refused, and relabelling does not help', () => {
    const policyType = 'application/vnd.intentgate.policy+json'
    const envelope = signEnvelope(policyType, bytes(canonicalJson(example)), [alice])
    expect(verifyTemplateEnvelope(envelope, options)).toStrictEqual({
      ok: false,
      code: 'TEMPLATE_SIGNATURE_INVALID',
      message: `envelope.payloadType: expected "${TEMPLATE_PAYLOAD_TYPE}", got "${policyType}"`,
      issues: [
        {
          path: 'envelope.payloadType',
          message: `expected "${TEMPLATE_PAYLOAD_TYPE}", got "${policyType}"`,
        },
      ],
    })
    const relabelled = { ...envelope, payloadType: TEMPLATE_PAYLOAD_TYPE }
    expect(verifyTemplateEnvelope(relabelled, options)).toMatchObject(noTrustedSignature)
  })

  test.each([
    ['not an object', 'envelope', 'envelope: Invalid input: expected object, received string'],
    [
      'no signatures',
      { payloadType: TEMPLATE_PAYLOAD_TYPE, payload: '' },
      'envelope.signatures: required field is missing',
    ],
    [
      'a signature that is a number',
      { payloadType: TEMPLATE_PAYLOAD_TYPE, payload: '', signatures: [{ sig: 7 }] },
      'envelope.signatures[0].sig: Invalid input: expected string, received number',
    ],
    [
      'an unknown field',
      { payloadType: TEMPLATE_PAYLOAD_TYPE, payload: '', signatures: [], signed: true },
      'envelope.signed: unknown field',
    ],
    [
      'a payload that is not base64',
      { payloadType: TEMPLATE_PAYLOAD_TYPE, payload: 'e30', signatures: [] },
      'envelope.payload: not standard base64',
    ],
  ])('a malformed envelope (%s) is TEMPLATE_SIGNATURE_INVALID', (_, envelope, message) => {
    expect(verifyTemplateEnvelope(envelope, options)).toMatchObject({
      ok: false,
      code: 'TEMPLATE_SIGNATURE_INVALID',
      message,
    })
  })

  test('a payload is parsed only once a trusted authority signed it', () => {
    const garbage = bytes('{"id": not json')
    expect(
      verifyTemplateEnvelope(signEnvelope(TEMPLATE_PAYLOAD_TYPE, garbage, [mallory]), options),
    ).toMatchObject(noTrustedSignature)
    expect(
      verifyTemplateEnvelope(signEnvelope(TEMPLATE_PAYLOAD_TYPE, garbage, [alice]), options),
    ).toMatchObject({
      ok: false,
      code: 'TEMPLATE_INVALID',
      message: 'payload: not JSON',
    })
  })

  test('a payload that is not canonical JSON is refused, so the digest is the sha256 of what was signed', () => {
    const pretty = bytes(JSON.stringify(example, null, 2))
    expect(
      verifyTemplateEnvelope(signEnvelope(TEMPLATE_PAYLOAD_TYPE, pretty, [alice]), options),
    ).toMatchObject({
      ok: false,
      code: 'TEMPLATE_INVALID',
      message: 'payload: not in canonical JSON form (RFC 8785)',
    })
  })

  test('a signed but invalid manifest is TEMPLATE_INVALID, naming the field', () => {
    const envelope = signTemplate({ ...example, owner: 'me' }, [alice])
    expect(verifyTemplateEnvelope(envelope, options)).toMatchObject({
      ok: false,
      code: 'TEMPLATE_INVALID',
      message: 'owner: unknown field',
    })
  })

  test('too few distinct authorities for the level is TEMPLATE_SIGNATURES_INSUFFICIENT', () => {
    const insufficient = {
      ok: false,
      code: 'TEMPLATE_SIGNATURES_INSUFFICIENT',
      message:
        'envelope.signatures: template community-poll@1.0.0 at verification level 2 (audited) lacks distinct trusted signatures: have 1, need 2',
    }
    expect(verifyTemplateEnvelope(signTemplate(audited, [alice]), options)).toMatchObject(insufficient)
    // The same authority twice, or an outsider beside it, is still one authority.
    expect(verifyTemplateEnvelope(signTemplate(audited, [alice, alice]), options)).toMatchObject(insufficient)
    expect(verifyTemplateEnvelope(signTemplate(audited, [alice, mallory]), options)).toMatchObject(
      insufficient,
    )
    expect(verifyTemplateEnvelope(signTemplate(audited, [bob, alice]), options)).toMatchObject({
      ok: true,
      signers: [alice.keyid, bob.keyid].sort(),
    })
  })

  test('the count required per level comes from the options', () => {
    const parsed = parseRequiredSignatures('2,2,2,2')
    if (!parsed.ok) throw new Error(parsed.message)
    const strict = { ...options, requiredSignatures: parsed.requiredSignatures }
    expect(verifyTemplateEnvelope(signTemplate(example, [alice]), strict)).toMatchObject({
      code: 'TEMPLATE_SIGNATURES_INSUFFICIENT',
      message:
        'envelope.signatures: template community-poll@1.0.0 at verification level 1 (reviewed) lacks distinct trusted signatures: have 1, need 2',
    })
  })

  test('a template is expired from the instant of its expiresAt', () => {
    const envelope = signTemplate(example, [alice])
    const atExpiry = { ...options, now: new Date('2030-01-01T00:00:00Z') }
    expect(verifyTemplateEnvelope(envelope, atExpiry)).toStrictEqual({
      ok: false,
      code: 'TEMPLATE_EXPIRED',
      message:
        'expiresAt: template community-poll@1.0.0 expired at 2030-01-01T00:00:00Z (now 2030-01-01T00:00:00.000Z)',
      issues: [
        {
          path: 'expiresAt',
          message:
            'template community-poll@1.0.0 expired at 2030-01-01T00:00:00Z (now 2030-01-01T00:00:00.000Z)',
        },
      ],
    })
    const justBefore = { ...options, now: new Date('2029-12-31T23:59:59.999Z') }
    expect(verifyTemplateEnvelope(envelope, justBefore).ok).toBe(true)
  })
})

describe('required signatures', () => {
  test('default to one for levels 0 and 1, two for levels 2 and 3', () => {
    expect([0, 1, 2, 3].map((level) => defaultRequiredSignatures(level as 0 | 1 | 2 | 3))).toStrictEqual([
      1, 1, 2, 2,
    ])
  })

  test('parse from a setting such as 1,1,2,2', () => {
    const parsed = parseRequiredSignatures(' 1, 1 ,2,3 ')
    if (!parsed.ok) throw new Error(parsed.message)
    expect(parsed.counts).toStrictEqual([1, 1, 2, 3])
    expect(parsed.requiredSignatures(3)).toBe(3)
  })

  test.each([
    ['1,1,2', '"1,1,2": expected four comma-separated counts for levels 0 to 3, such as 1,1,2,2'],
    ['1,1,2,2,3', '"1,1,2,2,3": expected four comma-separated counts for levels 0 to 3, such as 1,1,2,2'],
    ['1,0,2,2', 'level 1: "0" is not a positive integer below 1000'],
    ['1,1,two,2', 'level 2: "two" is not a positive integer below 1000'],
  ])('refuse %s', (text, message) => {
    expect(parseRequiredSignatures(text)).toStrictEqual({ ok: false, message })
  })
})
