import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { malleateEd25519 } from '../../test/support/forgeries.js'
import { generateSigningKey, type SigningKey, signEd25519 } from '../crypto/ed25519.js'
import { maxJwtLength, signJwt, verifyJwt } from './jwt.js'

const alice = generateSigningKey()
const bob = generateSigningKey()
const mallory = generateSigningKey()
const claims = { sub: 'instance-1', n: 1 }

const segment = (text: string) => Buffer.from(text, 'utf8').toString('base64url')
const json = (value: unknown) => segment(JSON.stringify(value))

/** Signs arbitrary header and payload text with Ed25519, as an attacker holding `signer` could. */
function forge(headerText: string, payloadText: string, signer: SigningKey): string {
  const input = `${segment(headerText)}.${segment(payloadText)}`
  return `${input}.${Buffer.from(signEd25519(signer, Buffer.from(input))).toString('base64url')}`
}

const aliceHeader = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: alice.keyid, ...extra })

describe('signJwt and verifyJwt', () => {
  test('a signed token verifies and yields its header and claims', () => {
    const token = signJwt({}, claims, alice)
    expect(token.split('.')).toHaveLength(3)
    expect(token).not.toContain('=')
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toStrictEqual({
      alg: 'EdDSA',
      typ: 'JWT',
      kid: alice.keyid,
    })
    expect(verifyJwt(token, [alice])).toStrictEqual({
      ok: true,
      header: { alg: 'EdDSA', typ: 'JWT', kid: alice.keyid },
      claims,
    })
  })

  test('the kid picks the key among several trusted ones, as during a rotation', () => {
    const token = signJwt({}, claims, bob)
    expect(verifyJwt(token, [alice, bob])).toMatchObject({ ok: true, header: { kid: bob.keyid } })
    expect(verifyJwt(token, [alice])).toStrictEqual({ ok: false, reason: 'UNKNOWN_KID' })
  })

  test('header extras are signed with the token but cannot replace alg, typ or kid', () => {
    const token = signJwt({ purpose: 'test' }, claims, alice)
    expect(verifyJwt(token, [alice])).toMatchObject({ ok: true, header: { purpose: 'test' } })
    for (const name of ['alg', 'typ', 'kid', 'crit', 'jwk', 'jku', 'x5u'])
      expect(() => signJwt({ [name]: 'x' }, claims, alice)).toThrow(
        `the JWT header parameter "${name}" cannot be set by the caller`,
      )
  })
})

