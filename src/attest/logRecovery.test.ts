import { appendFile, mkdtemp, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { generateSigningKey } from '../crypto/ed25519.js'
import { signCheckpoint } from './checkpoint.js'
import { encodeFrame, frameHeaderBytes } from './entryFrame.js'
import { LogCorruptionError } from './logCorruptionError.js'
import { hashLeaf, rootFromLeafHashes } from './merkle.js'
import { openTransparencyLog, type TransparencyLog, type TransparencyLogOptions } from './transparencyLog.js'

const origin = 'test.intentgate.dev/log'
const logKey = generateSigningKey()
const entryBytes = (i: number) => new TextEncoder().encode(`{"entry":${i}}`)
/** Every entry here is 11 bytes, 19 with its frame, so offsets are easy to compute. */
const frameLength = frameHeaderBytes + 11
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
/** Checkpoints only when closed: what a log that crashed between checkpoints leaves behind. */
const rarely = { entries: 1_000_000, ms: 3_600_000 }

let dir: string
let segment: string
const warnings: { detail: object; message: string }[] = []
const logger = {
  warn: (detail: object, message: string) => warnings.push({ detail, message }),
  error: (detail: object, message: string) => warnings.push({ detail, message }),
}
const opened: TransparencyLog[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'intentgate-recovery-'))
  segment = join(dir, 'segments', '0000000000000000.seg')
  warnings.length = 0
})
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => undefined)
  await rm(dir, { recursive: true, force: true })
})

async function open(options: Partial<TransparencyLogOptions> = {}): Promise<TransparencyLog> {
  const log = await openTransparencyLog({
    dir,
    origin,
    signingKey: { name: origin, key: logKey },
    logger,
    ...options,
  })
  opened.push(log)
  return log
}

/**
 * Writes `count` entries and leaves the log as a crash would: no close, so no final checkpoint.
 * The handles stay open until the test ends, as they would in a process killed mid-flight.
 */
async function crashAfter(count: number, options: Partial<TransparencyLogOptions> = {}): Promise<void> {
  const log = await open(options)
  for (let i = 0; i < count; i++) await log.append(entryBytes(i))
  // Without pacing this only waits for the checkpoint the last commit queued; it signs nothing new.
  if (!options.checkpointEvery) await log.checkpoint()
}

async function flipByte(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path)
  bytes[offset] = (bytes[offset] as number) ^ 0x40
  await writeFile(path, bytes)
}

async function openError(options: Partial<TransparencyLogOptions> = {}): Promise<LogCorruptionError> {
  const error = await open(options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(LogCorruptionError)
  return error as LogCorruptionError
}

async function expectRecovered(size: number, kind: string): Promise<void> {
  const log = await open()
  expect(log.size()).toBe(size)
  expect(warnings).toHaveLength(1)
  expect(warnings[0]?.detail).toMatchObject({ file: segment, offset: size * frameLength, kind })
  expect((await stat(segment)).size).toBe(size * frameLength)
  const leafHashes = Array.from({ length: size }, (_, i) => hashLeaf(entryBytes(i)))
  expect(hex(log.root())).toBe(hex(rootFromLeafHashes(leafHashes)))
  expect(await log.append(entryBytes(size))).toMatchObject({ index: size })
  expect(await log.entry(size)).toStrictEqual(entryBytes(size))
}

describe('a torn append at the end is cut off, with a warning, and the log continues', () => {
  test('garbage after the last whole entry', async () => {
    await crashAfter(5)
    await appendFile(segment, 'garbage!! not a frame')
    await expectRecovered(5, 'partial-body')
  })

  test('a new entry cut in the middle of its body', async () => {
    await crashAfter(5)
    await appendFile(segment, encodeFrame(entryBytes(5)).subarray(0, frameHeaderBytes + 4))
    await expectRecovered(5, 'partial-body')
  })

  test('a new entry cut inside its header', async () => {
    await crashAfter(5)
    await appendFile(segment, encodeFrame(entryBytes(5)).subarray(0, 3))
    await expectRecovered(5, 'partial-header')
  })

  test('a new entry written whole but with a wrong byte', async () => {
    await crashAfter(5)
    const frame = encodeFrame(entryBytes(5))
    frame[frameHeaderBytes + 2] = 0x21
    await appendFile(segment, frame)
    await expectRecovered(5, 'crc-mismatch')
  })

  test('zeros the file system left after the last entry', async () => {
    await crashAfter(5)
    await appendFile(segment, new Uint8Array(4096))
    await expectRecovered(5, 'zero-fill')
  })

  test('the last written entry cut mid-entry, when no checkpoint covers it yet', async () => {
    await crashAfter(5, { checkpointEvery: rarely })
    await truncate(segment, 5 * frameLength - 6)
    await expectRecovered(4, 'partial-body')
  })

  test('a flipped byte in the last written entry, when no checkpoint covers it yet', async () => {
    await crashAfter(5, { checkpointEvery: rarely })
    await flipByte(segment, 5 * frameLength - 3)
    await expectRecovered(4, 'crc-mismatch')
  })

  test('a torn checkpoint append is cut off too, and a new checkpoint is signed', async () => {
    await crashAfter(3)
    const checkpoints = join(dir, 'checkpoints', 'checkpoints.log')
    const before = (await stat(checkpoints)).size
    await appendFile(checkpoints, Buffer.from([0, 0, 1]))
    const log = await open()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.message).toContain('torn checkpoint append')
    expect(log.latestCheckpoint().size).toBe(3)
    expect((await stat(checkpoints)).size).toBe(before)
  })
})

