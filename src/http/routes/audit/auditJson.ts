import type { SignedCheckpoint } from '../../../attest/checkpoint.js'
import type { Hash } from '../../../attest/merkle.js'

/**
 * How the auditor API writes tree data: hashes in standard base64, as C2SP checkpoints spell the
 * root, so a root from a proof compares with the note's root as text.
 */
export function base64Hash(hash: Hash): string {
  return Buffer.from(hash).toString('base64')
}

export function checkpointJson(checkpoint: SignedCheckpoint) {
  return {
    origin: checkpoint.origin,
    size: checkpoint.size,
    root: base64Hash(checkpoint.root),
    note: checkpoint.note,
  }
}
