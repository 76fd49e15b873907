import { type FileHandle, open } from 'node:fs/promises'
import { join } from 'node:path'
import { type SignedCheckpoint, verifyCheckpoint } from './checkpoint.js'
import { encodeFrame, scanFrames } from './entryFrame.js'
import { LogCorruptionError } from './logCorruptionError.js'
import {
  readIfExists,
  type SyncCounter,
  syncData,
  syncDirectory,
  truncateDurably,
  writeAll,
} from './logFiles.js'
import type { TornTail } from './segmentStore.js'
import type { NoteVerifier } from './signedNote.js'

/**
 * Every checkpoint the log signs, oldest first, in `<dir>/checkpoints.log`, framed like log
 * entries (length, CRC-32, note bytes). Nothing is ever rewritten, so a verifier can check each
 * checkpoint against the entries and each against the one before it for consistency.
 */
export const checkpointFileName = 'checkpoints.log'

/** A checkpoint is a few lines; anything near this is not one this log wrote. */
const maxNoteBytes = 64 * 1024

export type CheckpointStoreOptions = {
  /** The directory that holds the checkpoint file, created by the caller. */
  dir: string
  /** The log's own key and origin: the latest checkpoint must verify under them. */
  verifier: NoteVerifier & { origin: string }
  counter: SyncCounter
}

/**
 * Reads the checkpoint file and returns the latest checkpoint, verified. A torn last frame is
 * returned for the caller to cut (a checkpoint whose write never finished was never handed out);
 * any other damage, or a latest checkpoint that does not verify, throws LogCorruptionError.
 */
export async function openCheckpointStore(options: CheckpointStoreOptions): Promise<{
  store: CheckpointStore
  latest: SignedCheckpoint | undefined
  tornTail: TornTail | undefined
}> {
  const path = join(options.dir, checkpointFileName)
  const bytes = await readIfExists(path)
  if (!bytes) {
    // Created here so its name is durable before the first checkpoint is appended to it.
    await (await open(path, 'ax')).close()
    await syncDirectory(options.dir, options.counter)
    return {
      store: new CheckpointStore(path, options.counter, undefined),
      latest: undefined,
      tornTail: undefined,
    }
  }
  let last: Uint8Array | undefined
  let count = 0
  const scan = scanFrames(bytes, maxNoteBytes, (note) => {
    last = note
    count += 1
  })
  if (scan.defect && !scan.defect.torn)
    throw new LogCorruptionError(
      'checkpoint-invalid',
      `checkpoint ${count} in ${path} at byte ${scan.defect.offset} is damaged (${scan.defect.kind})`,
      { file: path, offset: scan.defect.offset },
    )
  const tornTail = scan.defect
    ? {
        file: path,
        offset: scan.validEnd,
        droppedBytes: bytes.length - scan.validEnd,
        kind: scan.defect.kind,
      }
    : undefined
  const latest = last ? verifiedCheckpoint(last, options.verifier, path) : undefined
  return { store: new CheckpointStore(path, options.counter, tornTail), latest, tornTail }
}

function verifiedCheckpoint(
  bytes: Uint8Array,
  verifier: NoteVerifier & { origin: string },
  path: string,
): SignedCheckpoint {
  const result = verifyCheckpoint(bytes, verifier)
  if (!result.ok)
    throw new LogCorruptionError(
      'checkpoint-invalid',
      `the latest checkpoint in ${path} does not verify under the log key ${verifier.name}: ${result.message}`,
      { file: path },
    )
  return { ...result.checkpoint, note: Buffer.from(bytes).toString('utf8') }
}

/** Appends signed checkpoints durably. Appends must not overlap: the log serializes them. */
export class CheckpointStore {
  readonly #path: string
  readonly #counter: SyncCounter
  #tornTail: TornTail | undefined
  #handle: FileHandle | undefined

  constructor(path: string, counter: SyncCounter, tornTail: TornTail | undefined) {
    this.#path = path
    this.#counter = counter
    this.#tornTail = tornTail
  }

  async truncateTornTail(): Promise<void> {
    const torn = this.#tornTail
    if (!torn) return
    await truncateDurably(torn.file, torn.offset, this.#counter)
    this.#tornTail = undefined
  }

  /** Appends one signed note and resolves once it is on disk. */
  async append(note: string): Promise<void> {
    if (this.#tornTail) throw new Error('the torn tail must be truncated before appending')
    this.#handle ??= await open(this.#path, 'a')
    await writeAll(this.#handle, encodeFrame(Buffer.from(note, 'utf8')))
    await syncData(this.#handle, this.#counter)
  }

  async close(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close()
  }
}
