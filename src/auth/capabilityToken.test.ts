import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { generateSigningKey, type SigningKey, signEd25519 } from '../crypto/ed25519.js'
import {
  bearerToken,
  createCapabilityTokenVerifier,
  defaultMaxTokenTtlSeconds,
  issueCapabilityToken,
  type VerifyCapabilityTokenOptions,
  verifyCapabilityToken,
} from './capabilityToken.js'
import { signJwt } from './jwt.js'

const gateway = generateSigningKey()
const nextGateway = generateSigningKey()
const mallory = generateSigningKey()
const issuer = 'https://gateway.intentgate.test'
const audience = 'intentgate-api'
const templateDigest = `sha256:${'ab'.repeat(32)}`
const moduleDigest = `sha256:${'cd'.repeat(32)}`
const issuedAt = new Date('2025-03-01T12:00:00.500Z')
const iat = Math.floor(issuedAt.getTime() / 1000)
const later = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1000)

const issue = (overrides: { att?: string; key?: SigningKey } = {}) =>
  issueCapabilityToken({
    key: overrides.key ?? gateway,
    issuer,
    audience,
    instanceId: 'inst_01HZX',
    templateDigest,
    capabilities: ['relay:meta-tx'],
    ttlSeconds: 3600,
    now: issuedAt,
    ...(overrides.att ? { att: overrides.att } : {}),
  })

const options = (overrides: Partial<VerifyCapabilityTokenOptions> = {}): VerifyCapabilityTokenOptions => ({
  keys: [gateway],
  issuer,
  audience,
  now: later(60),
  ...overrides,
})

const invalid = (message: string) => ({ ok: false, code: 'TOKEN_INVALID', message })

/** Claims genuinely signed by the gateway key, to test the checks that follow the signature. */
const signed = (changes: Record<string, unknown>, remove: string[] = []) => {
  const claims: Record<string, unknown> = { ...issue().claims, ...changes }
  for (const name of remove) delete claims[name]
  return signJwt({}, claims, gateway)
}

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('issueCapabilityToken and verifyCapabilityToken', () => {
  test('an issued token verifies and yields exactly its claims', () => {
    const { token, claims } = issue()
    expect(claims).toStrictEqual({
      iss: issuer,
      aud: audience,
      sub: 'inst_01HZX',
      jti: claims.jti,
      iat,
      exp: iat + 3600,
      tdg: templateDigest,
      cap: ['relay:meta-tx'],
    })
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(Buffer.from(claims.jti, 'base64url')).toHaveLength(16)
    expect(issue().claims.jti).not.toBe(claims.jti)
    expect(verifyCapabilityToken(token, options())).toStrictEqual({ ok: true, claims })
  })

  test('the runtime digest travels when the platform supplies one', () => {
    const { token, claims } = issue({ att: moduleDigest })
    expect(claims.att).toBe(moduleDigest)
    expect(verifyCapabilityToken(token, options())).toStrictEqual({ ok: true, claims })
  })

  test('tokens of a retiring key still verify while it is listed beside the new one', () => {
    const { token } = issue({ key: nextGateway })
    expect(verifyCapabilityToken(token, options({ keys: [gateway, nextGateway] })).ok).toBe(true)
    expect(verifyCapabilityToken(token, options())).toStrictEqual(
      invalid('the token is not signed by a key of this gateway'),
    )
  })

  test('issuing claims the verifier would refuse is a caller bug', () => {
    const base = {
      key: gateway,
      issuer,
      audience,
      instanceId: 'inst_1',
      templateDigest,
      capabilities: ['sponsor:user-op'] as const,
      ttlSeconds: 60,
      now: issuedAt,
    }
    expect(() => issueCapabilityToken({ ...base, ttlSeconds: 0 })).toThrow(
      `ttlSeconds must be an integer in 1..${defaultMaxTokenTtlSeconds}, got 0`,
    )
    expect(() => issueCapabilityToken({ ...base, ttlSeconds: 120, maxTtlSeconds: 60 })).toThrow(
      'ttlSeconds must be an integer in 1..60, got 120',
    )
    expect(() => issueCapabilityToken({ ...base, templateDigest: 'sha256:AB' })).toThrow(
      'invalid capability token claims: tdg: expected sha256:<64 lowercase hex>',
    )
    expect(() => issueCapabilityToken({ ...base, capabilities: [] })).toThrow(
      'invalid capability token claims: cap:',
    )
    expect(() => issueCapabilityToken({ ...base, instanceId: 'a b' })).toThrow(
      'invalid capability token claims: sub: expected an instance id',
    )
    expect(() => issueCapabilityToken({ ...base, now: new Date(Number.NaN) })).toThrow(
      'now must be a valid Date',
    )
  })
})

