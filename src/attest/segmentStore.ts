import { type FileHandle, open, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from './crc32.js'
import { encodeFrame, type FrameDefect, frameHeaderBytes, scanFrames } from './entryFrame.js'
import { LogCorruptionError } from './logCorruptionError.js'
import { type SyncCounter, syncData, syncDirectory, truncateDurably, writeAll } from './logFiles.js'

/**
 * The entries of the log, in segment files `<dir>/<index of first entry, 16 digits>.seg`, each a
 * run of frames (see entryFrame.ts). Only the last segment is ever written; a new one starts when
 * the next frame would take the current one past `segmentBytes`. Naming a segment by its first
 * index means a missing segment shows up as a gap, not as a silently shorter log.
 */

export type SegmentStoreOptions = {
  /** The directory that holds the segment files, created by the caller. */
  dir: string
  segmentBytes: number
  maxEntryBytes: number
  counter: SyncCounter
}

/** A torn append found at the end of the last segment: what `truncateTornTail` will cut. */
export type TornTail = { file: string; offset: number; droppedBytes: number; kind: FrameDefect['kind'] }

type Segment = {
  firstIndex: number
  path: string
  /** Byte offset of each entry's frame. */
  offsets: number[]
  /** Bytes of whole frames, which is where the next frame goes. */
  bytes: number
}

const segmentName = /^(\d{16})\.seg$/

/**
 * Scans every segment, calling `onEntry` for each entry in index order, and returns the store
 * with any torn tail still in place: the caller checks what it knows (the last signed checkpoint)
 * before anything is cut. Damage a crash cannot explain throws LogCorruptionError.
 */
export async function openSegmentStore(
  options: SegmentStoreOptions,
  onEntry: (index: number, entry: Uint8Array) => void,
): Promise<{ store: SegmentStore; tornTail: TornTail | undefined }> {
  const names = await segmentNames(options.dir)
  const segments: Segment[] = []
  let tornTail: TornTail | undefined
  let count = 0
  for (const [position, name] of names.entries()) {
    const path = join(options.dir, name)
    const firstIndex = Number(segmentName.exec(name)?.[1])
    if (firstIndex !== count)
      throw new LogCorruptionError(
        'missing-entries',
        `segment ${name} starts at entry ${firstIndex}, but the segments before it end at entry ${count}`,
        { index: count, file: path },
      )
    const isLast = position === names.length - 1
    const bytes = new Uint8Array(await readFile(path))
    const offsets: number[] = []
    const scan = scanFrames(bytes, options.maxEntryBytes, (entry, offset) => {
      offsets.push(offset)
      onEntry(count, entry)
      count += 1
    })
    if (scan.defect) {
      if (!isLast || !scan.defect.torn)
        throw new LogCorruptionError(
          'bad-frame',
          `entry ${count} in ${name} at byte ${scan.defect.offset} is damaged (${scan.defect.kind})` +
            (isLast ? ', and not as an append cut short by a crash would be' : ', and later segments exist'),
          { index: count, file: path, offset: scan.defect.offset },
        )
      tornTail = {
        file: path,
        offset: scan.validEnd,
        droppedBytes: bytes.length - scan.validEnd,
        kind: scan.defect.kind,
      }
    }
    // Only the newest segment can be empty: one is created just before its first write.
    if (offsets.length === 0 && !isLast)
      throw new LogCorruptionError('bad-frame', `segment ${name} is empty but is not the last`, {
        file: path,
      })
    segments.push({ firstIndex, path, offsets, bytes: scan.validEnd })
  }
  return { store: new SegmentStore(options, segments, tornTail), tornTail }
}

/** Reads, appends and recovers the segment files. Appends must not overlap: the log serializes them. */
export class SegmentStore {
  readonly #options: SegmentStoreOptions
  readonly #segments: Segment[]
  #tornTail: TornTail | undefined
  #active: FileHandle | undefined

  constructor(options: SegmentStoreOptions, segments: Segment[], tornTail: TornTail | undefined) {
    this.#options = options
    this.#segments = segments
    this.#tornTail = tornTail
  }

  /** Number of whole entries. */
  get size(): number {
    const last = this.#segments.at(-1)
    return last ? last.firstIndex + last.offsets.length : 0
  }

  /** Cuts the torn tail found on open, durably, before anything new is appended after it. */
  async truncateTornTail(): Promise<void> {
    const torn = this.#tornTail
    if (!torn) return
    await truncateDurably(torn.file, torn.offset, this.#options.counter)
    this.#tornTail = undefined
  }

  /**
   * Appends the entries in order and resolves once they are on disk: one write and one fdatasync
   * per segment touched, which is one of each unless the batch crosses into a new segment.
   */
  async append(entries: readonly Uint8Array[]): Promise<void> {
    if (this.#tornTail) throw new Error('the torn tail must be truncated before appending')
    let pending: Uint8Array[] = []
    let pendingBytes = 0
    let target = await this.#writableSegment()
    for (const entry of entries) {
      const frame = encodeFrame(entry)
      const used = target.bytes + pendingBytes
      if (used > 0 && used + frame.length > this.#options.segmentBytes) {
        await this.#commit(target, pending)
        target = await this.#roll()
        pending = []
        pendingBytes = 0
      }
      pending.push(frame)
      pendingBytes += frame.length
    }
    await this.#commit(target, pending)
  }

  /** Reads entry `index` back, re-checking its frame: a file changed since it was written is an error. */
  async read(index: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size)
      throw new RangeError(`entry ${index} is outside the log of ${this.size} entries`)
    const segment = this.#segmentOf(index)
    const position = index - segment.firstIndex
    const offset = segment.offsets[position] as number
    const end = segment.offsets[position + 1] ?? segment.bytes
    const frame = new Uint8Array(end - offset)
    const handle = await open(segment.path, 'r')
    try {
      const { bytesRead } = await handle.read(frame, 0, frame.length, offset)
      const entry = bytesRead === frame.length ? checkedEntry(frame) : undefined
      if (!entry) throw changedOnDisk(index, segment.path, offset)
      return entry
    } finally {
      await handle.close()
    }
  }

  /**
   * Reads entries `start` to `end` (exclusive) with one read per segment touched, re-checking each
   * frame as `read` does: for scanning the log in bulk, as the audit index does.
   */
  async readRange(start: number, end: number): Promise<Uint8Array[]> {
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 0 ||
      start > end ||
      end > this.size
    )
      throw new RangeError(`entries ${start} to ${end} are outside the log of ${this.size} entries`)
    const entries: Uint8Array[] = []
    while (start + entries.length < end) {
      const index = start + entries.length
      const segment = this.#segmentOf(index)
      const first = index - segment.firstIndex
      const last = Math.min(end - segment.firstIndex, segment.offsets.length)
      const from = segment.offsets[first] as number
      const to = segment.offsets[last] ?? segment.bytes
      const bytes = new Uint8Array(to - from)
      const handle = await open(segment.path, 'r')
      try {
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, from)
        if (bytesRead !== bytes.length) throw changedOnDisk(index, segment.path, from)
      } finally {
        await handle.close()
      }
      for (let position = first; position < last; position++) {
        const offset = (segment.offsets[position] as number) - from
        const frameEnd = (segment.offsets[position + 1] ?? segment.bytes) - from
        const entry = checkedEntry(bytes.subarray(offset, frameEnd))
        if (!entry) throw changedOnDisk(segment.firstIndex + position, segment.path, offset + from)
        entries.push(entry)
      }
    }
    return entries
  }

  async close(): Promise<void> {
    const active = this.#active
    this.#active = undefined
    await active?.close()
  }

  async #commit(segment: Segment, frames: Uint8Array[]): Promise<void> {
    if (frames.length === 0) return
    const handle = await this.#handleFor(segment)
    await writeAll(handle, concat(frames))
    await syncData(handle, this.#options.counter)
    // Offsets become visible only once the frames are durable, so a reader never sees an entry
    // that a crash could still take away.
    let offset = segment.bytes
    for (const frame of frames) {
      segment.offsets.push(offset)
      offset += frame.length
    }
    segment.bytes = offset
  }

  async #writableSegment(): Promise<Segment> {
    return this.#segments.at(-1) ?? (await this.#roll())
  }

  /** Starts the next segment: the file is created and its name made durable before any frame goes in. */
  async #roll(): Promise<Segment> {
    await this.close()
    const firstIndex = this.size
    const path = join(this.#options.dir, `${String(firstIndex).padStart(16, '0')}.seg`)
    this.#active = await open(path, 'ax')
    await syncDirectory(this.#options.dir, this.#options.counter)
    const segment: Segment = { firstIndex, path, offsets: [], bytes: 0 }
    this.#segments.push(segment)
    return segment
  }

  async #handleFor(segment: Segment): Promise<FileHandle> {
    if (!this.#active) this.#active = await open(segment.path, 'a')
    return this.#active
  }

  #segmentOf(index: number): Segment {
    let low = 0
    let high = this.#segments.length - 1
    while (low < high) {
      const middle = Math.ceil((low + high) / 2)
      if ((this.#segments[middle] as Segment).firstIndex <= index) low = middle
      else high = middle - 1
    }
    return this.#segments[low] as Segment
  }
}

async function segmentNames(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort()
  const stray = names.find((name) => !segmentName.test(name))
  if (stray)
    throw new LogCorruptionError('unexpected-file', `${stray} in ${dir} is not a segment this log wrote`, {
      file: join(dir, stray),
    })
  return names
}

/** The entry of one whole frame, or undefined when its length or checksum no longer match. */
function checkedEntry(frame: Uint8Array): Uint8Array | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const entry = frame.subarray(frameHeaderBytes)
  if (view.getUint32(0) !== entry.length || view.getUint32(4) !== crc32(entry)) return undefined
  return entry
}

function changedOnDisk(index: number, file: string, offset: number): LogCorruptionError {
  return new LogCorruptionError('entry-changed', `entry ${index} changed on disk after it was written`, {
    index,
    file,
    offset,
  })
}

function concat(frames: Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0] as Uint8Array
  return Buffer.concat(frames)
}
