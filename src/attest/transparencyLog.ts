import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { IntentGateError } from '../errors/index.js'
import { type SignedCheckpoint, signCheckpoint } from './checkpoint.js'
import { type CheckpointStore, openCheckpointStore } from './checkpointStore.js'
import { createGroupCommitter, type GroupCommitter } from './groupCommit.js'
import { LogCorruptionError } from './logCorruptionError.js'
import { type SyncCounter, syncDirectory } from './logFiles.js'
import { equalHashes, type Hash, hashLeaf } from './merkle.js'
import { MerkleTree } from './merkleTree.js'
import { openSegmentStore, type SegmentStore, type TornTail } from './segmentStore.js'
import { formatVerifierKey, type NoteSigner } from './signedNote.js'

/**
 * The gateway's append-only transparency log.
 *
 * Layout of `dir`:
 *   segments/<16-digit index of first entry>.seg   frames of entries (see segmentStore.ts)
 *   checkpoints/checkpoints.log                     every signed checkpoint, oldest first
 *
 * Each entry is a leaf of an RFC 9162 Merkle tree (leaf hash = SHA-256(0x00 || entry bytes)),
 * rebuilt in memory on open. `append` resolves only once the entry is on disk; concurrent
 * appends share one write and one fdatasync (group commit). After a commit, a C2SP checkpoint of
 * the new tree is signed and appended to the checkpoint file, so what is on disk is always
 * covered by, or about to be covered by, a signed tree head.
 */
export type TransparencyLog = {
  readonly origin: string
  /** Appends one entry; resolves with its index and leaf hash once the entry is durable. */
  append(entry: Uint8Array): Promise<AppendResult>
  /** Number of durable entries. */
  size(): number
  /** The tree root at `size` (the current size by default). */
  root(size?: number): Hash
  leafHash(index: number): Hash
  /** The bytes of entry `index`, read back from disk and re-checked. */
  entry(index: number): Promise<Uint8Array>
  /** The bytes of entries `start` to `end` (exclusive), read back in bulk and re-checked. */
  entries(start: number, end: number): Promise<Uint8Array[]>
  /** Inclusion proof of entry `index` in the tree of `size` entries (the current size by default). */
  inclusionProof(index: number, size?: number): Hash[]
  /** Consistency proof from the tree of `first` entries to that of `second` (the current size by default). */
  consistencyProof(first: number, second?: number): Hash[]
  /** The newest signed checkpoint. */
  latestCheckpoint(): SignedCheckpoint
  /** When the newest checkpoint was signed, or adopted at open (ms since the epoch). */
  latestCheckpointAt(): number
  /** A checkpoint covering every durable entry, signing a new one if the latest does not. */
  checkpoint(): Promise<SignedCheckpoint>
  /** The verifier key of the log key, in the C2SP text form, for publishing. */
  verifierKey(): string
  stats(): TransparencyLogStats
  /** Commits what is queued, signs a last checkpoint, and closes the files; later appends fail. */
  close(): Promise<void>
}

export type AppendResult = { index: number; leafHash: Hash }

export type TransparencyLogStats = {
  /** Entries appended by this process. */
  appended: number
  /** Group commits: one per batch written. */
  commits: number
  /** fsync and fdatasync calls on segment files, the checkpoint file and directories. */
  syncs: number
  /** Checkpoints signed by this process. */
  checkpoints: number
}

/** Where the log reports repairs and failures; a pino logger fits. */
export type LogReporter = {
  warn(detail: object, message: string): void
  error(detail: object, message: string): void
}

export type TransparencyLogOptions = {
  dir: string
  /** The log's identity in its checkpoints, such as `intentgate.example/gw-1`. */
  origin: string
  /** The log key and its note key name (recommended: the origin). */
  signingKey: NoteSigner
  /**
   * Pacing of checkpoints: one is signed after a commit once `entries` entries or `ms`
   * milliseconds have gone by since the last; otherwise a timer signs one when `ms` is up.
   * By default every commit gets its own checkpoint.
   */
  checkpointEvery?: { entries: number; ms: number }
  /** A segment is closed and a new one started past this size. Default 64 MiB. */
  segmentBytes?: number
  /** Larger entries are refused. Default 1 MiB; an attestation is a few KiB. */
  maxEntryBytes?: number
  logger?: LogReporter
  /** Milliseconds, for checkpoint pacing. */
  now?: () => number
}

