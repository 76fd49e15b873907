import { createHash } from 'node:crypto'
import {
  type PublicKeyInfo,
  parsePublicKey,
  type SigningKey,
  signEd25519,
  verifyEd25519,
} from '../crypto/ed25519.js'

/**
 * C2SP signed notes (https://c2sp.org/signed-note), Ed25519 only:
 *
 *   <text, ending in a newline>
 *   <blank line>
 *   — <key name> <base64(4-byte key ID || 64-byte Ed25519 signature over the text)>
 *
 * The key ID is SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4], 0x01 being the
 * Ed25519 signature type, so a signature names both the key and the algorithm.
 */

/** Who signs a note: a key name (recommended: a schema-less URL) and the Ed25519 key. */
export type NoteSigner = { name: string; key: SigningKey }

/** Who a verifier trusts: a key name and its Ed25519 public key. */
export type NoteVerifier = { name: string; publicKey: PublicKeyInfo }

/** One signature line of a note, decoded but not verified. */
export type NoteSignature = { name: string; keyId: Uint8Array; signature: Uint8Array }

export type ParsedNote = { text: string; signatures: NoteSignature[] }

export type VerifyNoteResult =
  | { ok: true; text: string; signedBy: string[] }
  | { ok: false; reason: 'MALFORMED_NOTE' | 'NO_TRUSTED_SIGNATURE' | 'BAD_SIGNATURE'; message: string }

/** Thrown by `parseNote` for anything that is not a well-formed signed note; the message says what. */
export class NoteFormatError extends Error {
  override name = 'NoteFormatError'
}

const ed25519Type = 0x01
const signatureDash = '\u2014'
/** The spec asks verifiers to accept at least 16; more than this is a note nobody here would write. */
const maxSignatures = 64
const maxNoteBytes = 1 << 20
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
/** Key names may hold no Unicode space (the \s class covers the Zs category and line breaks) and no plus. */
const invalidKeyName = /[\s+]/u

/** The 4-byte key ID of an Ed25519 key under `name`. */
export function noteKeyId(name: string, publicKey: PublicKeyInfo): Uint8Array {
  assertKeyName(name)
  const digest = createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Uint8Array.of(ed25519Type))
    .update(publicKey.raw)
    .digest()
  return new Uint8Array(digest.subarray(0, 4))
}

/** Signs `text` (which must end in a newline) and returns the whole note. */
export function signNote(text: string, signer: NoteSigner): string {
  assertNoteText(text)
  const signature = signEd25519(signer.key, Buffer.from(text, 'utf8'))
  const blob = Buffer.concat([noteKeyId(signer.name, signer.key), signature]).toString('base64')
  return `${text}\n${signatureDash} ${signer.name} ${blob}\n`
}

/**
 * Splits a note into its text and signature lines, strictly: invalid UTF-8, control characters,
 * a missing blank line, a malformed signature line or bad base64 all throw NoteFormatError.
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const source = typeof note === 'string' ? note : decodeUtf8(note)
  if (Buffer.byteLength(source, 'utf8') > maxNoteBytes) throw new NoteFormatError('the note is too large')
  if (loneSurrogate.test(source)) throw new NoteFormatError('the note is not valid UTF-8')
  if (hasForbiddenControl(source)) throw new NoteFormatError('the note holds a control character')
  // The text ends at the last blank line; signature lines can never contain one.
  const split = source.lastIndexOf('\n\n')
  if (split < 0) throw new NoteFormatError('no blank line separates the text from the signatures')
  const text = source.slice(0, split + 1)
  const block = source.slice(split + 2)
  if (!block.endsWith('\n')) throw new NoteFormatError('the last signature line does not end in a newline')
  const lines = block.slice(0, -1).split('\n')
  if (lines.length > maxSignatures) throw new NoteFormatError('the note has too many signatures')
  const signatures = lines.map(parseSignatureLine)
  return { text, signatures }
}

/**
 * Verifies a note against trusted keys, as the spec requires: signatures whose name and key ID
 * do not both match a trusted key are ignored; a matching one that fails rejects the whole note;
 * at least one must verify. `signedBy` lists the trusted names that signed.
 */
