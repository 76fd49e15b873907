import { type PublicKeyInfo, type SigningKey, signEd25519, verifyEd25519 } from '../crypto/ed25519.js'
import { jsonNestsDeeperThan, maxJsonNesting } from '../crypto/jsonNesting.js'

/**
 * Compact JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037), and nothing else. A general JOSE
 * library negotiates algorithms and keys from the token itself; every one of those choices is an
 * attack surface, so here the algorithm is fixed and keys come only from the trusted list.
 */

/** A token larger than this is refused before any decoding; ours are a few hundred bytes. */
export const maxJwtLength = 8 * 1024

/**
 * Header parameters that would let a token name its own key, change how it is processed or
 * smuggle another format in. None of them is honoured, so a token carrying one is refused
 * outright rather than verified under assumptions its author did not share.
 */
const forbiddenHeaderNames: ReadonlySet<string> = new Set([
  'crit',
  'jwk',
  'jku',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'b64',
  'cty',
  'enc',
  'zip',
])

const reservedHeaderNames: ReadonlySet<string> = new Set(['alg', 'typ', 'kid'])

/** A verified header: alg is always EdDSA and the kid named a trusted key. */
export type JwtHeader = { alg: 'EdDSA'; typ?: 'JWT'; kid: string } & Record<string, unknown>

/** Extra header parameters a signer may add; alg, typ and kid are always set by `signJwt`. */
export type JwtHeaderExtras = Record<string, string | number | boolean>

export type JwtClaims = Record<string, unknown>

export type JwtFailureReason =
  | 'TOO_LARGE'
  | 'MALFORMED'
  | 'BAD_HEADER'
  | 'UNSUPPORTED_ALG'
  | 'FORBIDDEN_HEADER'
  | 'UNKNOWN_KID'
  | 'BAD_SIGNATURE'
  | 'BAD_PAYLOAD'

export type VerifyJwtResult =
  | { ok: true; header: JwtHeader; claims: JwtClaims }
  | { ok: false; reason: JwtFailureReason }

/**
 * Signs `claims` as a compact JWS with header `{alg: 'EdDSA', typ: 'JWT', kid}` plus `headerExtras`.
 *
 * @throws TypeError when `headerExtras` tries to set alg, typ or kid, or a parameter `verifyJwt`
 * refuses: such a token could never verify, so minting it is a bug in the caller.
 */
export function signJwt(headerExtras: JwtHeaderExtras, claims: JwtClaims, key: SigningKey): string {
  for (const name of Object.keys(headerExtras)) {
    if (reservedHeaderNames.has(name) || forbiddenHeaderNames.has(name))
      throw new TypeError(`the JWT header parameter "${name}" cannot be set by the caller`)
  }
  const header = { alg: 'EdDSA', typ: 'JWT', kid: key.keyid, ...headerExtras }
  const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`
  const signature = signEd25519(key, Buffer.from(signingInput, 'ascii'))
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`
}

/**
 * Verifies a compact JWS against trusted Ed25519 keys. The header's kid must name one of `keys`
 * (a token never supplies its own key), alg must be exactly EdDSA, and the signature must cover the
 * exact `header.payload` text. The payload is parsed only once the signature holds, and must be a
 * JSON object. Never throws: every defect is a typed failure.
 */
export function verifyJwt(token: string, keys: readonly PublicKeyInfo[]): VerifyJwtResult {
  if (typeof token !== 'string') return { ok: false, reason: 'MALFORMED' }
  if (token.length > maxJwtLength) return { ok: false, reason: 'TOO_LARGE' }
  const segments = token.split('.')
  if (segments.length !== 3) return { ok: false, reason: 'MALFORMED' }
  const [headerSegment = '', payloadSegment = '', signatureSegment = ''] = segments
  const headerBytes = decodeSegment(headerSegment)
  const payloadBytes = decodeSegment(payloadSegment)
  const signature = decodeSegment(signatureSegment)
  if (!headerBytes || !payloadBytes || !signature) return { ok: false, reason: 'MALFORMED' }

  const header = parseJsonObject(headerBytes)
  if (!header) return { ok: false, reason: 'BAD_HEADER' }
  if (header.alg !== 'EdDSA') return { ok: false, reason: 'UNSUPPORTED_ALG' }
  if (Object.keys(header).some((name) => forbiddenHeaderNames.has(name)))
    return { ok: false, reason: 'FORBIDDEN_HEADER' }
  if (header.typ !== undefined && header.typ !== 'JWT') return { ok: false, reason: 'BAD_HEADER' }
  // Our tokens always name their key; trying every key for an anonymous token would only widen
  // what a stolen retired key could still sign.
  if (typeof header.kid !== 'string') return { ok: false, reason: 'BAD_HEADER' }
  const key = keys.find((candidate) => candidate.keyid === header.kid)
  if (!key) return { ok: false, reason: 'UNKNOWN_KID' }

  const signingInput = Buffer.from(`${headerSegment}.${payloadSegment}`, 'ascii')
  if (!verifyEd25519(key, signingInput, signature)) return { ok: false, reason: 'BAD_SIGNATURE' }

  const claims = parseJsonObject(payloadBytes)
  if (!claims) return { ok: false, reason: 'BAD_PAYLOAD' }
  return { ok: true, header: { ...header, alg: 'EdDSA', kid: header.kid }, claims }
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
}

const base64urlPattern = /^[A-Za-z0-9_-]+$/

/**
 * Strict unpadded base64url. Node's decoder skips junk and ignores trailing bits, so two different
 * strings could decode to the same bytes; requiring the canonical encoding makes a token's text and
 * its meaning one-to-one.
 */
function decodeSegment(segment: string): Uint8Array | undefined {
  if (!base64urlPattern.test(segment) || segment.length % 4 === 1) return undefined
  const bytes = Buffer.from(segment, 'base64url')
  if (bytes.toString('base64url') !== segment) return undefined
  return new Uint8Array(bytes)
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown
  try {
    const text = utf8.decode(bytes)
    if (jsonNestsDeeperThan(text, maxJsonNesting)) return undefined
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}