const mebibyte = 1024 * 1024
/** One write holds at most this much, so a burst becomes several batches rather than one huge write. */
const maxBatchBytes = 8 * mebibyte

/**
 * Opens (creating if needed) the log in `options.dir`, recovering from a crash: a torn append at
 * the very end is cut off with a warning; any other damage, a checkpoint the log key did not sign,
 * or entries that no longer match the latest checkpoint throw LogCorruptionError.
 */
export async function openTransparencyLog(options: TransparencyLogOptions): Promise<TransparencyLog> {
  const settings = resolveSettings(options)
  const counter: SyncCounter = { syncs: 0 }
  const segmentsDir = join(options.dir, 'segments')
  const checkpointsDir = join(options.dir, 'checkpoints')
  await mkdir(segmentsDir, { recursive: true })
  await mkdir(checkpointsDir, { recursive: true })
  await syncDirectory(options.dir, counter)
  const verifier = {
    name: options.signingKey.name,
    publicKey: options.signingKey.key,
    origin: options.origin,
  }
  const checkpoints = await openCheckpointStore({ dir: checkpointsDir, verifier, counter })
  const tree = new MerkleTree()
  const segments = await openSegmentStore(
    { dir: segmentsDir, segmentBytes: settings.segmentBytes, maxEntryBytes: settings.maxEntryBytes, counter },
    (_, entry) => tree.append(hashLeaf(entry)),
  )
  if (checkpoints.latest) assertCovers(checkpoints.latest, tree, segments.tornTail)
  await repair(segments.store, segments.tornTail, 'entry', settings.logger)
  await repair(checkpoints.store, checkpoints.tornTail, 'checkpoint', settings.logger)
  const log = new FileTransparencyLog(options, settings, {
    tree,
    segments: segments.store,
    checkpoints: checkpoints.store,
    counter,
  })
  await log.start(checkpoints.latest)
  return log
}

type Settings = {
  segmentBytes: number
  maxEntryBytes: number
  checkpointEvery: { entries: number; ms: number }
  logger: LogReporter
  now: () => number
}

function resolveSettings(options: TransparencyLogOptions): Settings {
  const segmentBytes = options.segmentBytes ?? 64 * mebibyte
  const maxEntryBytes = options.maxEntryBytes ?? mebibyte
  const checkpointEvery = options.checkpointEvery ?? { entries: 1, ms: 0 }
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1)
    throw new RangeError('segmentBytes must be positive')
  if (!Number.isSafeInteger(maxEntryBytes) || maxEntryBytes < 1 || maxEntryBytes > 0xffffffff)
    throw new RangeError('maxEntryBytes must be a positive 32-bit size')
  if (!Number.isSafeInteger(checkpointEvery.entries) || checkpointEvery.entries < 1)
    throw new RangeError('checkpointEvery.entries must be at least 1')
  if (!Number.isSafeInteger(checkpointEvery.ms) || checkpointEvery.ms < 0)
    throw new RangeError('checkpointEvery.ms must be at least 0')
  return {
    segmentBytes,
    maxEntryBytes,
    checkpointEvery,
    logger: options.logger ?? stderrReporter,
    now: options.now ?? Date.now,
  }
}