describe('verifyJwt refuses forgeries', () => {
  const payload = JSON.stringify(claims)

  test('alg none, with or without a signature segment', () => {
    const unsigned = `${json({ alg: 'none', typ: 'JWT', kid: alice.keyid })}.${segment(payload)}`
    expect(verifyJwt(`${unsigned}.`, [alice])).toStrictEqual({ ok: false, reason: 'MALFORMED' })
    expect(verifyJwt(unsigned, [alice])).toStrictEqual({ ok: false, reason: 'MALFORMED' })
    const withSignature = forge(JSON.stringify({ alg: 'none', kid: alice.keyid }), payload, alice)
    expect(verifyJwt(withSignature, [alice])).toStrictEqual({ ok: false, reason: 'UNSUPPORTED_ALG' })
  })

  test('HS256 keyed with the public key bytes', () => {
    const input = `${json({ alg: 'HS256', typ: 'JWT', kid: alice.keyid })}.${segment(payload)}`
    const mac = createHmac('sha256', alice.raw).update(input).digest('base64url')
    expect(verifyJwt(`${input}.${mac}`, [alice])).toStrictEqual({ ok: false, reason: 'UNSUPPORTED_ALG' })
  })

  test('any alg spelling other than exactly EdDSA', () => {
    for (const alg of ['EdDSA ', 'eddsa', 'Ed25519', 'ES256', 'RS256', 'none', 'None', ['EdDSA'], null]) {
      const token = forge(JSON.stringify({ alg, kid: alice.keyid }), payload, alice)
      expect(verifyJwt(token, [alice])).toStrictEqual({ ok: false, reason: 'UNSUPPORTED_ALG' })
    }
  })

  test('another key signing under the trusted kid', () => {
    expect(verifyJwt(forge(aliceHeader(), payload, mallory), [alice])).toStrictEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    })
  })

  test('a payload swapped after signing', () => {
    const [header, , signature] = signJwt({}, claims, alice).split('.')
    const swapped = `${header}.${json({ ...claims, sub: 'instance-2' })}.${signature}`
    expect(verifyJwt(swapped, [alice])).toStrictEqual({ ok: false, reason: 'BAD_SIGNATURE' })
  })

  test('a token that brings its own key, even when genuinely signed', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(mallory.raw).toString('base64url') }
    for (const extra of [{ jwk }, { jku: 'https://evil.example/keys' }, { x5u: 'https://evil.example' }]) {
      expect(verifyJwt(forge(aliceHeader(extra), payload, alice), [alice])).toStrictEqual({
        ok: false,
        reason: 'FORBIDDEN_HEADER',
      })
    }
    expect(verifyJwt(forge(aliceHeader({ crit: ['exp'] }), payload, alice), [alice])).toStrictEqual({
      ok: false,
      reason: 'FORBIDDEN_HEADER',
    })
  })

  test('a kid that is missing, not a string or unknown', () => {
    const noKid = forge(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }), payload, alice)
    expect(verifyJwt(noKid, [alice])).toStrictEqual({ ok: false, reason: 'BAD_HEADER' })
    expect(verifyJwt(forge(aliceHeader({ kid: 7 }), payload, alice), [alice])).toStrictEqual({
      ok: false,
      reason: 'BAD_HEADER',
    })
    expect(verifyJwt(forge(aliceHeader({ kid: mallory.keyid }), payload, mallory), [alice])).toStrictEqual({
      ok: false,
      reason: 'UNKNOWN_KID',
    })
    expect(verifyJwt(signJwt({}, claims, alice), [])).toStrictEqual({ ok: false, reason: 'UNKNOWN_KID' })
  })

  test('a typ other than JWT, or a header that is not a JSON object', () => {
    expect(verifyJwt(forge(aliceHeader({ typ: 'at+jwt' }), payload, alice), [alice])).toStrictEqual({
      ok: false,
      reason: 'BAD_HEADER',
    })
    for (const header of ['[]', 'null', '"EdDSA"', '{"alg":"EdDSA"', `\uFEFF${aliceHeader()}`]) {
      expect(verifyJwt(forge(header, payload, alice), [alice])).toStrictEqual({
        ok: false,
        reason: 'BAD_HEADER',
      })
    }
  })

  test('a genuinely signed payload that is not a JSON object', () => {
    for (const body of ['[1,2]', '"sub"', 'null', '42', 'true', '{"sub":', '']) {
      expect(verifyJwt(forge(aliceHeader(), body, alice), [alice])).toStrictEqual({
        ok: false,
        reason: body === '' ? 'MALFORMED' : 'BAD_PAYLOAD',
      })
    }
  })

  test('a genuinely signed header or payload nested past the JSON depth cap', () => {
    const deep = `${'['.repeat(2_000)}${']'.repeat(2_000)}`
    expect(
      verifyJwt(forge(aliceHeader({ x: 'DEEP' }).replace('"DEEP"', deep), payload, alice), [alice]),
    ).toStrictEqual({
      ok: false,
      reason: 'BAD_HEADER',
    })
    expect(verifyJwt(forge(aliceHeader(), `{"sub":${deep}}`, alice), [alice])).toStrictEqual({
      ok: false,
      reason: 'BAD_PAYLOAD',
    })
  })

  test('a malleated signature (S + L) of a genuine token', () => {
    const [header, body, signature = ''] = signJwt({}, claims, alice).split('.')
    const malleated = Buffer.from(malleateEd25519(Buffer.from(signature, 'base64url'))).toString('base64url')
    expect(verifyJwt(`${header}.${body}.${malleated}`, [alice])).toStrictEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    })
  })

  test('a signature lifted from another genuine token, or a header swapped for another key', () => {
    const [header, body] = signJwt({}, claims, alice).split('.')
    const [, , otherSignature] = signJwt({}, { ...claims, n: 2 }, alice).split('.')
    expect(verifyJwt(`${header}.${body}.${otherSignature}`, [alice])).toStrictEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    })
    const [bobHeader] = signJwt({}, claims, bob).split('.')
    const [, , aliceSignature] = signJwt({}, claims, alice).split('.')
    expect(verifyJwt(`${bobHeader}.${body}.${aliceSignature}`, [alice, bob])).toStrictEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    })
  })

  test('padding, foreign characters, or a non-canonical encoding of the same bytes', () => {
    const token = signJwt({}, claims, alice)
    const [header = '', body = '', signature = ''] = token.split('.')
    const malformed = [
      `${header}.${body}.${signature}==`,
      `${header}=.${body}.${signature}`,
      `${header}.${body}.${signature.replace(/-/g, '+').replace(/_/g, '/')}+/`,
      `${header}.${body} .${signature}`,
      `${header}.${body}.${signature}\n`,
    ]
    // 64 bytes leave 4 unused bits in the last character: flipping one decodes to the same bytes.
    const last = signature.at(-1) ?? ''
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] ?? ''
    const nonCanonical = `${header}.${body}.${signature.slice(0, -1)}${sibling}`
    expect(Buffer.from(nonCanonical.split('.')[2] ?? '', 'base64url')).toStrictEqual(
      Buffer.from(signature, 'base64url'),
    )
    for (const candidate of [...malformed, nonCanonical])
      expect(verifyJwt(candidate, [alice])).toStrictEqual({ ok: false, reason: 'MALFORMED' })
  })

  test('two or four segments, or an empty one', () => {
    const token = signJwt({}, claims, alice)
    const [header, body, signature] = token.split('.')
    for (const candidate of [
      `${token}.${signature}`,
      `${header}.${body}`,
      `.${body}.${signature}`,
      '',
      '..',
    ]) {
      expect(verifyJwt(candidate, [alice])).toStrictEqual({ ok: false, reason: 'MALFORMED' })
    }
  })

  test('an oversize token, before any decoding', () => {
    const token = signJwt({}, { pad: 'x'.repeat(maxJwtLength) }, alice)
    expect(token.length).toBeGreaterThan(maxJwtLength)
    expect(verifyJwt(token, [alice])).toStrictEqual({ ok: false, reason: 'TOO_LARGE' })
    const fits = signJwt({}, { pad: 'x'.repeat(5000) }, alice)
    expect(verifyJwt(fits, [alice]).ok).toBe(true)
  })
})

describe('verifyJwt never accepts or throws on junk', () => {
  const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ']

  test('random strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.string({ unit: fc.constantFrom(...alphabet) }),
        ),
        (text) => {
          expect(verifyJwt(text, [alice, bob]).ok).toBe(false)
        },
      ),
      { numRuns: 2000 },
    )
  })

  test('one character of a valid token changed', () => {
    const token = signJwt({}, claims, alice)
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), (index, replacement) => {
        fc.pre(token[index] !== replacement)
        const mutated = `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`
        expect(verifyJwt(mutated, [alice, bob]).ok).toBe(false)
      }),
      { numRuns: 3000 },
    )
  })
})
