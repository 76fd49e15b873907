import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { PublicKeyInfo, SigningKey } from '../crypto/ed25519.js'
import { type JwtFailureReason, signJwt, verifyJwt } from './jwt.js'

/**
 * Capability tokens: EdDSA JWTs this gateway issues to one app instance. Verifying one proves only
 * that this gateway issued it, for this audience, and that it is in date. Whether its jti, its
 * instance or its template has since been revoked, and whether a kill switch is engaged, lives in
 * Redis and is the caller's check.
 */

/** What an instance may do, as a template declares it. */
export const capabilitySchema = z.enum(['relay:meta-tx', 'sponsor:user-op'])
export type Capability = z.infer<typeof capabilitySchema>

/** Longest lifetime a token may claim unless the caller configures another. */
export const defaultMaxTokenTtlSeconds = 30 * 24 * 60 * 60

export const defaultClockSkewSeconds = 30

const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 lowercase hex>')
const secondsSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)

/**
 * The claims of a capability token. The object is strict: only this gateway mints these tokens,
 * and a claim it does not recognise might be a restriction (say, a future `nbf`) that silently
 * ignoring would turn into a grant.
 */
export const capabilityClaimsSchema = z.strictObject({
  iss: z.string().min(1).max(256),
  aud: z.string().min(1).max(256),
  /** The app instance id; its character set keeps it safe to embed in Redis keys and logs. */
  sub: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'expected an instance id'),
  /** 128 random bits, base64url: the handle for revoking this one token. */
  jti: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'expected 22 base64url characters'),
  iat: secondsSchema,
  exp: secondsSchema,
  /** The digest of the template the instance pins. */
  tdg: digestSchema,
  cap: z
    .array(capabilitySchema)
    .min(1)
    .refine((caps) => new Set(caps).size === caps.length, 'capabilities must not repeat'),
  /** The digest of the micro app's module or runtime, when the platform supplies one. */
  att: digestSchema.optional(),
})

export type CapabilityClaims = z.infer<typeof capabilityClaimsSchema>

export type IssueCapabilityTokenParameters = {
  key: SigningKey
  issuer: string
  audience: string
  instanceId: string
  templateDigest: string
  capabilities: readonly Capability[]
  att?: string
  ttlSeconds: number
  now: Date
  /** Defaults to `defaultMaxTokenTtlSeconds`; keep it equal to the verifier's. */
  maxTtlSeconds?: number
}

export type IssueCapabilityTokenReturnType = { token: string; claims: CapabilityClaims }

/**
 * Mints a capability token for one app instance, with a fresh random jti.
 *
 * @throws TypeError when the parameters would make claims the verifier refuses (a bad digest or
 * instance id, no capabilities, a ttl outside 1..maxTtlSeconds, an invalid `now`): such a token
 * could never be used, so issuing it is a bug in the caller.
 */
export function issueCapabilityToken(
  parameters: IssueCapabilityTokenParameters,
): IssueCapabilityTokenReturnType {
  const maxTtlSeconds = parameters.maxTtlSeconds ?? defaultMaxTokenTtlSeconds
  const { ttlSeconds } = parameters
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTtlSeconds)
    throw new TypeError(`ttlSeconds must be an integer in 1..${maxTtlSeconds}, got ${ttlSeconds}`)
  const iat = epochSeconds(parameters.now)
  const parsed = capabilityClaimsSchema.safeParse({
    iss: parameters.issuer,
    aud: parameters.audience,
    sub: parameters.instanceId,
    jti: randomBytes(16).toString('base64url'),
    iat,
    exp: iat + ttlSeconds,
    tdg: parameters.templateDigest,
    cap: [...parameters.capabilities],
    ...(parameters.att === undefined ? {} : { att: parameters.att }),
  })
  if (!parsed.success) throw new TypeError(`invalid capability token claims: ${describeIssues(parsed.error)}`)
  return { token: signJwt({}, parsed.data, parameters.key), claims: parsed.data }
}

export type VerifyCapabilityTokenOptions = {
  keys: readonly PublicKeyInfo[]
  issuer: string
  /** Matched exactly against `aud`, which must be a single string: an array is refused. */
  audience: string
  now: Date
  clockSkewSeconds?: number
  maxTtlSeconds?: number
}

export type CapabilityTokenErrorCode = 'TOKEN_INVALID' | 'TOKEN_EXPIRED'

export type VerifyCapabilityTokenReturnType =
  | { ok: true; claims: CapabilityClaims }
  | { ok: false; code: CapabilityTokenErrorCode; message: string }

const jwtFailureMessages: Record<JwtFailureReason, string> = {
  TOO_LARGE: 'the token is too large',
  MALFORMED: 'the token is not a compact JWS of three base64url segments',
  BAD_HEADER: 'the token header is malformed',
  UNSUPPORTED_ALG: 'the token algorithm is not EdDSA',
  FORBIDDEN_HEADER: 'the token header carries a parameter that is not accepted',
  UNKNOWN_KID: 'the token is not signed by a key of this gateway',
  BAD_SIGNATURE: 'the token signature is invalid',
  BAD_PAYLOAD: 'the token payload is not a JSON object',
}

