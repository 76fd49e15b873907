import type { AuditProblem } from './auditProblem.js'
import { scanFrames } from './entryFrame.js'

/**
 * The raw files of a log directory, as `intentgate audit verify` reads them: the segment files of
 * `segments/` by name and the bytes of `checkpoints/checkpoints.log`. Everything here is pure, so a
 * verifier needs nothing but these bytes and the public keys.
 */
export type LogFiles = {
  segments: readonly { name: string; bytes: Uint8Array }[]
  /** Undefined when the log has no checkpoint file. */
  checkpoints: Uint8Array | undefined
}

/** The entries and checkpoint notes a log's files hold, in order, once their framing checks out. */
export type LogView = {
  entries: Uint8Array[]
  notes: Uint8Array[]
  /**
   * A short last frame in the last segment: an append still in flight or cut by a crash. It can
   * never have been covered by a checkpoint, so it is no problem unless a checkpoint claims it.
   */
  tornTail?: { file: string; offset: number; kind: string }
}

export type ReadLogFilesResult = { ok: true; view: LogView } | { ok: false; problem: AuditProblem }

/** Far above the gateway's 1 MiB default, so that only real damage stops a scan. */
const maxEntryBytes = 64 * 1024 * 1024
const maxNoteBytes = 64 * 1024
const segmentName = /^(\d{16})\.seg$/

/**
 * Splits a log's files into entries and checkpoint notes. Stricter than the gateway's own recovery:
 * a checksum that fails on a whole frame is damage even at the very end, and the checkpoint file
 * may hold no damaged frame at all, so one changed byte anywhere is always reported.
 */
export function readLogFiles(files: LogFiles): ReadLogFilesResult {
  const segments = [...files.segments].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const entries: Uint8Array[] = []
  let tornTail: LogView['tornTail']
  for (const [position, segment] of segments.entries()) {
    const match = segmentName.exec(segment.name)
    if (!match)
      return fail({ kind: 'bad-segment', message: `${segment.name} is not a segment name this log writes` })
    const firstIndex = Number(match[1])
    if (firstIndex !== entries.length)
      return fail({
        kind: 'bad-segment',
        index: entries.length,
        message: `segment ${segment.name} starts at entry ${firstIndex}, but the ones before it end at entry ${entries.length}`,
      })
    const isLast = position === segments.length - 1
    const before = entries.length
    const scan = scanFrames(segment.bytes, maxEntryBytes, (entry) => entries.push(entry))
    if (scan.defect) {
      const shortWrite = scan.defect.torn && scan.defect.kind !== 'crc-mismatch'
      if (!isLast || !shortWrite)
        return fail({
          kind: 'bad-frame',
          index: entries.length,
          message: `the frame at byte ${scan.defect.offset} of ${segment.name} is damaged (${scan.defect.kind})`,
        })
      tornTail = { file: segment.name, offset: scan.defect.offset, kind: scan.defect.kind }
    }
    if (entries.length === before && !isLast)
      return fail({
        kind: 'bad-segment',
        index: before,
        message: `segment ${segment.name} is empty but not the last`,
      })
  }
  const notes: Uint8Array[] = []
  if (files.checkpoints) {
    const scan = scanFrames(files.checkpoints, maxNoteBytes, (note) => notes.push(note))
    if (scan.defect)
      return fail({
        kind: 'bad-checkpoint-frame',
        checkpoint: notes.length,
        message: `the checkpoint file is damaged at byte ${scan.defect.offset} (${scan.defect.kind})${
          scan.defect.torn
            ? '; a checkpoint write in flight or cut by a crash looks the same, so retry once'
            : ''
        }`,
      })
  }
  return { ok: true, view: { entries, notes, ...(tornTail ? { tornTail } : {}) } }
}

function fail(problem: AuditProblem): ReadLogFilesResult {
  return { ok: false, problem }
}
