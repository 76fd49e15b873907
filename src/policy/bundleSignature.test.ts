import { constants, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { type BundleSigningAlgorithm, trustBundleKeys, verifyBundleSignature } from './bundleSignature.js'
import { PolicyBundleError } from './policyBundleError.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const ed25519 = generateKeyPairSync('ed25519')

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString()

const files = [{ name: 'policy.wasm', hash: 'ab'.repeat(32), algorithm: 'SHA-256' }]

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A compact JWS as OPA's signer (jwx) writes one. */
function token(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  privateKey: KeyObject,
  alg: BundleSigningAlgorithm,
): string {
  const input = `${b64url(header)}.${b64url(claims)}`
  const data = Buffer.from(input)
  const hash = `sha${alg.slice(2)}`
  let signature: Buffer
  if (alg === 'EdDSA') signature = sign(null, data, privateKey)
  else if (alg.startsWith('RS')) signature = sign(hash, data, privateKey)
  else if (alg.startsWith('PS'))
    signature = sign(hash, data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    })
  else signature = sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

const trusted = trustBundleKeys({
  rsa: pem(rsa.publicKey),
  pss: { publicKeyPem: pem(rsa.publicKey), algorithm: 'PS256' },
  p256: pem(p256.publicKey),
  p384: pem(p384.publicKey),
  ed: pem(ed25519.publicKey),
})

function refusal(run: () => unknown): { problem: string; details: string | undefined } {
  try {
    run()
  } catch (error) {
    if (error instanceof PolicyBundleError) return { problem: error.problem, details: error.details }
    throw error
  }
  throw new Error('expected a PolicyBundleError')
}

describe('trustBundleKeys', () => {
  test('takes the usual algorithm of each key type', () => {
    const algorithms = [...trusted].map(([keyId, key]) => [keyId, key.algorithm])
    expect(algorithms).toEqual([
      ['rsa', 'RS256'],
      ['pss', 'PS256'],
      ['p256', 'ES256'],
      ['p384', 'ES384'],
      ['ed', 'EdDSA'],
    ])
  })

  test('refuses an algorithm the key cannot make', () => {
    expect(() => trustBundleKeys({ k: { publicKeyPem: pem(rsa.publicKey), algorithm: 'ES256' } })).toThrow(
      'policy bundle key k: a rsa key cannot verify ES256',
    )
    expect(() => trustBundleKeys({ k: { publicKeyPem: pem(p256.publicKey), algorithm: 'ES384' } })).toThrow(
      'a ec prime256v1 key cannot verify ES384',
    )
  })

  test('refuses a private key, a short RSA key and a key that cannot sign', () => {
    const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    expect(() => trustBundleKeys({ k: privatePem })).toThrow('configure the public key')
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 })
    expect(() => trustBundleKeys({ k: pem(short.publicKey) })).toThrow('at least 2048 bits, this has 1024')
    const x25519 = generateKeyPairSync('x25519')
    expect(() => trustBundleKeys({ k: pem(x25519.publicKey) })).toThrow(
      'cannot verify any supported algorithm',
    )
  })
})

