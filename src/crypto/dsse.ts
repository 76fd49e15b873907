import { type PublicKeyInfo, type SigningKey, signEd25519, verifyEd25519 } from './ed25519.js'

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse), as JSON. */
export type DsseEnvelope = {
  payloadType: string
  /** base64 of the payload bytes */
  payload: string
  signatures: { keyid?: string; sig: string }[]
}

/**
 * Pre-Authentication Encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, with lengths
 * in bytes as ASCII decimals. Signing the PAE rather than the payload binds the payload type, so
 * a signature over one kind of document can never be replayed as another.
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8')
  const header = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, 'utf8')
  return Buffer.concat([header, payload])
}

/** Signs `payload` with every key given and returns the envelope. */
export function signEnvelope(payloadType: string, payload: Uint8Array, keys: SigningKey[]): DsseEnvelope {
  const pae = preAuthEncoding(payloadType, payload)
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: keys.map((key) => ({
      keyid: key.keyid,
      sig: Buffer.from(signEd25519(key, pae)).toString('base64'),
    })),
  }
}

export type VerifyEnvelopeResult =
  | { ok: true; payload: Uint8Array; signers: string[] }
  | {
      ok: false
      reason: 'PAYLOAD_TYPE_MISMATCH' | 'MALFORMED_ENVELOPE' | 'NO_VALID_SIGNATURE'
      signers: string[]
    }

/**
 * Verifies an envelope against trusted keys. Returns the payload bytes only when the payload type
 * matches and at least one trusted key signed it; `signers` lists the distinct trusted key ids that
 * did, for k-of-n checks. A `keyid` in the envelope is only a hint: every trusted key is tried.
 */
export function verifyEnvelope(
  envelope: DsseEnvelope,
  expectedPayloadType: string,
  trustedKeys: PublicKeyInfo[],
): VerifyEnvelopeResult {
  if (envelope.payloadType !== expectedPayloadType)
    return { ok: false, reason: 'PAYLOAD_TYPE_MISMATCH', signers: [] }
  const payload = decodeBase64(envelope.payload)
  if (!payload || !Array.isArray(envelope.signatures))
    return { ok: false, reason: 'MALFORMED_ENVELOPE', signers: [] }
  const pae = preAuthEncoding(envelope.payloadType, payload)
  const signers = new Set<string>()
  for (const signature of envelope.signatures) {
    const sig = typeof signature?.sig === 'string' ? decodeBase64(signature.sig) : undefined
    if (!sig) continue
    for (const key of hintedFirst(trustedKeys, signature.keyid)) {
      if (signers.has(key.keyid)) continue
      if (verifyEd25519(key, pae, sig)) {
        signers.add(key.keyid)
        break
      }
    }
  }
  if (signers.size === 0) return { ok: false, reason: 'NO_VALID_SIGNATURE', signers: [] }
  return { ok: true, payload, signers: [...signers].sort() }
}

function hintedFirst(keys: PublicKeyInfo[], hint: unknown): PublicKeyInfo[] {
  if (typeof hint !== 'string') return keys
  return [...keys].sort((a, b) => Number(b.keyid === hint) - Number(a.keyid === hint))
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Strict standard base64: Node's decoder ignores junk, which would let two strings share bytes. */
function decodeBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || !base64Pattern.test(text)) return undefined
  return new Uint8Array(Buffer.from(text, 'base64'))
}
