import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto'
import { z } from 'zod'
import { PolicyBundleError } from './policyBundleError.js'

/**
 * JWS algorithms `opa build --signing-alg` can sign with that the gateway verifies. HMAC
 * (HS256...) is left out on purpose: its secret would have to live on every gateway, and a
 * verifier that accepts it can be fooled into using a public key as the secret.
 */
export const bundleSigningAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const

export type BundleSigningAlgorithm = (typeof bundleSigningAlgorithms)[number]

/**
 * A key the gateway trusts to sign policy bundles: a public key PEM, or one with the algorithm
 * bundles signed by it must use. A bare PEM allows the usual algorithm of its key type: RS256
 * for RSA, ES256/ES384/ES512 for P-256/P-384/P-521, EdDSA for Ed25519.
 */
export type BundleVerificationKey = string | { publicKeyPem: string; algorithm: BundleSigningAlgorithm }

export type TrustedBundleKey = { key: KeyObject; algorithm: BundleSigningAlgorithm }

const hashes = { 256: 'sha256', 384: 'sha384', 512: 'sha512' } as const
const curves: Record<string, BundleSigningAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}
/** ES signatures are r and s side by side, each as long as the curve's order. */
const ecdsaSignatureLengths = { ES256: 64, ES384: 96, ES512: 132 } as const
const minRsaBits = 2048

/**
 * Parses the configured keys once, so a bad key fails at boot rather than at the first upload.
 * Throws for a PEM that is not a public key, a key too weak to trust (RSA under 2048 bits), or
 * an algorithm its key cannot make.
 */
export function trustBundleKeys(
  keys: Readonly<Record<string, BundleVerificationKey>>,
): ReadonlyMap<string, TrustedBundleKey> {
  const trusted = new Map<string, TrustedBundleKey>()
  for (const [keyId, entry] of Object.entries(keys)) {
    const pem = typeof entry === 'string' ? entry : entry.publicKeyPem
    if (pem.includes('PRIVATE KEY'))
      throw new Error(`policy bundle key ${keyId}: configure the public key, never the private one`)
    const key = createPublicKey(pem)
    const usual = usualAlgorithm(key)
    const algorithm = typeof entry === 'string' ? usual : entry.algorithm
    if (algorithm === undefined || !keyFits(key, algorithm))
      throw new Error(
        `policy bundle key ${keyId}: a ${describeKey(key)} key cannot verify ${algorithm ?? 'any supported algorithm'}`,
      )
    const bits = key.asymmetricKeyDetails?.modulusLength
    if (bits !== undefined && bits < minRsaBits)
      throw new Error(
        `policy bundle key ${keyId}: RSA keys need at least ${minRsaBits} bits, this has ${bits}`,
      )
    trusted.set(keyId, { key, algorithm })
  }
  return trusted
}

/** Keys as configured, or already parsed by {@link trustBundleKeys}. */
export type BundleKeys =
  | Readonly<Record<string, BundleVerificationKey>>
  | ReadonlyMap<string, TrustedBundleKey>

/** The parsed form of `keys`, parsing them unless that was done already. */
export function trustedKeysOf(keys: BundleKeys): ReadonlyMap<string, TrustedBundleKey> {
  return isParsed(keys) ? keys : trustBundleKeys(keys)
}

function isParsed(keys: BundleKeys): keys is ReadonlyMap<string, TrustedBundleKey> {
  return keys instanceof Map
}

function usualAlgorithm(key: KeyObject): BundleSigningAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256'
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA'
  if (key.asymmetricKeyType === 'ec') return curves[key.asymmetricKeyDetails?.namedCurve ?? '']
  return undefined
}

function keyFits(key: KeyObject, algorithm: BundleSigningAlgorithm): boolean {
  if (algorithm.startsWith('RS')) return key.asymmetricKeyType === 'rsa'
  if (algorithm.startsWith('PS'))
    return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss'
  if (algorithm === 'EdDSA') return key.asymmetricKeyType === 'ed25519'
  return key.asymmetricKeyType === 'ec' && curves[key.asymmetricKeyDetails?.namedCurve ?? ''] === algorithm
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve
  return curve === undefined ? String(key.asymmetricKeyType) : `${key.asymmetricKeyType} ${curve}`
}

/** The claims of an OPA bundle signature: which files, with which hashes. */
const claimsSchema = z.object({
  files: z
    .array(
      z.object({ name: z.string().min(1), hash: z.string().regex(/^[0-9a-f]+$/), algorithm: z.string() }),
    )
    .min(1),
  keyid: z.string().optional(),
  scope: z.string().optional(),
})

export type BundleSignatureClaims = z.infer<typeof claimsSchema>

