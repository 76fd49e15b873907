import { createHash } from 'node:crypto'
import { z } from 'zod'
import { canonicalJson } from '../crypto/canonicalJson.js'
import { type DsseEnvelope, verifyEnvelope } from '../crypto/dsse.js'
import type { PublicKeyInfo } from '../crypto/ed25519.js'
import { type AttestationStatement, inTotoPayloadType, parseStatement } from './statementSchemas.js'

/**
 * A log entry is the canonical JSON (RFC 8785) of a DSSE envelope, in UTF-8. The Merkle leaf is
 * those exact bytes, and the "envelope digest" an outcome points back with is their SHA-256.
 */

/** The bytes a DSSE envelope is logged as. */
export function encodeLogEntry(envelope: DsseEnvelope): Uint8Array {
  return new TextEncoder().encode(canonicalJson(envelope))
}

/** The SHA-256 of a log entry's bytes, in lowercase hex. */
export function logEntryDigest(entry: Uint8Array): string {
  return createHash('sha256').update(entry).digest('hex')
}

const envelopeSchema = z.strictObject({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.strictObject({ keyid: z.string().optional(), sig: z.string() })).min(1),
})

export type OpenLogEntryResult =
  | { ok: true; envelope: DsseEnvelope; statement: AttestationStatement; signers: string[] }
  | {
      ok: false
      reason:
        | 'NOT_CANONICAL'
        | 'MALFORMED_ENVELOPE'
        | 'PAYLOAD_TYPE_MISMATCH'
        | 'NO_VALID_SIGNATURE'
        | 'BAD_STATEMENT'
      message: string
    }

/**
 * Reads a log entry back as a verifier would: canonical JSON of a DSSE envelope, signed as an
 * in-toto statement by one of `trustedKeys`, holding a statement of a kind this gateway writes.
 */
export function openLogEntry(entry: Uint8Array, trustedKeys: PublicKeyInfo[]): OpenLogEntryResult {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entry))
  } catch {
    return { ok: false, reason: 'MALFORMED_ENVELOPE', message: 'the entry is not UTF-8 JSON' }
  }
  const envelope = envelopeSchema.safeParse(json)
  if (!envelope.success)
    return { ok: false, reason: 'MALFORMED_ENVELOPE', message: 'the entry is not a DSSE envelope' }
  // Only one byte string per envelope may be logged, or one attestation could sit in the log twice
  // under different leaf hashes.
  if (Buffer.compare(encodeLogEntry(envelope.data), entry) !== 0)
    return { ok: false, reason: 'NOT_CANONICAL', message: 'the entry is not canonical JSON' }
  const verified = verifyEnvelope(envelope.data, inTotoPayloadType, trustedKeys)
  if (!verified.ok)
    return { ok: false, reason: verified.reason, message: `the envelope fails: ${verified.reason}` }
  let payload: unknown
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verified.payload))
  } catch {
    return { ok: false, reason: 'BAD_STATEMENT', message: 'the payload is not UTF-8 JSON' }
  }
  const statement = parseStatement(payload)
  if (!statement.success)
    return { ok: false, reason: 'BAD_STATEMENT', message: z.prettifyError(statement.error) }
  return { ok: true, envelope: envelope.data, statement: statement.data, signers: verified.signers }
}
