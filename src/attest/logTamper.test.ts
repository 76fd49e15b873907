import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sampleLogKeys, writeSampleLog } from '../../test/support/sampleLog.js'
import { generateSigningKey } from '../crypto/ed25519.js'
import type { AuditProblem } from './auditProblem.js'
import { signCheckpoint } from './checkpoint.js'
import { encodeFrame, scanFrames } from './entryFrame.js'
import { encodeLogEntry } from './logEntry.js'
import { type LogFiles, readLogFiles } from './logFilesView.js'
import { readLogDirectory } from './readLogDirectory.js'
import { type AcceptedCheckpoint, verifyLogView } from './verifyLogView.js'

/**
 * Tampering with a real log's files, written by the real attestor and transparency log: every
 * kind of damage the issue lists must be reported, with the kind and index of the first problem.
 */
const keys = sampleLogKeys()
const verificationKeys = {
  log: { name: keys.origin, publicKey: keys.logKey, origin: keys.origin },
  attestation: [keys.attestationKey],
}
let dir: string
let pristine: LogFiles

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'intentgate-tamper-'))
  await writeSampleLog(dir, keys, { count: 15 })
  pristine = await readLogDirectory(dir)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function verify(files: LogFiles, state?: AcceptedCheckpoint) {
  const read = readLogFiles(files)
  if (!read.ok) return { ok: false as const, problem: read.problem }
  return verifyLogView({ view: read.view, keys: verificationKeys, state })
}

function problemOf(files: LogFiles, state?: AcceptedCheckpoint): AuditProblem {
  const result = verify(files, state)
  if (result.ok) throw new Error('the tampered log verified')
  return result.problem
}

/** The frames of the one segment, as entries, and a copy of the files with other entries. */
function entriesOf(files: LogFiles): Uint8Array[] {
  const entries: Uint8Array[] = []
  scanFrames(files.segments[0]?.bytes ?? new Uint8Array(), 1 << 20, (entry) => entries.push(entry.slice()))
  return entries
}
function withEntries(files: LogFiles, entries: readonly Uint8Array[]): LogFiles {
  const bytes = Buffer.concat(entries.map(encodeFrame))
  return { ...files, segments: [{ name: files.segments[0]?.name ?? '', bytes: new Uint8Array(bytes) }] }
}

describe('an untouched log', () => {
  test('verifies from its files alone', () => {
    expect(pristine.segments).toHaveLength(1)
    expect(verify(pristine)).toMatchObject({ ok: true, size: entriesOf(pristine).length, unsignedEntries: 0 })
  })
})