/** Entries a signed checkpoint covers can never be given up, whatever a scan of the tail says. */
function assertCovers(latest: SignedCheckpoint, tree: MerkleTree, tornTail: TornTail | undefined): void {
  if (latest.size > tree.size) {
    const damage = tornTail
      ? `entry ${tree.size} is damaged (${tornTail.kind}) in ${tornTail.file}, and `
      : ''
    throw new LogCorruptionError(
      'missing-entries',
      `${damage}the log holds ${tree.size} whole entries but its latest checkpoint covers ${latest.size}`,
      { index: tree.size, ...(tornTail ? { file: tornTail.file, offset: tornTail.offset } : {}) },
    )
  }
  if (!equalHashes(tree.root(latest.size), latest.root))
    throw new LogCorruptionError(
      'checkpoint-mismatch',
      `the first ${latest.size} entries do not have the root of the latest checkpoint: an entry was changed`,
    )
}

async function repair(
  store: { truncateTornTail(): Promise<void> },
  tornTail: TornTail | undefined,
  what: string,
  logger: LogReporter,
): Promise<void> {
  if (!tornTail) return
  logger.warn(
    {
      file: tornTail.file,
      offset: tornTail.offset,
      droppedBytes: tornTail.droppedBytes,
      kind: tornTail.kind,
    },
    `truncating a torn ${what} append at the end of the log: it was never committed`,
  )
  await store.truncateTornTail()
}

const stderrReporter: LogReporter = {
  warn: (detail, message) =>
    process.stderr.write(`${JSON.stringify({ level: 'warn', message, ...detail })}\n`),
  error: (detail, message) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', message, ...detail })}\n`),
}

type Parts = { tree: MerkleTree; segments: SegmentStore; checkpoints: CheckpointStore; counter: SyncCounter }

class FileTransparencyLog implements TransparencyLog {
  readonly origin: string
  readonly #signer: NoteSigner
  readonly #settings: Settings
  readonly #parts: Parts
  readonly #committer: GroupCommitter<Uint8Array, AppendResult>
  readonly #stats = { appended: 0, commits: 0, checkpoints: 0 }
  #latest: SignedCheckpoint | undefined
  #lastCheckpointAt = 0
  #timer: NodeJS.Timeout | undefined
  #failure: unknown
  #closed = false
  /** Every write to the files goes through this chain, one at a time. */
  #writes: Promise<unknown> = Promise.resolve()

