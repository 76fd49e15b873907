import { crc32 } from './crc32.js'

/**
 * How one entry sits in a log file:
 *
 *   [u32 big-endian length][u32 big-endian CRC-32 of the entry][entry bytes]
 *
 * Entries are never empty, so a run of zeros (what some file systems leave after a crash
 * extended a file without writing it) is never mistaken for an entry.
 */
export const frameHeaderBytes = 8

/** A defect found while scanning, and whether a crash in the middle of an append could explain it. */
export type FrameDefect = {
  /** Byte offset of the frame that is bad. */
  offset: number
  kind: 'partial-header' | 'partial-body' | 'zero-fill' | 'bad-length' | 'crc-mismatch'
  /**
   * True when the defect reaches the end of the file and looks like an append cut short: a
   * header or body that ends early, zeros up to the end, or a last frame whose checksum fails,
   * with no whole frame anywhere after its start. Anything else can only be damage.
   */
  torn: boolean
}

/** What a scan found: the offset after the last good frame, and the first defect, if any. */
export type FrameScan = { frames: number; validEnd: number; defect?: FrameDefect }

/** Frames one entry. */
export function encodeFrame(entry: Uint8Array): Uint8Array {
  if (entry.length === 0) throw new RangeError('a log entry cannot be empty')
  if (entry.length > 0xffffffff) throw new RangeError('a log entry must fit a 32-bit length')
  const frame = new Uint8Array(frameHeaderBytes + entry.length)
  const view = new DataView(frame.buffer)
  view.setUint32(0, entry.length)
  view.setUint32(4, crc32(entry))
  frame.set(entry, frameHeaderBytes)
  return frame
}

/**
 * Walks the frames of one file's bytes, calling `onFrame` for each good one in order, and stops at
 * the first defect. Pure: it neither reads nor repairs anything.
 */
export function scanFrames(
  bytes: Uint8Array,
  maxEntryBytes: number,
  onFrame: (entry: Uint8Array, offset: number) => void,
): FrameScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  let frames = 0
  while (offset < bytes.length) {
    const defect = frameDefect(bytes, view, offset, maxEntryBytes)
    if (defect) return { frames, validEnd: offset, defect }
    const length = view.getUint32(offset)
    const start = offset + frameHeaderBytes
    onFrame(bytes.subarray(start, start + length), offset)
    offset = start + length
    frames += 1
  }
  return { frames, validEnd: offset }
}

function frameDefect(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  maxEntryBytes: number,
): FrameDefect | undefined {
  const remaining = bytes.length - offset
  if (remaining < frameHeaderBytes) return { offset, kind: 'partial-header', torn: true }
  const length = view.getUint32(offset)
  const end = offset + frameHeaderBytes + length
  if ((length === 0 || length > maxEntryBytes) && allZero(bytes, offset))
    return { offset, kind: 'zero-fill', torn: true }
  let kind: FrameDefect['kind']
  if (end > bytes.length) kind = 'partial-body'
  else if (length === 0 || length > maxEntryBytes) kind = 'bad-length'
  else if (crc32(bytes.subarray(offset + frameHeaderBytes, end)) !== view.getUint32(offset + 4))
    kind = 'crc-mismatch'
  else return undefined
  // An append cut short leaves the start of one frame and nothing after it. A damaged length
  // field can look the same, but then whole frames follow it: finding one rules out a torn write.
  const tornShaped = end >= bytes.length && remaining <= frameHeaderBytes + maxEntryBytes
  const torn = tornShaped && !mayHoldWholeFrame(bytes, view, offset + 1, maxEntryBytes)
  return { offset, kind, torn }
}

/** Bytes checksummed while looking for a whole frame; past it, the search gives up and assumes one. */
const resyncBudgetBytes = 64 * 1024 * 1024

/** Whether a whole, valid frame starts anywhere from `from` on. Errs on the side of yes. */
function mayHoldWholeFrame(bytes: Uint8Array, view: DataView, from: number, maxEntryBytes: number): boolean {
  let budget = resyncBudgetBytes
  for (let at = from; at + frameHeaderBytes < bytes.length; at++) {
    const length = view.getUint32(at)
    const end = at + frameHeaderBytes + length
    if (length === 0 || length > maxEntryBytes || end > bytes.length) continue
    budget -= length
    if (budget < 0) return true
    if (crc32(bytes.subarray(at + frameHeaderBytes, end)) === view.getUint32(at + 4)) return true
  }
  return false
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false
  return true
}
