import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { generateSigningKey } from '../crypto/ed25519.js'
import { IntentGateError } from '../errors/index.js'
import { verifyCheckpoint } from './checkpoint.js'
import { scanFrames } from './entryFrame.js'
import { hashLeaf, rootFromLeafHashes, verifyConsistencyProof, verifyInclusionProof } from './merkle.js'
import { parseVerifierKey } from './signedNote.js'
import { openTransparencyLog, type TransparencyLogOptions } from './transparencyLog.js'

const origin = 'test.intentgate.dev/log'
const logKey = generateSigningKey()
const verifier = { name: origin, publicKey: logKey }
const entryBytes = (i: number) => new TextEncoder().encode(`{"entry":${i},"pad":"${'x'.repeat(i % 7)}"}`)
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

let dir: string
const warnings: { detail: object; message: string }[] = []
const logger = {
  warn: (detail: object, message: string) => warnings.push({ detail, message }),
  error: (detail: object, message: string) => warnings.push({ detail, message }),
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'intentgate-log-'))
  warnings.length = 0
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function open(options: Partial<TransparencyLogOptions> = {}) {
  return openTransparencyLog({ dir, origin, signingKey: { name: origin, key: logKey }, logger, ...options })
}

/** Every checkpoint in the checkpoint file, in order. */
async function checkpointNotes(): Promise<Uint8Array[]> {
  const notes: Uint8Array[] = []
  const bytes = new Uint8Array(await readFile(join(dir, 'checkpoints', 'checkpoints.log')))
  const scan = scanFrames(bytes, 1 << 16, (note) => notes.push(note.slice()))
  expect(scan.defect).toBeUndefined()
  return notes
}

describe('openTransparencyLog', () => {
  test('appends get consecutive indices, and root, entries and proofs follow RFC 9162', async () => {
    const log = await open()
    expect(log.size()).toBe(0)
    expect(log.latestCheckpoint()).toMatchObject({ origin, size: 0 })
    const results = []
    for (let i = 0; i < 10; i++) results.push(await log.append(entryBytes(i)))
    expect(results.map((result) => result.index)).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const leafHashes = Array.from({ length: 10 }, (_, i) => hashLeaf(entryBytes(i)))
    expect(results.map((result) => hex(result.leafHash))).toStrictEqual(leafHashes.map(hex))
    expect(log.size()).toBe(10)
    expect(hex(log.root())).toBe(hex(rootFromLeafHashes(leafHashes)))
    expect(hex(log.root(4))).toBe(hex(rootFromLeafHashes(leafHashes, 4)))
    expect(await log.entry(7)).toStrictEqual(entryBytes(7))
    for (let i = 0; i < 10; i++)
      expect(
        verifyInclusionProof(leafHashes[i] as Uint8Array, i, 10, log.inclusionProof(i), log.root()),
      ).toBe(true)
    expect(verifyConsistencyProof(3, 10, log.root(3), log.root(), log.consistencyProof(3))).toBe(true)
    await expect(log.entry(10)).rejects.toThrow(RangeError)
    await log.close()
  })

  test('a checkpoint follows each commit, is persisted, and each is consistent with the one before', async () => {
    const log = await open()
    for (let i = 0; i < 5; i++) await log.append(entryBytes(i))
    const latest = await log.checkpoint()
    expect(latest.size).toBe(5)
    expect(verifyCheckpoint(latest.note, verifier)).toStrictEqual({
      ok: true,
      checkpoint: { origin, size: 5, root: log.root() },
    })
    await log.close()
    const notes = await checkpointNotes()
    const checkpoints = notes.map((note) => {
      const result = verifyCheckpoint(note, verifier)
      if (!result.ok) throw new Error(result.message)
      return result.checkpoint
    })
    expect(checkpoints.map((checkpoint) => checkpoint.size)).toStrictEqual([0, 1, 2, 3, 4, 5])
    const reopened = await open()
    for (const [i, checkpoint] of checkpoints.entries()) {
      expect(hex(checkpoint.root)).toBe(hex(reopened.root(checkpoint.size)))
      const previous = checkpoints[i - 1]
      if (previous)
        expect(
          verifyConsistencyProof(
            previous.size,
            checkpoint.size,
            previous.root,
            checkpoint.root,
            reopened.consistencyProof(previous.size, checkpoint.size),
          ),
        ).toBe(true)
    }
    await reopened.close()
  })

  test('the published verifier key checks the checkpoints', async () => {
    const log = await open()
    await log.append(entryBytes(0))
    const published = parseVerifierKey(log.verifierKey())
    expect(verifyCheckpoint((await log.checkpoint()).note, published).ok).toBe(true)
    await log.close()
  })

  test('reopening rebuilds the same tree and continues the indices', async () => {
    const first = await open()
    for (let i = 0; i < 6; i++) await first.append(entryBytes(i))
    const root = hex(first.root())
    await first.close()
    const second = await open()
    expect(second.size()).toBe(6)
    expect(hex(second.root())).toBe(root)
    expect(second.latestCheckpoint().size).toBe(6)
    expect(await second.append(entryBytes(6))).toMatchObject({ index: 6 })
    expect(await second.entry(2)).toStrictEqual(entryBytes(2))
    await second.close()
    expect(warnings).toStrictEqual([])
  })

  test('segments roll at the size limit, and are named by their first entry', async () => {
    const log = await open({ segmentBytes: 100 })
    for (let i = 0; i < 9; i++) await log.append(entryBytes(i))
    // Entries are 22 to 28 bytes, 30 to 36 with their frame: three fit in 100 bytes.
    expect((await readdir(join(dir, 'segments'))).sort()).toStrictEqual([
      '0000000000000000.seg',
      '0000000000000003.seg',
      '0000000000000006.seg',
    ])
    await log.close()
    const reopened = await open({ segmentBytes: 100 })
    expect(reopened.size()).toBe(9)
    for (let i = 0; i < 9; i++) expect(await reopened.entry(i)).toStrictEqual(entryBytes(i))
    // Bulk reads cross segment boundaries and return exactly the entries asked for.
    const expected = (start: number, end: number) =>
      Array.from({ length: end - start }, (_, i) => entryBytes(start + i))
    expect(await reopened.entries(0, 9)).toStrictEqual(expected(0, 9))
    expect(await reopened.entries(2, 7)).toStrictEqual(expected(2, 7))
    expect(await reopened.entries(4, 4)).toStrictEqual([])
    await expect(reopened.entries(5, 10)).rejects.toThrow(RangeError)
    await reopened.append(entryBytes(9))
    expect(await readdir(join(dir, 'segments'))).toContain('0000000000000009.seg')
    await reopened.close()
  })

  test('a batch that crosses a segment boundary is split across the two files', async () => {
    const log = await open({ segmentBytes: 100 })
    await Promise.all(Array.from({ length: 5 }, (_, i) => log.append(entryBytes(i))))
    expect((await readdir(join(dir, 'segments'))).sort()).toStrictEqual([
      '0000000000000000.seg',
      '0000000000000003.seg',
    ])
    expect(log.stats().commits).toBe(1)
    for (let i = 0; i < 5; i++) expect(await log.entry(i)).toStrictEqual(entryBytes(i))
    await log.close()
  })

  test('entries of the wrong size are refused, and a closed log is unavailable', async () => {
    const log = await open({ maxEntryBytes: 64 })
    await expect(log.append(new Uint8Array(0))).rejects.toThrow(RangeError)
    await expect(log.append(new Uint8Array(65))).rejects.toThrow(RangeError)
    await log.close()
    const closed = await log.append(entryBytes(0)).catch((error: unknown) => error)
    expect(closed).toBeInstanceOf(IntentGateError)
    expect((closed as IntentGateError).code).toBe('DEPENDENCY_UNAVAILABLE')
  })

  test('an append is durable before it resolves: the caller may reuse its buffer', async () => {
    const log = await open()
    const buffer = entryBytes(1)
    const pending = log.append(buffer)
    buffer.fill(0x20)
    await pending
    expect(await log.entry(0)).toStrictEqual(entryBytes(1))
    await log.close()
  })
})