describe('damage a crash cannot explain refuses to open', () => {
  test('a flipped byte in an earlier entry names that entry', async () => {
    await crashAfter(5)
    await flipByte(segment, 2 * frameLength + frameHeaderBytes + 5)
    const error = await openError()
    expect(error.kind).toBe('bad-frame')
    expect(error.index).toBe(2)
    expect(error.message).toBe(
      'entry 2 in 0000000000000000.seg at byte 38 is damaged (crc-mismatch), and not as an append cut short by a crash would be',
    )
    expect(warnings).toStrictEqual([])
  })

  test('a flipped length in an earlier entry is damage, not a torn tail, checkpoint or not', async () => {
    await crashAfter(5, { checkpointEvery: rarely })
    // The length now reaches past the end of the file, as a torn write's would, but whole
    // frames follow it.
    await flipByte(segment, frameLength + 3)
    const error = await openError()
    expect(error).toMatchObject({ kind: 'bad-frame', index: 1 })
    expect(error.message).toContain('damaged (partial-body), and not as an append cut short')
    expect((await stat(segment)).size).toBe(5 * frameLength)
  })

  test('the last entry cut when a signed checkpoint covers it', async () => {
    await crashAfter(5)
    await truncate(segment, 5 * frameLength - 6)
    const error = await openError()
    expect(error.kind).toBe('missing-entries')
    expect(error.index).toBe(4)
    expect(error.message).toContain('entry 4 is damaged (partial-body)')
    expect(error.message).toContain('the log holds 4 whole entries but its latest checkpoint covers 5')
    expect((await stat(segment)).size).toBe(5 * frameLength - 6)
  })

  test('an entry rewritten with a valid frame no longer matches the signed root', async () => {
    await crashAfter(5)
    const bytes = await readFile(segment)
    bytes.set(encodeFrame(new TextEncoder().encode('{"entry":9}')), 3 * frameLength)
    await writeFile(segment, bytes)
    const error = await openError()
    expect(error.kind).toBe('checkpoint-mismatch')
  })

  test('damage in a segment before the last one, even in its last entry', async () => {
    await crashAfter(6, { segmentBytes: 3 * frameLength })
    await flipByte(segment, 3 * frameLength - 2)
    const error = await openError({ segmentBytes: 3 * frameLength })
    expect(error).toMatchObject({ kind: 'bad-frame', index: 2 })
    expect(error.message).toContain('and later segments exist')
  })

  test('a missing segment is a gap in the indices', async () => {
    await crashAfter(9, { segmentBytes: 3 * frameLength })
    await unlink(join(dir, 'segments', '0000000000000003.seg'))
    const error = await openError({ segmentBytes: 3 * frameLength })
    expect(error).toMatchObject({ kind: 'missing-entries', index: 3 })
    expect(error.message).toContain('0000000000000006.seg starts at entry 6')
  })

  test('a latest checkpoint signed by another key', async () => {
    await crashAfter(2)
    const forged = signCheckpoint(
      { origin, size: 2, root: rootFromLeafHashes([hashLeaf(entryBytes(0)), hashLeaf(entryBytes(1))]) },
      { name: origin, key: generateSigningKey() },
    )
    await appendFile(join(dir, 'checkpoints', 'checkpoints.log'), encodeFrame(Buffer.from(forged)))
    const error = await openError()
    expect(error.kind).toBe('checkpoint-invalid')
    expect(error.message).toContain('does not verify under the log key')
  })

  test('a file in the segment directory that the log did not write', async () => {
    await crashAfter(1)
    await writeFile(join(dir, 'segments', 'extra.seg'), 'x')
    expect(await openError()).toMatchObject({ kind: 'unexpected-file' })
  })

  test('an entry changed on disk after open is refused when read', async () => {
    const log = await open()
    for (let i = 0; i < 3; i++) await log.append(entryBytes(i))
    await flipByte(segment, frameLength + frameHeaderBytes + 1)
    await expect(log.entry(1)).rejects.toMatchObject({ kind: 'entry-changed', index: 1 })
    expect(await log.entry(2)).toStrictEqual(entryBytes(2))
  })
})