describe('verifyCapabilityToken refuses forgeries as TOKEN_INVALID', () => {
  const { token, claims } = issue()
  const [header = '', payload = '', signature = ''] = token.split('.')

  test('alg none, with and without a signature segment', () => {
    const none = segment({ alg: 'none', typ: 'JWT', kid: gateway.keyid })
    const malformed = invalid('the token is not a compact JWS of three base64url segments')
    expect(verifyCapabilityToken(`${none}.${payload}.`, options())).toStrictEqual(malformed)
    expect(verifyCapabilityToken(`${none}.${payload}`, options())).toStrictEqual(malformed)
    expect(verifyCapabilityToken(`${none}.${payload}.${signature}`, options())).toStrictEqual(
      invalid('the token algorithm is not EdDSA'),
    )
  })

  test('HS256 keyed with the public key bytes', () => {
    const input = `${segment({ alg: 'HS256', typ: 'JWT', kid: gateway.keyid })}.${payload}`
    const mac = createHmac('sha256', gateway.raw).update(input).digest('base64url')
    expect(verifyCapabilityToken(`${input}.${mac}`, options())).toStrictEqual(
      invalid('the token algorithm is not EdDSA'),
    )
  })

  test('another key signing under the gateway kid', () => {
    const input = `${header}.${payload}`
    const forged = `${input}.${Buffer.from(signEd25519(mallory, Buffer.from(input))).toString('base64url')}`
    expect(verifyCapabilityToken(forged, options())).toStrictEqual(invalid('the token signature is invalid'))
  })

  test('a claim swapped after signing', () => {
    for (const change of [
      { sub: 'inst_other' },
      { tdg: `sha256:${'ef'.repeat(32)}` },
      { cap: ['sponsor:user-op'] },
    ]) {
      const swapped = `${header}.${segment({ ...claims, ...change })}.${signature}`
      expect(verifyCapabilityToken(swapped, options())).toStrictEqual(
        invalid('the token signature is invalid'),
      )
    }
  })

  test('a jwk or jku header, padding, four segments, oversize', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(mallory.raw).toString('base64url') }
    const input = `${segment({ alg: 'EdDSA', typ: 'JWT', kid: gateway.keyid, jwk })}.${payload}`
    const selfKeyed = `${input}.${Buffer.from(signEd25519(mallory, Buffer.from(input))).toString('base64url')}`
    expect(verifyCapabilityToken(selfKeyed, options({ keys: [gateway, mallory] }))).toStrictEqual(
      invalid('the token header carries a parameter that is not accepted'),
    )
    const malformed = invalid('the token is not a compact JWS of three base64url segments')
    expect(verifyCapabilityToken(`${token}==`, options())).toStrictEqual(malformed)
    expect(verifyCapabilityToken(`${token}.${signature}`, options())).toStrictEqual(malformed)
    expect(verifyCapabilityToken(signed({ sub: 'x'.repeat(9000) }), options())).toStrictEqual(
      invalid('the token is too large'),
    )
  })

  test('a payload that is not an object, or not capability claims', () => {
    const input = `${header}.${Buffer.from('[1]').toString('base64url')}`
    const list = `${input}.${Buffer.from(signEd25519(gateway, Buffer.from(input))).toString('base64url')}`
    expect(verifyCapabilityToken(list, options())).toStrictEqual(
      invalid('the token payload is not a JSON object'),
    )
    expect(verifyCapabilityToken(signed({}, ['jti']), options())).toStrictEqual(
      invalid('the token claims are invalid: jti: Invalid input: expected string, received undefined'),
    )
    expect(verifyCapabilityToken(signed({ nbf: iat + 999 }), options())).toStrictEqual(
      invalid('the token claims are invalid: (root): Unrecognized key: "nbf"'),
    )
    expect(
      verifyCapabilityToken(signed({ cap: ['relay:meta-tx', 'relay:meta-tx'] }), options()),
    ).toStrictEqual(invalid('the token claims are invalid: cap: capabilities must not repeat'))
    expect(verifyCapabilityToken(signed({ cap: ['admin'] }), options()).ok).toBe(false)
    expect(verifyCapabilityToken(signed({ iat: iat + 0.5 }), options()).ok).toBe(false)
  })
})

