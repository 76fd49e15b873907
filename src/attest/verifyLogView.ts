import type { PublicKeyInfo } from '../crypto/ed25519.js'
import type { AuditProblem, AuditProblemKind } from './auditProblem.js'
import { verifyCheckpoint } from './checkpoint.js'
import { type OpenLogEntryResult, openLogEntry } from './logEntry.js'
import type { LogView } from './logFilesView.js'
import { emptyTreeRoot, equalHashes, hashLeaf } from './merkle.js'
import { MerkleTree } from './merkleTree.js'
import type { NoteVerifier } from './signedNote.js'
import { predicateTypes } from './statementSchemas.js'

/** The public keys a verifier needs, and nothing else: the log key and the attestation keys. */
export type LogVerificationKeys = {
  /** The log key under its note name, with the origin its checkpoints must carry. */
  log: NoteVerifier & { origin: string }
  /** Keys whose DSSE signatures make an entry genuine; several while a key is being rotated. */
  attestation: readonly PublicKeyInfo[]
}

/** A checkpoint that verified: what a verifier keeps between runs to detect forks and rollbacks. */
export type AcceptedCheckpoint = { origin: string; size: number; root: Uint8Array; note: string }

export type EntryKindCounts = { decision: number; outcome: number; approval: number; adminAction: number }

export type VerifyLogViewParameters = {
  view: LogView
  keys: LogVerificationKeys
  /** The checkpoint accepted last time, if any: this view must extend the tree it vouched for. */
  state?: AcceptedCheckpoint | undefined
}

export type VerifyLogViewResult =
  | {
      ok: true
      /** Entries in the log. */
      size: number
      /** Checkpoints checked against the tree. */
      checkpoints: number
      latest: AcceptedCheckpoint
      /** Entries past the latest checkpoint: signed statements that no tree head vouches for yet. */
      unsignedEntries: number
      kinds: EntryKindCounts
      /** What to save for the next run: the largest tree accepted so far. */
      state: AcceptedCheckpoint
    }
  | { ok: false; problem: AuditProblem; verifiedEntries: number }

type VerifiedCheckpoint = AcceptedCheckpoint & { number: number }

/**
 * Verifies a whole log view with nothing but public keys: every entry is the canonical JSON of a
 * DSSE envelope that an attestation key signed over an in-toto statement this gateway writes; the
 * tree rebuilt from the entries' leaf hashes has the root of every checkpoint at its size, which
 * also makes every checkpoint consistent with every earlier one; every checkpoint is signed by the
 * log key; and the tree extends the one accepted last time. It stops at the first problem, in
 * index order.
 */
export function verifyLogView(parameters: VerifyLogViewParameters): VerifyLogViewResult {
  const { view, keys, state } = parameters
  const failure = (problem: AuditProblem, verifiedEntries = 0): VerifyLogViewResult => ({
    ok: false,
    problem,
    verifiedEntries,
  })
  if (state && state.origin !== keys.log.origin)
    return failure({
      kind: 'state-mismatch',
      message: `the saved state is for the log ${state.origin}, not ${keys.log.origin}`,
    })
  const checkpoints = verifyCheckpoints(view.notes, keys.log)
  if (!Array.isArray(checkpoints)) return failure(checkpoints)
  const latest = checkpoints.at(-1)
  if (!latest) return failure({ kind: 'no-checkpoint', message: 'the log holds no signed checkpoint' })

  const tree = new MerkleTree()
  const kinds: EntryKindCounts = { decision: 0, outcome: 0, approval: 0, adminAction: 0 }
  let next = 0
  const checkTreeHeads = (): AuditProblem | undefined => {
    for (
      ;
      next < checkpoints.length && (checkpoints[next] as VerifiedCheckpoint).size === tree.size;
      next++
    ) {
      const checkpoint = checkpoints[next] as VerifiedCheckpoint
      if (!equalHashes(checkpoint.root, tree.root()))
        return {
          kind: 'checkpoint-mismatch',
          index: firstUncovered(checkpoints, next),
          checkpoint: checkpoint.number,
          message: `the first ${checkpoint.size} entries do not hash to the root that checkpoint ${checkpoint.number} signed: an entry from index ${firstUncovered(checkpoints, next)} on was changed, removed, added or moved`,
        }
    }
    if (state && state.size === tree.size && !equalHashes(state.root, tree.root()))
      return {
        kind: 'fork',
        message: `the first ${state.size} entries no longer hash to the root accepted before: the log's history was rewritten`,
      }
    return undefined
  }

  const atStart = checkTreeHeads()
  if (atStart) return failure(atStart)
  for (const [index, entry] of view.entries.entries()) {
    const opened = openLogEntry(entry, [...keys.attestation])
    if (!opened.ok) return failure(entryProblem(opened, index), index)
    countKind(kinds, opened.statement.predicateType)
    tree.append(hashLeaf(entry))
    const problem = checkTreeHeads()
    if (problem) return failure(problem, index)
  }
  const uncovered = checkpoints[next]
  if (uncovered) {
    const torn = view.tornTail ? `; the last segment ends in a cut frame (${view.tornTail.kind})` : ''
    return failure(
      {
        kind: 'missing-entries',
        index: tree.size,
        checkpoint: uncovered.number,
        message: `checkpoint ${uncovered.number} covers ${uncovered.size} entries but the log holds ${tree.size}${torn}`,
      },
      tree.size,
    )
  }
  if (state && state.size > tree.size)
    return failure(
      {
        kind: 'rollback',
        index: tree.size,
        message: `the log holds ${tree.size} entries but ${state.size} were accepted before`,
      },
      tree.size,
    )
  return {
    ok: true,
    size: tree.size,
    checkpoints: checkpoints.length,
    latest: withoutNumber(latest),
    unsignedEntries: tree.size - latest.size,
    kinds,
    state: state && state.size > latest.size ? state : withoutNumber(latest),
  }
}