const headerSchema = z.object({ alg: z.string(), kid: z.string().optional() })

export type VerifiedBundleSignature = {
  keyId: string
  algorithm: BundleSigningAlgorithm
  claims: BundleSignatureClaims
}

/**
 * Verifies the compact JWS of a bundle's .signatures.json against the trusted keys, as OPA
 * does: the key is named by the header's `kid`, else by the deprecated `keyid` claim; the
 * header's `alg` must be the one that key allows; the `scope` claim must equal `scope`
 * (absent counts as ""). A token naming two different keys, or carrying `crit` extensions
 * the gateway cannot honour, is refused.
 */
export function verifyBundleSignature(
  token: string,
  trusted: ReadonlyMap<string, TrustedBundleKey>,
  scope: string,
): VerifiedBundleSignature {
  const parts = token.split('.')
  if (parts.length !== 3) throw new PolicyBundleError('signature-invalid', 'the token is not a compact JWS')
  const [encodedHeader = '', encodedClaims = '', encodedSignature = ''] = parts
  const rawHeader = decodeJsonSegment(encodedHeader, 'header')
  const header = headerSchema.safeParse(rawHeader)
  if (!header.success) throw new PolicyBundleError('signature-invalid', 'the token header has no alg')
  if (typeof rawHeader === 'object' && rawHeader !== null && 'crit' in rawHeader)
    throw new PolicyBundleError('signature-invalid', 'the token header has crit extensions')
  const rawClaims = decodeJsonSegment(encodedClaims, 'claims')
  const keyIdClaim =
    typeof rawClaims === 'object' && rawClaims !== null && 'keyid' in rawClaims ? rawClaims.keyid : undefined

  const keyId = header.data.kid ?? keyIdClaim
  if (typeof keyId !== 'string' || keyId === '')
    throw new PolicyBundleError('key-unknown', 'the signature names no key id')
  if (header.data.kid !== undefined && keyIdClaim !== undefined && keyIdClaim !== header.data.kid)
    throw new PolicyBundleError('signature-invalid', 'the token header and claims name different keys')
  const trustedKey = trusted.get(keyId)
  if (trustedKey === undefined) throw new PolicyBundleError('key-unknown', `key ${keyId} is not trusted`)
  if (header.data.alg !== trustedKey.algorithm)
    throw new PolicyBundleError(
      'algorithm-rejected',
      `signed with ${header.data.alg}; key ${keyId} allows only ${trustedKey.algorithm}`,
    )

  const signature = decodeSegment(encodedSignature, 'signature')
  const signingInput = Buffer.from(`${encodedHeader}.${encodedClaims}`, 'ascii')
  if (!signatureVerifies(trustedKey, signingInput, signature))
    throw new PolicyBundleError('signature-invalid', `the signature does not verify with key ${keyId}`)

  const claims = claimsSchema.safeParse(rawClaims)
  if (!claims.success) throw new PolicyBundleError('signature-invalid', 'the signed claims list no files')
  const signedScope = claims.data.scope ?? ''
  if (signedScope !== scope)
    throw new PolicyBundleError('scope-mismatch', `signed for scope "${signedScope}", expected "${scope}"`)
  return { keyId, algorithm: trustedKey.algorithm, claims: claims.data }
}

function signatureVerifies(trusted: TrustedBundleKey, data: Buffer, signature: Buffer): boolean {
  const { key, algorithm } = trusted
  try {
    if (algorithm === 'EdDSA') return verify(null, data, key, signature)
    const hash = hashes[Number(algorithm.slice(2)) as keyof typeof hashes]
    if (algorithm.startsWith('RS'))
      return verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)
    if (algorithm.startsWith('PS')) {
      // JWA (RFC 7518 3.5): the salt is as long as the hash.
      const saltLength = Number(algorithm.slice(2)) / 8
      return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature)
    }
    const length = ecdsaSignatureLengths[algorithm as keyof typeof ecdsaSignatureLengths]
    return signature.length === length && verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
}

const base64url = /^[A-Za-z0-9_-]*$/

/** base64url without padding, and only its one canonical spelling, so a token has one form. */
function decodeSegment(segment: string, what: string): Buffer {
  const bytes = Buffer.from(segment, 'base64url')
  if (!base64url.test(segment) || bytes.toString('base64url') !== segment)
    throw new PolicyBundleError('signature-invalid', `the token ${what} is not base64url`)
  return bytes
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function decodeJsonSegment(segment: string, what: string): unknown {
  try {
    return JSON.parse(utf8.decode(decodeSegment(segment, what)))
  } catch (error) {
    if (error instanceof PolicyBundleError) throw error
    throw new PolicyBundleError('signature-invalid', `the token ${what} is not JSON`, { cause: error })
  }
}