describe('tampering', () => {
  test('at least 100 random single-byte changes anywhere in the files are all detected', () => {
    const files = [
      ...pristine.segments.map((segment) => ({ bytes: segment.bytes, segment: segment.name })),
      { bytes: pristine.checkpoints as Uint8Array, segment: undefined },
    ]
    const totalBytes = files.reduce((sum, file) => sum + file.bytes.length, 0)
    let trials = 0
    let detected = 0
    const kinds = new Map<string, number>()
    fc.assert(
      fc.property(fc.nat(totalBytes - 1), fc.integer({ min: 1, max: 255 }), (position, mask) => {
        let offset = position
        const file = files.find((candidate) => {
          if (offset < candidate.bytes.length) return true
          offset -= candidate.bytes.length
          return false
        }) as (typeof files)[number]
        const bytes = file.bytes.slice()
        bytes[offset] = (bytes[offset] as number) ^ mask
        const tampered: LogFiles = file.segment
          ? { ...pristine, segments: [{ name: file.segment, bytes }] }
          : { ...pristine, checkpoints: bytes }
        trials += 1
        const result = verify(tampered)
        if (!result.ok) {
          detected += 1
          kinds.set(result.problem.kind, (kinds.get(result.problem.kind) ?? 0) + 1)
        }
        expect(result.ok).toBe(false)
      }),
      { numRuns: 250 },
    )
    console.log(
      `random single-byte tamper trials over ${totalBytes} bytes of log files: ${detected}/${trials} detected (${[
        ...kinds,
      ]
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ')})`,
    )
    expect(trials).toBeGreaterThanOrEqual(100)
    expect(detected).toBe(trials)
  })

  test('a deleted entry', () => {
    const entries = entriesOf(pristine)
    expect(problemOf(withEntries(pristine, entries.toSpliced(7, 1)))).toMatchObject({
      kind: 'checkpoint-mismatch',
      index: 6,
    })
  })

  test('the last entry deleted', () => {
    const entries = entriesOf(pristine)
    expect(problemOf(withEntries(pristine, entries.slice(0, -1)))).toMatchObject({
      kind: 'missing-entries',
      index: entries.length - 1,
    })
  })

  test('swapped entries', () => {
    const entries = entriesOf(pristine)
    const swapped = [...entries]
    ;[swapped[4], swapped[5]] = [entries[5] as Uint8Array, entries[4] as Uint8Array]
    expect(problemOf(withEntries(pristine, swapped))).toMatchObject({ kind: 'checkpoint-mismatch', index: 3 })
  })

  test('a checkpoint signed with another key', () => {
    const notes: Uint8Array[] = []
    scanFrames(pristine.checkpoints as Uint8Array, 1 << 16, (note) => notes.push(note.slice()))
    const forger = generateSigningKey()
    const last = verify(pristine)
    if (!last.ok) throw new Error('the pristine log must verify')
    const forged = signCheckpoint(last.latest, { name: keys.origin, key: forger })
    const checkpoints = Buffer.concat(
      [...notes.slice(0, -1), new TextEncoder().encode(forged)].map(encodeFrame),
    )
    expect(problemOf({ ...pristine, checkpoints: new Uint8Array(checkpoints) })).toMatchObject({
      kind: 'bad-checkpoint',
      checkpoint: notes.length - 1,
    })
  })

  test('a statement whose payloadType was swapped, with its frame rewritten to match', () => {
    const entries = entriesOf(pristine)
    const envelope = JSON.parse(new TextDecoder().decode(entries[3]))
    const retyped = encodeLogEntry({ ...envelope, payloadType: 'application/vnd.intentgate.template+json' })
    expect(problemOf(withEntries(pristine, entries.toSpliced(3, 1, retyped)))).toMatchObject({
      kind: 'payload-type',
      index: 3,
    })
  })

  test('a truncated log regrown with other entries by the log key itself is a fork against the saved state', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'intentgate-regrow-'))
    try {
      await writeSampleLog(copy, keys, { count: 9 })
      const before = verify(await readLogDirectory(copy))
      if (!before.ok) throw new Error('the log must verify before it is rewritten')
      // Cut both files back to the first checkpoint of at least 3 entries, as a log rolled back would be.
      const files = await readLogDirectory(copy)
      const notes: { end: number; size: number }[] = []
      scanFrames(files.checkpoints as Uint8Array, 1 << 16, (note, offset) =>
        notes.push({
          end: offset + 8 + note.length,
          size: Number(new TextDecoder().decode(note).split('\n')[1]),
        }),
      )
      const cut = notes.find((note) => note.size >= 3) as { end: number; size: number }
      const frames: number[] = []
      scanFrames(files.segments[0]?.bytes as Uint8Array, 1 << 20, (entry, offset) =>
        frames.push(offset + 8 + entry.length),
      )
      await truncate(join(copy, 'checkpoints', 'checkpoints.log'), cut.end)
      await truncate(
        join(copy, 'segments', files.segments[0]?.name as string),
        frames[cut.size - 1] as number,
      )
      await writeSampleLog(copy, keys, { count: 9, salt: 'b' })
      const regrown = await readLogDirectory(copy)
      expect(verify(regrown)).toMatchObject({ ok: true })
      expect(problemOf(regrown, before.state)).toMatchObject({ kind: 'fork' })
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })

  test('a damaged file is found on disk too, not only in memory', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'intentgate-disk-'))
    try {
      await writeSampleLog(copy, keys, { count: 4 })
      const name = (await readLogDirectory(copy)).segments[0]?.name as string
      const path = join(copy, 'segments', name)
      const bytes = new Uint8Array(await readFile(path))
      bytes[20] = (bytes[20] as number) ^ 0x40
      await writeFile(path, bytes)
      expect(problemOf(await readLogDirectory(copy))).toMatchObject({ kind: 'bad-frame', index: 0 })
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })
})