describe('verifyCapabilityToken checks issuer, audience and time', () => {
  test('a wrong audience, or an audience array even if it holds ours', () => {
    expect(verifyCapabilityToken(issue().token, options({ audience: 'other-api' }))).toStrictEqual(
      invalid('the token is for another audience'),
    )
    expect(verifyCapabilityToken(signed({ aud: [audience] }), options())).toStrictEqual(
      invalid('the token claims are invalid: aud: Invalid input: expected string, received array'),
    )
  })

  test('a wrong issuer', () => {
    expect(verifyCapabilityToken(issue().token, options({ issuer: 'https://elsewhere.test' }))).toStrictEqual(
      invalid('the token was issued by another issuer'),
    )
  })

  test('issued in the future beyond the clock skew', () => {
    const { token } = issue()
    expect(verifyCapabilityToken(token, options({ now: later(-31) }))).toStrictEqual(
      invalid('the token was issued in the future'),
    )
    expect(verifyCapabilityToken(token, options({ now: later(-30) })).ok).toBe(true)
    expect(verifyCapabilityToken(token, options({ now: later(-5), clockSkewSeconds: 0 })).ok).toBe(false)
  })

  test('expired beyond the clock skew is TOKEN_EXPIRED', () => {
    const { token } = issue()
    const expired = { ok: false, code: 'TOKEN_EXPIRED', message: 'the token has expired' }
    // exp is iat + 3600 and issuedAt is half a second past iat.
    expect(verifyCapabilityToken(token, options({ now: later(3629) })).ok).toBe(true)
    expect(verifyCapabilityToken(token, options({ now: later(3630) }))).toStrictEqual(expired)
    expect(verifyCapabilityToken(token, options({ now: later(3600), clockSkewSeconds: 0 }))).toStrictEqual(
      expired,
    )
    expect(verifyCapabilityToken(token, options({ now: later(86_400) }))).toStrictEqual(expired)
  })

  test('an expired token that is also invalid is TOKEN_INVALID', () => {
    const { token } = issue()
    expect(verifyCapabilityToken(token, options({ now: later(86_400), audience: 'other' }))).toStrictEqual(
      invalid('the token is for another audience'),
    )
  })

  test('exp not after iat, or a lifetime beyond the maximum', () => {
    expect(verifyCapabilityToken(signed({ exp: iat }), options())).toStrictEqual(
      invalid('the token expires before it was issued'),
    )
    const tooLong = signed({ exp: iat + defaultMaxTokenTtlSeconds + 1 })
    expect(verifyCapabilityToken(tooLong, options())).toStrictEqual(
      invalid('the token lifetime exceeds the maximum'),
    )
    expect(verifyCapabilityToken(issue().token, options({ maxTtlSeconds: 3599 }))).toStrictEqual(
      invalid('the token lifetime exceeds the maximum'),
    )
  })

  test('a broken clock is a bug, not a pass', () => {
    expect(() => verifyCapabilityToken(issue().token, options({ now: new Date('nope') }))).toThrow(
      'now must be a valid Date',
    )
  })
})

describe('verifyCapabilityToken on mutated and random input', () => {
  test('one character of a valid token changed never verifies and never throws', () => {
    const { token } = issue({ att: moduleDigest })
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ']
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), (index, replacement) => {
        fc.pre(token[index] !== replacement)
        const mutated = `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`
        expect(verifyCapabilityToken(mutated, options())).toMatchObject({ ok: false, code: 'TOKEN_INVALID' })
      }),
      { numRuns: 3000 },
    )
  })

  test('random strings never verify and never throw', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        expect(verifyCapabilityToken(text, options())).toMatchObject({ ok: false, code: 'TOKEN_INVALID' })
      }),
      { numRuns: 1000 },
    )
  })

  test('random claims signed by the gateway never throw, and verify only when well formed', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (extra) => {
        const result = verifyCapabilityToken(signJwt({}, { ...issue().claims, ...extra }, gateway), options())
        const claimNames = new Set(['iss', 'aud', 'sub', 'jti', 'iat', 'exp', 'tdg', 'cap', 'att'])
        if (Object.keys(extra).some((name) => !claimNames.has(name))) expect(result.ok).toBe(false)
        if (result.ok) expect(Object.keys(result.claims).every((name) => claimNames.has(name))).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})