/** Verifies every note as a checkpoint of this log, in file order; sizes may never go down. */
function verifyCheckpoints(
  notes: readonly Uint8Array[],
  verifier: NoteVerifier & { origin: string },
): VerifiedCheckpoint[] | AuditProblem {
  const checkpoints: VerifiedCheckpoint[] = []
  for (const [number, note] of notes.entries()) {
    const result = verifyCheckpoint(note, verifier)
    if (!result.ok)
      return {
        kind: 'bad-checkpoint',
        checkpoint: number,
        message: `checkpoint ${number} does not verify under the log key ${verifier.name} (${result.reason}): ${result.message}`,
      }
    const previous = checkpoints.at(-1)
    if (previous && result.checkpoint.size < previous.size)
      return {
        kind: 'checkpoint-order',
        checkpoint: number,
        message: `checkpoint ${number} has ${result.checkpoint.size} entries, fewer than the ${previous.size} of the one before it`,
      }
    if (result.checkpoint.size === 0 && !equalHashes(result.checkpoint.root, emptyTreeRoot()))
      return {
        kind: 'checkpoint-mismatch',
        checkpoint: number,
        message: `checkpoint ${number} is of the empty tree but does not have its root`,
      }
    checkpoints.push({ ...result.checkpoint, note: Buffer.from(note).toString('utf8'), number })
  }
  return checkpoints
}

/** The first index no earlier checkpoint vouches for: where a mismatch at checkpoint `position` begins. */
function firstUncovered(checkpoints: readonly VerifiedCheckpoint[], position: number): number {
  return position === 0 ? 0 : (checkpoints[position - 1] as VerifiedCheckpoint).size
}

const entryProblemKinds: Record<Exclude<OpenLogEntryResult, { ok: true }>['reason'], AuditProblemKind> = {
  NOT_CANONICAL: 'bad-envelope',
  MALFORMED_ENVELOPE: 'bad-envelope',
  PAYLOAD_TYPE_MISMATCH: 'payload-type',
  NO_VALID_SIGNATURE: 'bad-signature',
  BAD_STATEMENT: 'bad-statement',
}

function entryProblem(opened: Exclude<OpenLogEntryResult, { ok: true }>, index: number): AuditProblem {
  return { kind: entryProblemKinds[opened.reason], index, message: opened.message }
}

function countKind(kinds: EntryKindCounts, predicateType: string): void {
  if (predicateType === predicateTypes.decision) kinds.decision += 1
  else if (predicateType === predicateTypes.outcome) kinds.outcome += 1
  else if (predicateType === predicateTypes.approval) kinds.approval += 1
  else kinds.adminAction += 1
}

function withoutNumber({ number: _number, ...checkpoint }: VerifiedCheckpoint): AcceptedCheckpoint {
  return checkpoint
}