export function verifyNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): VerifyNoteResult {
  let parsed: ParsedNote
  try {
    parsed = parseNote(note)
  } catch (error) {
    if (error instanceof NoteFormatError)
      return { ok: false, reason: 'MALFORMED_NOTE', message: error.message }
    throw error
  }
  const message = Buffer.from(parsed.text, 'utf8')
  const signedBy = new Set<string>()
  for (const signature of parsed.signatures) {
    const verifier = verifiers.find(
      (candidate) =>
        candidate.name === signature.name &&
        Buffer.compare(noteKeyId(candidate.name, candidate.publicKey), signature.keyId) === 0,
    )
    if (!verifier) continue
    if (!verifyEd25519(verifier.publicKey, message, signature.signature))
      return {
        ok: false,
        reason: 'BAD_SIGNATURE',
        message: `the signature of ${signature.name} does not verify`,
      }
    signedBy.add(verifier.name)
  }
  if (signedBy.size === 0)
    return { ok: false, reason: 'NO_TRUSTED_SIGNATURE', message: 'no signature from a trusted key' }
  return { ok: true, text: parsed.text, signedBy: [...signedBy].sort() }
}

/**
 * The verifier key in the text form Go's note package and C2SP tools use:
 * `<name>+<8 hex digits of key ID>+<base64(0x01 || public key)>`. Publishing this lets anyone
 * check checkpoints with off-the-shelf tooling.
 */
export function formatVerifierKey(verifier: NoteVerifier): string {
  const keyId = Buffer.from(noteKeyId(verifier.name, verifier.publicKey)).toString('hex')
  const key = Buffer.concat([Uint8Array.of(ed25519Type), verifier.publicKey.raw]).toString('base64')
  return `${verifier.name}+${keyId}+${key}`
}

/** Parses a verifier key written by `formatVerifierKey`, checking that its key ID matches its key. */
export function parseVerifierKey(text: string): NoteVerifier {
  const parts = text.trim().split('+')
  // The base64 key may itself hold plus signs, so only the first two separators count.
  if (parts.length < 3) throw new NoteFormatError('a verifier key is <name>+<key id>+<key>')
  const [name = '', keyIdHex = '', ...rest] = parts
  const encoded = rest.join('+')
  assertKeyName(name)
  if (!/^[0-9a-f]{8}$/.test(keyIdHex)) throw new NoteFormatError('the key id is 8 lowercase hex digits')
  if (!base64Pattern.test(encoded)) throw new NoteFormatError('the key is not base64')
  const key = Buffer.from(encoded, 'base64')
  if (key.length !== 33 || key[0] !== ed25519Type)
    throw new NoteFormatError('the key is not an Ed25519 key (type 0x01 and 32 bytes)')
  const publicKey = parsePublicKey(`ed25519:${key.subarray(1).toString('base64')}`)
  if (Buffer.from(noteKeyId(name, publicKey)).toString('hex') !== keyIdHex)
    throw new NoteFormatError('the key id does not match the key')
  return { name, publicKey }
}

function parseSignatureLine(line: string): NoteSignature {
  const prefix = `${signatureDash} `
  if (!line.startsWith(prefix))
    throw new NoteFormatError('a signature line must start with an em dash and a space')
  const fields = line.slice(prefix.length).split(' ')
  if (fields.length !== 2) throw new NoteFormatError('a signature line is "— <name> <signature>"')
  const [name = '', encoded = ''] = fields
  assertKeyName(name)
  if (encoded === '' || !base64Pattern.test(encoded))
    throw new NoteFormatError(`the signature of ${name} is not base64`)
  const blob = Buffer.from(encoded, 'base64')
  // Node ignores the unused low bits of the last base64 digit: two spellings would verify alike.
  if (blob.toString('base64') !== encoded)
    throw new NoteFormatError(`the signature of ${name} is not canonical base64`)
  if (blob.length < 5) throw new NoteFormatError(`the signature of ${name} is too short`)
  return {
    name,
    keyId: new Uint8Array(blob.subarray(0, 4)),
    signature: new Uint8Array(blob.subarray(4)),
  }
}

function assertKeyName(name: string): void {
  if (name === '' || invalidKeyName.test(name))
    throw new NoteFormatError('a key name must be non-empty, with no spaces and no plus sign')
}

function assertNoteText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteFormatError('note text must end in a newline')
  if (loneSurrogate.test(text)) throw new NoteFormatError('note text is not valid UTF-8')
  if (hasForbiddenControl(text)) throw new NoteFormatError('note text holds a control character')
}

/** ASCII control characters other than newline, which the spec forbids anywhere in a note. */
function hasForbiddenControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 && code !== 0x0a) return true
  }
  return false
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new NoteFormatError('the note is not valid UTF-8')
  }
}