describe('createCapabilityTokenVerifier remembers verified tokens, never their time checks', () => {
  const verifierAt = (clock: { now: Date }, capacity?: number) =>
    createCapabilityTokenVerifier({
      keys: [gateway],
      issuer,
      audience,
      now: () => clock.now,
      ...(capacity === undefined ? {} : { capacity }),
    })

  test('answers exactly as verifyCapabilityToken, the first time and every time after', () => {
    const clock = { now: later(60) }
    const verify = verifierAt(clock)
    const { token, claims } = issue()
    const [header = '', , signature = ''] = token.split('.')
    const forged = `${header}.${segment({ ...claims, sub: 'inst_other' })}.${signature}`
    const tokens = [token, forged, signed({ aud: 'other-api' }), signed({ exp: iat }), 'not.a.token']
    for (let round = 0; round < 3; round++) {
      for (const text of tokens) expect(verify(text)).toStrictEqual(verifyCapabilityToken(text, options()))
    }
  })

  test('a remembered token still expires, and one issued ahead is refused until its time', () => {
    const clock = { now: later(60) }
    const verify = verifierAt(clock)
    const { token } = issue()
    expect(verify(token).ok).toBe(true)
    clock.now = later(3630)
    expect(verify(token)).toStrictEqual({
      ok: false,
      code: 'TOKEN_EXPIRED',
      message: 'the token has expired',
    })

    const ahead = issueCapabilityToken({
      key: gateway,
      issuer,
      audience,
      instanceId: 'inst_01HZX',
      templateDigest,
      capabilities: ['relay:meta-tx'],
      ttlSeconds: 3600,
      now: later(600),
    }).token
    clock.now = later(60)
    expect(verify(ahead)).toStrictEqual(invalid('the token was issued in the future'))
    clock.now = later(600)
    expect(verify(ahead).ok).toBe(true)
    clock.now = later(60)
    expect(verify(ahead)).toStrictEqual(invalid('the token was issued in the future'))
  })

  test('past its capacity it forgets the oldest and still verifies every token', () => {
    const clock = { now: later(60) }
    const verify = verifierAt(clock, 2)
    const tokens = [issue().token, issue().token, issue().token]
    for (let round = 0; round < 2; round++) {
      for (const token of tokens) expect(verify(token).ok).toBe(true)
    }
  })

  test('one character of a remembered token changed never verifies', () => {
    const clock = { now: later(60) }
    const verify = verifierAt(clock)
    const { token } = issue({ att: moduleDigest })
    expect(verify(token).ok).toBe(true)
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.']
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), (index, replacement) => {
        fc.pre(token[index] !== replacement)
        const mutated = `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`
        expect(verify(mutated)).toMatchObject({ ok: false, code: 'TOKEN_INVALID' })
      }),
      { numRuns: 1000 },
    )
  })
})

describe('bearerToken', () => {
  test('extracts the credential of a Bearer header, the scheme in any case', () => {
    const { token } = issue()
    expect(bearerToken(`Bearer ${token}`)).toStrictEqual({ ok: true, token })
    expect(bearerToken(`bearer ${token}`)).toStrictEqual({ ok: true, token })
  })

  test('a missing or blank header is UNAUTHENTICATED', () => {
    for (const header of [undefined, '', '   '])
      expect(bearerToken(header)).toStrictEqual({
        ok: false,
        code: 'UNAUTHENTICATED',
        message: 'the Authorization header is missing',
      })
  })

  test('another scheme or a malformed value is TOKEN_INVALID', () => {
    const failure = {
      ok: false,
      code: 'TOKEN_INVALID',
      message: 'expected an Authorization header of the form "Bearer <token>"',
    }
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer ',
      'Bearer  a.b.c',
      'Bearer a b',
      'Bearer a\n',
      'a.b.c',
    ])
      expect(bearerToken(header)).toStrictEqual(failure)
  })
})
