import type { SignedCheckpoint } from '../attest/checkpoint.js'
import { LogCorruptionError } from '../attest/logCorruptionError.js'
import { logEntryDigest } from '../attest/logEntry.js'
import type { Hash } from '../attest/merkle.js'
import { parseVerifierKey } from '../attest/signedNote.js'
import type { TransparencyLog } from '../attest/transparencyLog.js'
import { formatPublicKey, type PublicKeyInfo } from '../crypto/ed25519.js'
import { createAuditIndex, type EntryFilter, type EntryPage, type RequestLookup } from './auditIndex.js'
import { type DecodedEntry, decodeEntry, type EntrySummary } from './entrySummary.js'

/** One entry as the auditor API serves it: decoded, with its leaf hash and the digest outcomes cite. */
export type AuditEntry = DecodedEntry & { index: number; leafHash: Hash; entryDigest: string }

/** The public keys an auditor needs to verify this log offline. */
export type AuditKeys = {
  log: { origin: string; verifierKey: string; publicKey: string }
  attestation: { keyid: string; publicKey: string }[]
}

/**
 * What the auditor routes read: the log's entries, proofs and checkpoints, and an index of the
 * entries kept in step with the log. Read-only, except that asking for a covering checkpoint may
 * sign one when the entries have outgrown the latest (as a log does after every commit anyway).
 */
export type AuditReader = {
  size(): number
  /** A checkpoint that covers every durable entry. */
  coveringCheckpoint(): Promise<SignedCheckpoint>
  entry(index: number): Promise<AuditEntry>
  /** The exact bytes logged at `index`: what the leaf hash covers, for verifiers that trust nothing decoded. */
  entryBytes(index: number): Promise<Uint8Array>
  query(filter: EntryFilter, page: { cursor?: number; limit: number }): Promise<EntryPage>
  lookup(key: RequestLookup): Promise<EntrySummary[]>
  inclusionProof(index: number, size: number): Hash[]
  consistencyProof(first: number, second: number): Hash[]
  rootAt(size: number): Hash
  keys(): AuditKeys
}

export type CreateAuditReaderParameters = {
  log: Pick<
    TransparencyLog,
    | 'origin'
    | 'size'
    | 'root'
    | 'entry'
    | 'entries'
    | 'leafHash'
    | 'inclusionProof'
    | 'consistencyProof'
    | 'checkpoint'
    | 'verifierKey'
  >
  /** The public attestation keys whose signatures the entries carry. */
  attestationKeys: readonly PublicKeyInfo[]
}

/** Entries read from disk per step while the index catches up with the log. */
const catchUpBatch = 1000

/** Builds the reader; the index is filled on first use and topped up before every query. */
export function createAuditReader(parameters: CreateAuditReaderParameters): AuditReader {
  const { log } = parameters
  const index = createAuditIndex()
  let catchingUp: Promise<void> | undefined

  async function catchUp(): Promise<void> {
    while (index.size < log.size()) {
      const start = index.size
      const end = Math.min(log.size(), start + catchUpBatch)
      const entries = await log.entries(start, end)
      for (const [offset, bytes] of entries.entries()) index.add(decoded(start + offset, bytes).summary)
    }
  }

  // One catch-up at a time: concurrent queries wait for the same one rather than race to add.
  function current(): Promise<void> {
    catchingUp ??= catchUp().finally(() => {
      catchingUp = undefined
    })
    return catchingUp
  }

  const logKey = parseVerifierKey(log.verifierKey())
  // Only the public text is kept: a signing key passed in by mistake never reaches an answer.
  const attestation = parameters.attestationKeys.map((key) => ({
    keyid: key.keyid,
    publicKey: formatPublicKey(key),
  }))
  return {
    size: () => log.size(),
    coveringCheckpoint: () => log.checkpoint(),
    async entry(at) {
      const bytes = await log.entry(at)
      return {
        ...decoded(at, bytes),
        index: at,
        leafHash: log.leafHash(at),
        entryDigest: logEntryDigest(bytes),
      }
    },
    entryBytes: (at) => log.entry(at),
    async query(filter, page) {
      await current()
      return index.query(filter, page)
    },
    async lookup(key) {
      await current()
      return index.lookup(key)
    },
    inclusionProof: (at, size) => log.inclusionProof(at, size),
    consistencyProof: (first, second) => log.consistencyProof(first, second),
    rootAt: (size) => log.root(size),
    keys: () => ({
      log: {
        origin: log.origin,
        verifierKey: log.verifierKey(),
        publicKey: formatPublicKey(logKey.publicKey),
      },
      attestation: attestation.map((key) => ({ ...key })),
    }),
  }
}

/** The gateway's own log holds only entries it wrote; one it cannot read is damage, not input. */
function decoded(at: number, bytes: Uint8Array): DecodedEntry {
  const result = decodeEntry(at, bytes)
  if (!result.ok) throw new LogCorruptionError('entry-changed', result.message, { index: at })
  return result.entry
}