describe('verifyBundleSignature', () => {
  test.each([
    ['rsa', rsa.privateKey, 'RS256'],
    ['pss', rsa.privateKey, 'PS256'],
    ['p256', p256.privateKey, 'ES256'],
    ['p384', p384.privateKey, 'ES384'],
    ['ed', ed25519.privateKey, 'EdDSA'],
  ] as const)('verifies a %s signature', (keyId, privateKey, alg) => {
    const jws = token({ alg, kid: keyId, typ: 'JWT' }, { files, keyid: keyId }, privateKey, alg)
    expect(verifyBundleSignature(jws, trusted, '')).toEqual({
      keyId,
      algorithm: alg,
      claims: { files, keyid: keyId },
    })
  })

  test('finds the key by the keyid claim when the header has no kid', () => {
    const jws = token({ alg: 'ES256' }, { files, keyid: 'p256' }, p256.privateKey, 'ES256')
    expect(verifyBundleSignature(jws, trusted, '').keyId).toBe('p256')
  })

  test('checks the scope claim, which is "" when absent', () => {
    const scoped = token({ alg: 'ES256', kid: 'p256' }, { files, scope: 'write' }, p256.privateKey, 'ES256')
    expect(verifyBundleSignature(scoped, trusted, 'write').claims.scope).toBe('write')
    expect(refusal(() => verifyBundleSignature(scoped, trusted, ''))).toEqual({
      problem: 'scope-mismatch',
      details: 'signed for scope "write", expected ""',
    })
    const unscoped = token({ alg: 'ES256', kid: 'p256' }, { files }, p256.privateKey, 'ES256')
    expect(refusal(() => verifyBundleSignature(unscoped, trusted, 'write')).problem).toBe('scope-mismatch')
  })

  test.each([
    [
      'a key id nobody trusts',
      () => token({ alg: 'RS256', kid: 'stranger' }, { files }, rsa.privateKey, 'RS256'),
      'key-unknown',
      'key stranger is not trusted',
    ],
    [
      'no key id at all',
      () => token({ alg: 'RS256' }, { files }, rsa.privateKey, 'RS256'),
      'key-unknown',
      'the signature names no key id',
    ],
    [
      'another key than it names',
      () => token({ alg: 'RS256', kid: 'rsa' }, { files }, otherRsa.privateKey, 'RS256'),
      'signature-invalid',
      'the signature does not verify with key rsa',
    ],
    [
      'an algorithm the key does not allow',
      () => token({ alg: 'RS512', kid: 'rsa' }, { files }, rsa.privateKey, 'RS512'),
      'algorithm-rejected',
      'signed with RS512; key rsa allows only RS256',
    ],
    [
      'HMAC with the public key as secret',
      () => `${b64url({ alg: 'HS256', kid: 'rsa' })}.${b64url({ files })}.AAAA`,
      'algorithm-rejected',
      'signed with HS256; key rsa allows only RS256',
    ],
    [
      'no signature (alg none)',
      () => `${b64url({ alg: 'none', kid: 'rsa' })}.${b64url({ files })}.`,
      'algorithm-rejected',
      'signed with none; key rsa allows only RS256',
    ],
    [
      'a header and a claim naming different keys',
      () => token({ alg: 'RS256', kid: 'rsa' }, { files, keyid: 'pss' }, rsa.privateKey, 'RS256'),
      'signature-invalid',
      'the token header and claims name different keys',
    ],
    [
      'crit extensions',
      () => token({ alg: 'RS256', kid: 'rsa', crit: ['exp'] }, { files }, rsa.privateKey, 'RS256'),
      'signature-invalid',
      'the token header has crit extensions',
    ],
    [
      'claims without files',
      () => token({ alg: 'RS256', kid: 'rsa' }, { files: [] }, rsa.privateKey, 'RS256'),
      'signature-invalid',
      'the signed claims list no files',
    ],
    ['two parts', () => 'abc.def', 'signature-invalid', 'the token is not a compact JWS'],
    [
      'a header that is not JSON',
      () => `${Buffer.from('{').toString('base64url')}.${b64url({ files })}.AAAA`,
      'signature-invalid',
      'the token header is not JSON',
    ],
    [
      'padded base64',
      () => `${b64url({ alg: 'RS256', kid: 'rsa' })}=.${b64url({ files })}.AAAA`,
      'signature-invalid',
      'the token header is not base64url',
    ],
  ])('refuses %s', (_, make, problem, details) => {
    expect(refusal(() => verifyBundleSignature(make(), trusted, ''))).toEqual({ problem, details })
  })

  test('refuses claims changed after signing', () => {
    const jws = token({ alg: 'ES256', kid: 'p256' }, { files }, p256.privateKey, 'ES256')
    const [header, , signature] = jws.split('.')
    const forged = `${header}.${b64url({ files: [{ ...files[0], hash: 'cd'.repeat(32) }] })}.${signature}`
    expect(refusal(() => verifyBundleSignature(forged, trusted, '')).problem).toBe('signature-invalid')
  })

  test('refuses an ECDSA signature in DER form, which JWS does not use', () => {
    const input = `${b64url({ alg: 'ES256', kid: 'p256' })}.${b64url({ files })}`
    const der = sign('sha256', Buffer.from(input), p256.privateKey).toString('base64url')
    expect(refusal(() => verifyBundleSignature(`${input}.${der}`, trusted, '')).problem).toBe(
      'signature-invalid',
    )
  })
})
