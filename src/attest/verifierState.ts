import { z } from 'zod'
import { verifyCheckpoint } from './checkpoint.js'
import type { NoteVerifier } from './signedNote.js'
import type { AcceptedCheckpoint } from './verifyLogView.js'

/**
 * What `intentgate audit verify` remembers between runs: the signed checkpoint it accepted last.
 * The note itself is kept, not just its size and root, so the state can be re-checked against the
 * log key on every load and shown to a third party as evidence of what the log once claimed.
 */
export const verifierStateSchema = 'intentgate.audit-state/v1'

const stateFileSchema = z.strictObject({
  schema: z.literal(verifierStateSchema),
  origin: z.string().min(1),
  size: z.number().int().nonnegative(),
  root: z.string(),
  note: z.string().min(1),
  acceptedAt: z.iso.datetime(),
})

export type ReadVerifierStateResult = { ok: true; state: AcceptedCheckpoint } | { ok: false; message: string }

/** The text of a state file for `checkpoint`, accepted at `acceptedAt`. */
export function formatVerifierState(checkpoint: AcceptedCheckpoint, acceptedAt: Date): string {
  const document = {
    schema: verifierStateSchema,
    origin: checkpoint.origin,
    size: checkpoint.size,
    root: Buffer.from(checkpoint.root).toString('base64'),
    note: checkpoint.note,
    acceptedAt: acceptedAt.toISOString(),
  }
  return `${JSON.stringify(document, null, 2)}\n`
}

/**
 * Reads a state file back: well formed, its note signed by the log key, and its size and root
 * those of the note. A state that fails is never silently replaced, since a verifier that forgot
 * what it had seen could no longer detect a fork.
 */
export function readVerifierState(
  text: string,
  verifier: NoteVerifier & { origin: string },
): ReadVerifierStateResult {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, message: 'the state file is not JSON' }
  }
  const parsed = stateFileSchema.safeParse(json)
  if (!parsed.success)
    return { ok: false, message: `the state file is malformed: ${z.prettifyError(parsed.error)}` }
  const { origin, size, root, note } = parsed.data
  if (origin !== verifier.origin)
    return { ok: false, message: `the state file is for the log ${origin}, not ${verifier.origin}` }
  const verified = verifyCheckpoint(note, verifier)
  if (!verified.ok)
    return { ok: false, message: `the checkpoint in the state file does not verify: ${verified.message}` }
  const { checkpoint } = verified
  if (checkpoint.size !== size || Buffer.from(checkpoint.root).toString('base64') !== root)
    return { ok: false, message: 'the size or root in the state file is not that of its checkpoint' }
  return { ok: true, state: { ...checkpoint, note } }
}
