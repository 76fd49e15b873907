import { hashBytes } from './merkle.js'
import {
  NoteFormatError,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type ParsedNote,
  parseNote,
  signNote,
  verifyNote,
} from './signedNote.js'

/**
 * Log checkpoints in the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint): a signed
 * note whose text is
 *
 *   <origin>
 *   <tree size, decimal, no leading zeros>
 *   <root hash, standard base64>
 *
 * then optional non-empty extension lines, which this log never writes.
 */

/** A tree head: which log, how many entries, and the RFC 9162 root of those entries. */
export type Checkpoint = { origin: string; size: number; root: Uint8Array }

/** A checkpoint as read from a note, with its (unverified) signature lines. */
export type ParsedCheckpoint = Checkpoint & { extensions: string[]; signatures: NoteSignature[] }

/** A checkpoint together with the signed note that carries it. */
export type SignedCheckpoint = Checkpoint & { note: string }

export type VerifyCheckpointResult =
  | { ok: true; checkpoint: Checkpoint }
  | {
      ok: false
      reason: 'MALFORMED_CHECKPOINT' | 'NO_TRUSTED_SIGNATURE' | 'BAD_SIGNATURE' | 'ORIGIN_MISMATCH'
      message: string
    }

/** Thrown for a note whose text is not a checkpoint. */
export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError'
}

const sizePattern = /^(0|[1-9][0-9]*)$/
const rootPattern = /^[A-Za-z0-9+/]{43}=$/
/** The origin this log writes: what the spec recommends, so it can double as the key name. */
const writableOrigin = /^[^\s+]+$/u

/** The note text of a checkpoint. */
export function formatCheckpointText(checkpoint: Checkpoint): string {
  const { origin, size, root } = checkpoint
  if (!writableOrigin.test(origin))
    throw new CheckpointFormatError('the origin must be non-empty, with no spaces and no plus sign')
  if (!Number.isSafeInteger(size) || size < 0) throw new CheckpointFormatError('the size must be a tree size')
  if (!(root instanceof Uint8Array) || root.length !== hashBytes)
    throw new CheckpointFormatError('the root must be a 32-byte hash')
  return `${origin}\n${size}\n${Buffer.from(root).toString('base64')}\n`
}

/** Signs a checkpoint with the log key and returns the note. */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpointText(checkpoint), signer)
}

/**
 * Parses a checkpoint note without verifying it. Strict: any deviation from the signed-note or
 * checkpoint grammar throws, naming what is wrong.
 */
export function parseCheckpoint(note: string | Uint8Array): ParsedCheckpoint {
  const { text, signatures } = parseNoteAsCheckpoint(note)
  const lines = text.slice(0, -1).split('\n')
  const [origin = '', sizeText = '', rootText = '', ...extensions] = lines
  if (lines.length < 3) throw new CheckpointFormatError('a checkpoint has an origin, a size and a root hash')
  if (origin === '') throw new CheckpointFormatError('the origin is empty')
  if (!sizePattern.test(sizeText))
    throw new CheckpointFormatError('the size is not a decimal without leading zeros')
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) throw new CheckpointFormatError('the size is too large')
  if (!rootPattern.test(rootText)) throw new CheckpointFormatError('the root hash is not 32 bytes of base64')
  const root = new Uint8Array(Buffer.from(rootText, 'base64'))
  // Base64 has spare bits in its last character; only the canonical spelling is the hash.
  if (Buffer.from(root).toString('base64') !== rootText)
    throw new CheckpointFormatError('the root hash is not canonical base64')
  if (extensions.some((line) => line === '')) throw new CheckpointFormatError('an extension line is empty')
  return { origin, size, root, extensions, signatures }
}

function parseNoteAsCheckpoint(note: string | Uint8Array): ParsedNote {
  try {
    return parseNote(note)
  } catch (error) {
    if (error instanceof NoteFormatError) throw new CheckpointFormatError(error.message)
    throw error
  }
}

/**
 * Verifies a checkpoint: well formed, signed by the expected key (other signatures, such as
 * witness cosignatures, are ignored), and from the expected origin, which defaults to the key name.
 */
export function verifyCheckpoint(
  note: string | Uint8Array,
  verifier: NoteVerifier & { origin?: string },
): VerifyCheckpointResult {
  let parsed: ParsedCheckpoint
  try {
    parsed = parseCheckpoint(note)
  } catch (error) {
    if (error instanceof CheckpointFormatError)
      return { ok: false, reason: 'MALFORMED_CHECKPOINT', message: error.message }
    throw error
  }
  const verified = verifyNote(note, [verifier])
  if (!verified.ok) {
    const reason = verified.reason === 'MALFORMED_NOTE' ? 'MALFORMED_CHECKPOINT' : verified.reason
    return { ok: false, reason, message: verified.message }
  }
  const origin = verifier.origin ?? verifier.name
  if (parsed.origin !== origin)
    return { ok: false, reason: 'ORIGIN_MISMATCH', message: `the origin is ${parsed.origin}, not ${origin}` }
  return { ok: true, checkpoint: { origin: parsed.origin, size: parsed.size, root: parsed.root } }
}
