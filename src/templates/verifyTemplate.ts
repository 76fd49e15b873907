import { z } from 'zod'
import { CanonicalJsonError, canonicalJson } from '../crypto/canonicalJson.js'
import { verifyEnvelope } from '../crypto/dsse.js'
import type { PublicKeyInfo } from '../crypto/ed25519.js'
import {
  parseTemplateManifest,
  TEMPLATE_PAYLOAD_TYPE,
  type TemplateManifest,
  type VerificationLevel,
  verificationLevelNames,
} from './manifest.js'
import { type TemplateDigest, templateDigest } from './templateDigest.js'
import {
  issuesFromZod,
  missingFieldMessage,
  plural,
  quote,
  type TemplateFailure,
  templateFailure,
} from './validationIssue.js'

/** How many distinct trusted authorities must sign a template of a given verification level. */
export type RequiredSignatures = (level: VerificationLevel) => number

/** One signature for drafts and reviewed templates, two for audited and certified ones. */
export const defaultRequiredSignatures: RequiredSignatures = (level) => (level >= 2 ? 2 : 1)

export type ParseRequiredSignaturesResult =
  | { ok: true; requiredSignatures: RequiredSignatures; counts: readonly [number, number, number, number] }
  | { ok: false; message: string }

/**
 * Reads a setting such as `1,1,2,2`: the signatures needed for levels 0, 1, 2 and 3, in that order.
 * Each count is a positive integer; zero is refused because a template is never trusted without a
 * signature, whatever its level.
 */
export function parseRequiredSignatures(text: string): ParseRequiredSignaturesResult {
  const parts = text.split(',').map((part) => part.trim())
  if (parts.length !== 4)
    return {
      ok: false,
      message: `${JSON.stringify(text)}: expected four comma-separated counts for levels 0 to 3, such as 1,1,2,2`,
    }
  const counts: number[] = []
  for (const [level, part] of parts.entries()) {
    if (!/^[1-9]\d{0,2}$/.test(part))
      return {
        ok: false,
        message: `level ${level}: ${JSON.stringify(part)} is not a positive integer below 1000`,
      }
    counts.push(Number(part))
  }
  const [draft = 1, reviewed = 1, audited = 1, certified = 1] = counts
  const byLevel = [draft, reviewed, audited, certified] as const
  return { ok: true, requiredSignatures: (level) => byLevel[level], counts: byLevel }
}

export type VerifyTemplateEnvelopeOptions = {
  /** The verification authorities' keys; a signature by any other key counts for nothing. */
  authorities: PublicKeyInfo[]
  requiredSignatures: RequiredSignatures
  now: Date
}

export type VerifiedTemplate = {
  ok: true
  manifest: TemplateManifest
  /** The signed document exactly as parsed from the payload, before normalization. */
  manifestJson: unknown
  digest: TemplateDigest
  /** The distinct trusted key ids that signed, sorted. */
  signers: string[]
}

export type VerifyTemplateEnvelopeResult =
  | VerifiedTemplate
  | TemplateFailure<
      | 'TEMPLATE_SIGNATURE_INVALID'
      | 'TEMPLATE_INVALID'
      | 'TEMPLATE_SIGNATURES_INSUFFICIENT'
      | 'TEMPLATE_EXPIRED'
    >

const envelopeSchema = z.strictObject({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.strictObject({ keyid: z.string().optional(), sig: z.string() })).max(32),
})

/**
 * Verifies a signed template envelope and returns its manifest. The checks run in an order that
 * never lets untrusted bytes reach a parser:
 * 1. the envelope's shape, then its payloadType, then at least one signature by a trusted authority
 *    (TEMPLATE_SIGNATURE_INVALID);
 * 2. only then is the payload decoded, required to be canonical JSON, and parsed as a manifest
 *    (TEMPLATE_INVALID);
 * 3. the count of distinct trusted signers against what the manifest's level requires
 *    (TEMPLATE_SIGNATURES_INSUFFICIENT);
 * 4. expiry: a template whose expiresAt is at or before `now` is refused (TEMPLATE_EXPIRED).
 * Never throws for bad input.
 */
export function verifyTemplateEnvelope(
  envelope: unknown,
  options: VerifyTemplateEnvelopeOptions,
): VerifyTemplateEnvelopeResult {
  const shape = envelopeSchema.safeParse(envelope, { error: missingFieldMessage })
  if (!shape.success)
    return templateFailure('TEMPLATE_SIGNATURE_INVALID', issuesFromZod(shape.error, 'envelope'))
  const verified = verifyEnvelope(shape.data, TEMPLATE_PAYLOAD_TYPE, options.authorities)
  if (!verified.ok) {
    const issue =
      verified.reason === 'PAYLOAD_TYPE_MISMATCH'
        ? {
            path: 'envelope.payloadType',
            message: `expected "${TEMPLATE_PAYLOAD_TYPE}", got ${quote(shape.data.payloadType)}`,
          }
        : verified.reason === 'MALFORMED_ENVELOPE'
          ? { path: 'envelope.payload', message: 'not standard base64' }
          : {
              path: 'envelope.signatures',
              message: `no valid signature by a trusted verification authority (${plural(shape.data.signatures.length, 'signature')} checked against ${plural(options.authorities.length, 'trusted key')})`,
            }
    return templateFailure('TEMPLATE_SIGNATURE_INVALID', [issue])
  }

  const document = decodeCanonicalJson(verified.payload)
  if (!document.ok)
    return templateFailure('TEMPLATE_INVALID', [{ path: 'payload', message: document.message }])
  const parsed = parseTemplateManifest(document.json)
  if (!parsed.ok) return parsed
  const { manifest } = parsed

  const required = options.requiredSignatures(manifest.verificationLevel)
  if (verified.signers.length < required) {
    const level = `${manifest.verificationLevel} (${verificationLevelNames[manifest.verificationLevel]})`
    return templateFailure('TEMPLATE_SIGNATURES_INSUFFICIENT', [
      {
        path: 'envelope.signatures',
        message: `template ${manifest.id}@${manifest.version} at verification level ${level} lacks distinct trusted signatures: have ${verified.signers.length}, need ${required}`,
      },
    ])
  }

  if (Date.parse(manifest.expiresAt) <= options.now.getTime()) {
    return templateFailure('TEMPLATE_EXPIRED', [
      {
        path: 'expiresAt',
        message: `template ${manifest.id}@${manifest.version} expired at ${manifest.expiresAt} (now ${options.now.toISOString()})`,
      },
    ])
  }

  return {
    ok: true,
    manifest,
    manifestJson: document.json,
    digest: templateDigest(document.json),
    signers: verified.signers,
  }
}

type DecodedDocument = { ok: true; json: unknown } | { ok: false; message: string }

/**
 * Decodes the payload and insists it is already in canonical form. A payload with duplicate keys,
 * for instance, means one thing to this parser and possibly another to the next; requiring the
 * canonical encoding leaves exactly one reading, whose sha256 is the template digest.
 */
function decodeCanonicalJson(payload: Uint8Array): DecodedDocument {
  let text: string
  let json: unknown
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payload)
  } catch {
    return { ok: false, message: 'not UTF-8' }
  }
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, message: 'not JSON' }
  }
  try {
    if (canonicalJson(json) !== text) return { ok: false, message: 'not in canonical JSON form (RFC 8785)' }
  } catch (error) {
    if (error instanceof CanonicalJsonError)
      return { ok: false, message: `has no canonical JSON form: ${error.message}` }
    throw error
  }
  return { ok: true, json }
}
