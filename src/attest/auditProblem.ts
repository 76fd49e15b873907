/**
 * What an offline verifier can find wrong with a log, as stable words a script can act on. The
 * verifier stops at the first problem, in index order, so `index` is the lowest entry it concerns.
 */
export type AuditProblemKind =
  /** A `.seg` file whose name this log never writes, or segments that leave a gap. */
  | 'bad-segment'
  /** An entry's frame (length and CRC-32) is damaged: a changed byte, a cut, or garbage. */
  | 'bad-frame'
  /** The entry is not the canonical JSON of a DSSE envelope. */
  | 'bad-envelope'
  /** The envelope's payloadType is not the in-toto statement type. */
  | 'payload-type'
  /** No trusted attestation key signed the envelope. */
  | 'bad-signature'
  /** The signed payload is not a statement of a kind this gateway writes. */
  | 'bad-statement'
  /** The checkpoint file's frames are damaged. */
  | 'bad-checkpoint-frame'
  /** A checkpoint is malformed, from another origin, or not signed by the log key. */
  | 'bad-checkpoint'
  /** A checkpoint's tree is smaller than the one before it. */
  | 'checkpoint-order'
  /** A checkpoint covers entries the log does not hold. */
  | 'missing-entries'
  /** The entries do not hash to a checkpoint's root: one was changed, removed, added or moved. */
  | 'checkpoint-mismatch'
  /** No checkpoint at all: nothing the log key signed vouches for the entries. */
  | 'no-checkpoint'
  /** The tree the verifier accepted before no longer has the root it had: history was rewritten. */
  | 'fork'
  /** The log is smaller than the tree the verifier accepted before: entries were taken away. */
  | 'rollback'
  /** The saved state is for another log. */
  | 'state-mismatch'

export type AuditProblem = {
  kind: AuditProblemKind
  /** The first entry the problem concerns, when it concerns one. */
  index?: number
  /** Which checkpoint, counting from 0 in the order they were written, when one is involved. */
  checkpoint?: number
  message: string
}

/** One line for people: `bad-frame at index 41: …`. */
export function formatAuditProblem(problem: AuditProblem): string {
  const where =
    problem.index !== undefined
      ? ` at index ${problem.index}`
      : problem.checkpoint !== undefined
        ? ` at checkpoint ${problem.checkpoint}`
        : ''
  return `${problem.kind}${where}: ${problem.message}`
}