describe('group commit', () => {
  test('200 concurrent appends share one commit: one write and one fdatasync', async () => {
    const log = await open()
    const opened = log.stats()
    // Opening syncs the data directory, the new checkpoint file's directory, and checkpoint 0.
    expect(opened).toStrictEqual({ appended: 0, commits: 0, syncs: 3, checkpoints: 1 })
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(entryBytes(i))))
    expect(results.map((result) => result.index)).toStrictEqual(Array.from({ length: 200 }, (_, i) => i))
    await log.checkpoint()
    // The new segment's directory, the segment, and the one checkpoint that follows the commit.
    expect(log.stats()).toStrictEqual({ appended: 200, commits: 1, syncs: 6, checkpoints: 2 })
    await log.close()
  })

  test('20 producers appending one after another in parallel commit in shared batches', async () => {
    const log = await open()
    const producer = async (p: number) => {
      for (let i = 0; i < 25; i++) await log.append(entryBytes(p * 100 + i))
    }
    await Promise.all(Array.from({ length: 20 }, (_, p) => producer(p)))
    const { appended, commits, syncs } = log.stats()
    expect(appended).toBe(500)
    // Each commit carries one append from each producer waiting at the time, so about 25 of them.
    expect(commits).toBeLessThanOrEqual(50)
    expect(syncs).toBeLessThan(appended / 4)
    console.info(`group commit: ${appended} appends, ${commits} commits, ${syncs} fsyncs in all`)
    await log.close()
  })
})

describe('checkpoint pacing', () => {
  test('with pacing, a checkpoint waits for enough entries, and close() signs the last one', async () => {
    const log = await open({ checkpointEvery: { entries: 3, ms: 3_600_000 } })
    await log.append(entryBytes(0))
    await log.append(entryBytes(1))
    expect(log.latestCheckpoint().size).toBe(0)
    await log.append(entryBytes(2))
    // The third entry made one due; checkpoint() queues behind it and finds it covers everything.
    expect((await log.checkpoint()).size).toBe(3)
    await log.append(entryBytes(3))
    expect((await checkpointNotes()).length).toBe(2)
    await log.close()
    const sizes = (await checkpointNotes()).map((note) => {
      const result = verifyCheckpoint(note, verifier)
      return result.ok ? result.checkpoint.size : -1
    })
    expect(sizes).toStrictEqual([0, 3, 4])
  })

  test('with pacing by time, a timer signs the checkpoint once the interval is up', async () => {
    const log = await open({ checkpointEvery: { entries: 1000, ms: 40 } })
    await log.append(entryBytes(0))
    expect(log.latestCheckpoint().size).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(log.latestCheckpoint().size).toBe(1)
    await log.close()
  })
})
