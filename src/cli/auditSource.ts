import { setTimeout as sleep } from 'node:timers/promises'
import { encodeLogEntry, logEntryDigest } from '../attest/logEntry.js'
import { type ReadLogFilesResult, readLogFiles } from '../attest/logFilesView.js'
import { readLogDirectory } from '../attest/readLogDirectory.js'
import { createAuditIndex, type EntryFilter } from '../audit/auditIndex.js'
import type { EntryQuery } from '../audit/entryQuery.js'
import { type DecodedEntry, decodeEntry } from '../audit/entrySummary.js'
import type { DsseEnvelope } from '../crypto/dsse.js'
import { type AdminTarget, adminTarget, callAdmin } from './adminClient.js'
import { CliError } from './cliIo.js'

/** Where `intentgate audit` reads a log: its directory, or a gateway's auditor API. */
export type AuditSource = { kind: 'dir'; dir: string } | { kind: 'url'; target: AdminTarget }

/** One entry as show and export print it. */
export type ListedEntry = DecodedEntry & { index: number; entryDigest: string }

export function auditSource(
  location: string | undefined,
  values: { 'admin-key'?: string | undefined },
  env: Record<string, string | undefined>,
): AuditSource {
  if (!location) throw new CliError('name a log directory or a gateway URL')
  if (/^https?:\/\//.test(location))
    return { kind: 'url', target: adminTarget({ ...values, url: location }, env) }
  return { kind: 'dir', dir: location }
}

/**
 * The entries and checkpoints of a log, as the verifier takes them. From a directory, the files
 * themselves. From a gateway, the latest checkpoint and then every entry it covers, rebuilt from
 * the envelopes served: the gateway is trusted for nothing, since the verifier recomputes the tree.
 */
export async function loadLogView(source: AuditSource): Promise<ReadLogFilesResult> {
  if (source.kind === 'dir') {
    const read = readLogFiles(await readLogDirectory(source.dir))
    if (read.ok || read.problem.kind !== 'bad-checkpoint-frame') return read
    // A checkpoint being written as the file was read looks torn; a second read tells it from damage.
    await sleep(250)
    return readLogFiles(await readLogDirectory(source.dir))
  }
  const checkpoint = (await callAdmin(source.target, 'GET', '/v1/audit/checkpoint')) as {
    note: string
    size: number
  }
  const envelopes = await fetchEntries(
    source.target,
    { end: String(checkpoint.size) },
    Number.POSITIVE_INFINITY,
  )
  return {
    ok: true,
    view: {
      entries: envelopes.map((entry) => encodeLogEntry(entry.envelope)),
      notes: [new TextEncoder().encode(checkpoint.note)],
    },
  }
}

/** Entries matching `query`, up to `max`, decoded (signatures unchecked: verify is for that). */
export async function listEntries(
  source: AuditSource,
  query: EntryQuery,
  raw: Record<string, string>,
  max: number,
) {
  if (source.kind === 'url') {
    const served = await fetchEntries(source.target, raw, max)
    return served.map((entry) => decoded(entry.index, encodeLogEntry(entry.envelope)))
  }
  const read = readLogFiles(await readLogDirectory(source.dir))
  if (!read.ok) throw new CliError(`the log cannot be read: ${read.problem.message}; run audit verify`)
  const entries = read.view.entries.map((bytes, index) => decoded(index, bytes))
  const index = createAuditIndex()
  for (const entry of entries) index.add(entry.summary)
  const { cursor, limit: _limit, include: _include, ...filter } = query
  const listed: ListedEntry[] = []
  let next: number | null = cursor ?? 0
  while (next !== null && listed.length < max) {
    const page = index.query(filter satisfies EntryFilter, {
      cursor: next,
      limit: Math.min(500, max - listed.length),
    })
    // The index copies decisions' templates onto outcomes: show those, not the bare decode.
    for (const summary of page.entries) listed.push({ ...(entries[summary.index] as ListedEntry), summary })
    next = page.next
  }
  return listed
}

async function fetchEntries(target: AdminTarget, raw: Record<string, string>, max: number) {
  const served: { index: number; envelope: DsseEnvelope }[] = []
  let cursor: string | undefined = raw.cursor
  do {
    const limit = String(Math.min(500, max - served.length))
    const query = new URLSearchParams({ ...raw, include: 'envelope', limit, ...(cursor ? { cursor } : {}) })
    const page = (await callAdmin(target, 'GET', `/v1/audit/entries?${query}`)) as {
      entries: { index: number; envelope: DsseEnvelope }[]
      next: number | null
    }
    served.push(...page.entries)
    cursor = page.next === null ? undefined : String(page.next)
  } while (cursor !== undefined && served.length < max)
  return served
}

function decoded(index: number, bytes: Uint8Array): ListedEntry {
  const result = decodeEntry(index, bytes)
  if (!result.ok) throw new CliError(`${result.message}; run audit verify to find what is wrong`)
  return { ...result.entry, index, entryDigest: logEntryDigest(bytes) }
}