  constructor(options: TransparencyLogOptions, settings: Settings, parts: Parts) {
    this.origin = options.origin
    this.#signer = options.signingKey
    this.#settings = settings
    this.#parts = parts
    this.#committer = createGroupCommitter((entries) => this.#exclusive(() => this.#commit(entries)), {
      maxBatchBytes,
      sizeOf: (entry) => entry.length,
    })
  }

  /** Adopts the latest checkpoint on disk, or signs one if the entries have outgrown it. */
  async start(latest: SignedCheckpoint | undefined): Promise<void> {
    this.#latest = latest
    this.#lastCheckpointAt = this.#settings.now()
    if (!latest || latest.size < this.#parts.tree.size) await this.#exclusive(() => this.#signCheckpoint())
  }

  append(entry: Uint8Array): Promise<AppendResult> {
    if (!(entry instanceof Uint8Array) || entry.length === 0 || entry.length > this.#settings.maxEntryBytes)
      return Promise.reject(
        new RangeError(`a log entry must be between 1 and ${this.#settings.maxEntryBytes} bytes`),
      )
    if (this.#closed) return Promise.reject(unavailable(new Error('the transparency log is closed')))
    if (this.#failure !== undefined) return Promise.reject(unavailable(this.#failure))
    // A copy, so a caller reusing its buffer cannot change what gets written.
    return this.#committer.submit(entry.slice())
  }

  size(): number {
    return this.#parts.tree.size
  }

  root(size?: number): Hash {
    return this.#parts.tree.root(size)
  }

  leafHash(index: number): Hash {
    return this.#parts.tree.leafHash(index)
  }

  entry(index: number): Promise<Uint8Array> {
    return this.#parts.segments.read(index)
  }

  entries(start: number, end: number): Promise<Uint8Array[]> {
    return this.#parts.segments.readRange(start, end)
  }

  inclusionProof(index: number, size?: number): Hash[] {
    return this.#parts.tree.inclusionProof(index, size)
  }

  consistencyProof(first: number, second?: number): Hash[] {
    return this.#parts.tree.consistencyProof(first, second)
  }

  latestCheckpoint(): SignedCheckpoint {
    if (!this.#latest) throw new Error('the log has not started')
    return this.#latest
  }

  latestCheckpointAt(): number {
    return this.#lastCheckpointAt
  }

  checkpoint(): Promise<SignedCheckpoint> {
    return this.#exclusive(async () => {
      if (this.#failure !== undefined) throw unavailable(this.#failure)
      if (this.#latest && this.#latest.size === this.#parts.tree.size) return this.#latest
      return this.#signCheckpoint()
    })
  }

  verifierKey(): string {
    return formatVerifierKey({ name: this.#signer.name, publicKey: this.#signer.key })
  }

  stats(): TransparencyLogStats {
    return { ...this.#stats, syncs: this.#parts.counter.syncs }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#committer.drain()
    try {
      // Behind any checkpoint the last commit queued, which may have armed the timer.
      await this.#exclusive(async () => {
        clearTimeout(this.#timer)
        this.#timer = undefined
        const covered = this.#latest?.size ?? 0
        if (this.#failure === undefined && this.#parts.tree.size > covered) await this.#signCheckpoint()
      })
    } finally {
      await this.#parts.segments.close()
      await this.#parts.checkpoints.close()
    }
  }

  async #commit(entries: Uint8Array[]): Promise<AppendResult[]> {
    if (this.#failure !== undefined) throw unavailable(this.#failure)
    const leafHashes = entries.map(hashLeaf)
    try {
      await this.#parts.segments.append(entries)
    } catch (error) {
      // A failed write or fsync leaves the file's tail unknown: stop here, and let a restart
      // recover from what is really on disk.
      this.#fail(error, 'writing log entries failed; the log refuses further appends')
      throw unavailable(error)
    }
    const results = leafHashes.map((leafHash) => ({ index: this.#parts.tree.append(leafHash), leafHash }))
    this.#stats.appended += entries.length
    this.#stats.commits += 1
    // Queued behind this commit, ahead of the next: callers are answered now, not after the signing.
    void this.#exclusive(() => this.#checkpointIfDue()).catch(() => undefined)
    return results
  }

  async #checkpointIfDue(): Promise<void> {
    if (this.#failure !== undefined || !this.#latest) return
    const pending = this.#parts.tree.size - this.#latest.size
    if (pending === 0) return
    const { entries, ms } = this.#settings.checkpointEvery
    const elapsed = this.#settings.now() - this.#lastCheckpointAt
    if (pending >= entries || elapsed >= ms) {
      await this.#signCheckpoint()
      return
    }
    if (this.#timer || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#exclusive(() => this.#checkpointIfDue()).catch(() => undefined)
    }, ms - elapsed)
    // A pending checkpoint must not keep the process alive; close() signs the last one.
    this.#timer.unref()
  }

  async #signCheckpoint(): Promise<SignedCheckpoint> {
    const size = this.#parts.tree.size
    const root = this.#parts.tree.root(size)
    const note = signCheckpoint({ origin: this.origin, size, root }, this.#signer)
    try {
      await this.#parts.checkpoints.append(note)
    } catch (error) {
      this.#fail(error, 'writing a checkpoint failed; the log refuses further appends')
      throw unavailable(error)
    }
    const checkpoint = { origin: this.origin, size, root, note }
    this.#latest = checkpoint
    this.#lastCheckpointAt = this.#settings.now()
    this.#stats.checkpoints += 1
    return checkpoint
  }

  #fail(error: unknown, message: string): void {
    this.#failure ??= error
    this.#settings.logger.error({ err: error }, message)
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#writes.then(task)
    this.#writes = result.catch(() => undefined)
    return result
  }
}

function unavailable(cause: unknown): IntentGateError {
  return new IntentGateError('DEPENDENCY_UNAVAILABLE', 'The attestation log is unavailable', { cause })
}
