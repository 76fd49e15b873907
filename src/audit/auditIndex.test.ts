import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type SampleRequest, sampleLogKeys, writeSampleLog } from '../../test/support/sampleLog.js'
import { readLogFiles } from '../attest/logFilesView.js'
import { readLogDirectory } from '../attest/readLogDirectory.js'
import { createAuditIndex, type EntryFilter } from './auditIndex.js'
import { decodeEntry, type EntrySummary } from './entrySummary.js'

let dir: string
let requests: SampleRequest[]
let summaries: EntrySummary[]

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'intentgate-index-'))
  requests = await writeSampleLog(dir, sampleLogKeys(), { count: 12 })
  const read = readLogFiles(await readLogDirectory(dir))
  if (!read.ok) throw new Error(read.problem.message)
  summaries = read.view.entries.map((bytes, index) => {
    const decoded = decodeEntry(index, bytes)
    if (!decoded.ok) throw new Error(decoded.message)
    return decoded.entry.summary
  })
})
afterAll(() => rm(dir, { recursive: true, force: true }))

function indexOf(all = summaries) {
  const index = createAuditIndex()
  for (const summary of all) index.add(summary)
  return index
}

/** The reference answer, written independently of the index: every summary checked one by one. */
function naive(filter: EntryFilter): number[] {
  const index = indexOf()
  return summaries
    .filter((summary) => summary.index >= (filter.start ?? 0) && summary.index < (filter.end ?? Infinity))
    .filter((summary) => filter.kind === undefined || summary.kind === filter.kind)
    .filter((summary) => filter.decision === undefined || summary.decision === filter.decision)
    .filter((summary) => filter.requestDigest === undefined || summary.requestDigest === filter.requestDigest)
    .filter((summary) => {
      // Outcomes are found under the template of their decision, which only the index links.
      if (filter.template === undefined) return true
      return (
        index.lookup({ requestDigest: summary.requestDigest ?? '' }).concat(summary)[0]?.templateId ===
        filter.template
      )
    })
    .map((summary) => summary.index)
}

describe('summaries', () => {
  test('decisions, outcomes and admin actions are summarized by what auditors filter on', () => {
    const [first] = requests as [SampleRequest]
    expect(summaries[first.decision.index]).toStrictEqual({
      index: 0,
      kind: 'decision',
      time: '2030-01-01T00:00:00.000Z',
      requestDigest: first.requestDigest,
      templateId: 'community-poll',
      instanceId: 'inst_sample00000000000',
      decision: 'allow',
      reasons: [],
    })
    expect(summaries[first.outcome?.index ?? -1]).toMatchObject({
      kind: 'outcome',
      requestDigest: first.requestDigest,
      status: 'confirmed',
      txHash: first.txHash,
    })
    expect(summaries.find((summary) => summary.kind === 'admin-action')).toMatchObject({
      action: 'kill-switch.engage',
      actor: 'alice',
      target: 'global',
    })
  })

  test('an entry that is not a DSSE envelope of a known statement is not decoded', () => {
    expect(decodeEntry(3, new TextEncoder().encode('{"x":1}'))).toStrictEqual({
      ok: false,
      message: 'entry 3 is not a DSSE envelope',
    })
    expect(decodeEntry(3, Uint8Array.of(0xff))).toMatchObject({ ok: false })
  })
})

describe('createAuditIndex', () => {
  test('outcomes take the template and instance of their decision, so filters find them', () => {
    const index = indexOf()
    const denied = requests.filter((request) => !request.allow)
    const page = index.query({ template: 'badge-mint', kind: 'outcome' }, { limit: 100 })
    expect(page.entries.length).toBeGreaterThan(0)
    expect(page.entries.every((entry) => entry.templateId === 'badge-mint')).toBe(true)
    expect(
      index.query({ decision: 'deny' }, { limit: 100 }).entries.map((entry) => entry.requestDigest),
    ).toStrictEqual(denied.map((request) => request.requestDigest))
    expect(
      index
        .query({ reason: 'QUOTA_EXCEEDED' }, { limit: 100 })
        .entries.every((entry) => entry.decision === 'deny'),
    ).toBe(true)
  })

  test('lookups by request digest, tx hash and userOpHash give the whole request: decision then outcome', () => {
    const index = indexOf()
    const metaTx = requests.find((request) => request.txHash) as SampleRequest
    const userOp = requests.find((request) => request.userOpHash) as SampleRequest
    const trail = (request: SampleRequest) => [request.decision.index, request.outcome?.index]
    expect(index.lookup({ txHash: metaTx.txHash as string }).map((entry) => entry.index)).toStrictEqual(
      trail(metaTx),
    )
    expect(
      index
        .lookup({ userOpHash: (userOp.userOpHash as string).toUpperCase().replace('0X', '0x') })
        .map((e) => e.index),
    ).toStrictEqual(trail(userOp))
    expect(index.lookup({ requestDigest: metaTx.requestDigest }).map((entry) => entry.index)).toStrictEqual(
      trail(metaTx),
    )
    expect(index.lookup({ txHash: `0x${'0'.repeat(64)}` })).toStrictEqual([])
  })

  test('time filters: since is inclusive, until exclusive', () => {
    const index = indexOf()
    const since = Date.parse('2030-01-01T00:03:00.000Z')
    const until = Date.parse('2030-01-01T00:05:00.000Z')
    const times = index.query({ since, until }, { limit: 100 }).entries.map((entry) => entry.time)
    expect(times.length).toBeGreaterThan(0)
    expect(times.every((time) => Date.parse(time) >= since && Date.parse(time) < until)).toBe(true)
    expect(times).toContain('2030-01-01T00:03:00.000Z')
  })

  test('summaries must arrive in index order', () => {
    const index = createAuditIndex()
    expect(() => index.add({ ...(summaries[1] as EntrySummary) })).toThrow(RangeError)
  })

  test('paging through any filter with any page size yields exactly the filtered entries, in order', () => {
    const filters = fc.record(
      {
        start: fc.nat(30),
        end: fc.nat(30),
        kind: fc.constantFrom('decision' as const, 'outcome' as const, 'admin-action' as const),
        template: fc.constantFrom('community-poll', 'badge-mint', 'none'),
        decision: fc.constantFrom('allow' as const, 'deny' as const, 'held' as const),
        requestDigest: fc.constantFrom(
          ...summaries.flatMap((summary) => (summary.requestDigest ? [summary.requestDigest] : [])),
        ),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(filters, fc.integer({ min: 1, max: 7 }), (filter, limit) => {
        const index = indexOf()
        const seen: number[] = []
        let cursor: number | undefined
        for (let pages = 0; pages < 100; pages++) {
          const page = index.query(filter, { limit, ...(cursor === undefined ? {} : { cursor }) })
          expect(page.entries.length).toBeLessThanOrEqual(limit)
          seen.push(...page.entries.map((entry) => entry.index))
          if (page.next === null) break
          cursor = page.next
        }
        expect(seen).toStrictEqual(naive(filter))
      }),
    )
  })
})