/**
 * Verifies a capability token: signature by one of `keys`, the claims schema, issuer, audience
 * and time. Every failure is TOKEN_INVALID except a token that is valid in every respect but past
 * its `exp` (beyond the clock skew), which is TOKEN_EXPIRED. Never throws on a bad token.
 *
 * @throws TypeError when `now` is not a valid date: failing open on a broken clock is worse than
 * an internal error.
 */
export function verifyCapabilityToken(
  token: string,
  options: VerifyCapabilityTokenOptions,
): VerifyCapabilityTokenReturnType {
  const nowSeconds = epochSeconds(options.now)
  const verified = verifyTokenText(token, options)
  return verified.ok ? checkTokenTime(verified.claims, nowSeconds, options) : verified
}

export type CapabilityTokenVerifierOptions = Omit<VerifyCapabilityTokenOptions, 'now'> & {
  now: () => Date
  /** Verified tokens remembered at once; the least recently verified is forgotten first. */
  capacity?: number
}

/**
 * `verifyCapabilityToken` for one set of keys, issuer and audience, remembering the tokens it
 * verified. What a token's text proves (signature, claims, issuer, audience, lifetime) cannot
 * change while the keys stay the same, so a token seen before skips the Ed25519 verification
 * and the claims schema; the time checks run on every use. Only tokens that verified are
 * remembered, so a stream of forged tokens costs a full verification each and fills nothing.
 */
export function createCapabilityTokenVerifier(
  options: CapabilityTokenVerifierOptions,
): (token: string) => VerifyCapabilityTokenReturnType {
  const { now, capacity = 10_000 } = options
  const verifiedTexts = new Map<string, CapabilityClaims>()
  return (token) => {
    const nowSeconds = epochSeconds(now())
    let claims = verifiedTexts.get(token)
    if (!claims) {
      const verified = verifyTokenText(token, options)
      if (!verified.ok) return verified
      claims = verified.claims
      if (verifiedTexts.size >= capacity) {
        const oldest = verifiedTexts.keys().next()
        if (!oldest.done) verifiedTexts.delete(oldest.value)
      }
      verifiedTexts.set(token, claims)
    }
    return checkTokenTime(claims, nowSeconds, options)
  }
}

/** Every check that depends on the token text and the keys alone, not on the time. */
function verifyTokenText(
  token: string,
  options: Omit<VerifyCapabilityTokenOptions, 'now'>,
): VerifyCapabilityTokenReturnType {
  const maxTtlSeconds = options.maxTtlSeconds ?? defaultMaxTokenTtlSeconds
  const verified = verifyJwt(token, options.keys)
  if (!verified.ok) return invalid(jwtFailureMessages[verified.reason])
  const parsed = capabilityClaimsSchema.safeParse(verified.claims)
  if (!parsed.success) return invalid(`the token claims are invalid: ${describeIssues(parsed.error)}`)
  const claims = parsed.data

  if (claims.iss !== options.issuer) return invalid('the token was issued by another issuer')
  if (claims.aud !== options.audience) return invalid('the token is for another audience')
  if (claims.exp <= claims.iat) return invalid('the token expires before it was issued')
  if (claims.exp - claims.iat > maxTtlSeconds) return invalid('the token lifetime exceeds the maximum')
  return { ok: true, claims }
}

function checkTokenTime(
  claims: CapabilityClaims,
  nowSeconds: number,
  options: { clockSkewSeconds?: number },
): VerifyCapabilityTokenReturnType {
  const skew = options.clockSkewSeconds ?? defaultClockSkewSeconds
  if (claims.iat > nowSeconds + skew) return invalid('the token was issued in the future')
  if (nowSeconds - skew >= claims.exp)
    return { ok: false, code: 'TOKEN_EXPIRED', message: 'the token has expired' }
  return { ok: true, claims }
}

export type BearerTokenReturnType =
  | { ok: true; token: string }
  | { ok: false; code: 'UNAUTHENTICATED' | 'TOKEN_INVALID'; message: string }

/** RFC 6750 b64token: the characters a bearer credential may use. */
const bearerPattern = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i

/**
 * Extracts the credential from an `Authorization: Bearer <token>` header. A missing or blank
 * header is UNAUTHENTICATED; another scheme or a malformed value is TOKEN_INVALID.
 */
export function bearerToken(authorizationHeader: string | undefined): BearerTokenReturnType {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '')
    return { ok: false, code: 'UNAUTHENTICATED', message: 'the Authorization header is missing' }
  const match = bearerPattern.exec(authorizationHeader)
  if (!match?.[1])
    return {
      ok: false,
      code: 'TOKEN_INVALID',
      message: 'expected an Authorization header of the form "Bearer <token>"',
    }
  return { ok: true, token: match[1] }
}

function invalid(message: string): VerifyCapabilityTokenReturnType {
  return { ok: false, code: 'TOKEN_INVALID', message }
}

function epochSeconds(now: Date): number {
  const millis = now instanceof Date ? now.getTime() : Number.NaN
  if (!Number.isFinite(millis)) throw new TypeError('now must be a valid Date')
  return Math.floor(millis / 1000)
}

/** Paths and messages only: a received value is never echoed back to the client. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`,
    )
    .join('; ')
}
