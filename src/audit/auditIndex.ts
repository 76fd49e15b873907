import type { DecisionVerdict, EntryKind, EntrySummary } from './entrySummary.js'

/** Filters of GET /v1/audit/entries and `intentgate audit show`; every one given must hold. */
export type EntryFilter = {
  /** First index, inclusive. */
  start?: number
  /** Last index, exclusive. */
  end?: number
  kind?: EntryKind
  template?: string
  instance?: string
  decision?: DecisionVerdict
  /** A reason code the entry carries. */
  reason?: string
  /** Entries at or after this time (milliseconds since the epoch). */
  since?: number
  /** Entries before this time (milliseconds since the epoch). */
  until?: number
  requestDigest?: string
  txHash?: string
  userOpHash?: string
}

export type EntryPage = {
  entries: EntrySummary[]
  /** The cursor that continues the listing, or null when nothing is left. */
  next: number | null
}

/** How to find a request's entries: by its digest, or by a hash its outcome recorded. */
export type RequestLookup = { requestDigest: string } | { txHash: string } | { userOpHash: string }

/**
 * An in-memory index of a log's entries, in index order, built from their summaries. It holds
 * only what filters need (a few hundred bytes an entry); entries themselves stay in the log.
 * Pure: the audit reader feeds it as the log grows.
 */
export type AuditIndex = {
  readonly size: number
  /** Adds the summary of the next entry; summaries must arrive in index order. */
  add(summary: EntrySummary): void
  /** Entries that match `filter`, from `cursor` (an index, inclusive) on, at most `limit`. */
  query(filter: EntryFilter, page: { cursor?: number; limit: number }): EntryPage
  /** Every entry of the requests the lookup names: decisions, approval events and outcomes, in index order. */
  lookup(key: RequestLookup): EntrySummary[]
}

export function createAuditIndex(): AuditIndex {
  const summaries: EntrySummary[] = []
  const times: number[] = []
  const byRequest = new Map<string, number[]>()
  const byTxHash = new Map<string, number[]>()
  const byUserOpHash = new Map<string, number[]>()
  const push = (map: Map<string, number[]>, key: string | undefined, index: number) => {
    if (key === undefined) return
    const list = map.get(key)
    if (list) list.push(index)
    else map.set(key, [index])
  }

  function candidates(filter: EntryFilter): readonly number[] | undefined {
    const keyed = [
      filter.requestDigest === undefined
        ? undefined
        : (byRequest.get(filter.requestDigest.toLowerCase()) ?? []),
      filter.txHash === undefined ? undefined : (byTxHash.get(filter.txHash.toLowerCase()) ?? []),
      filter.userOpHash === undefined ? undefined : (byUserOpHash.get(filter.userOpHash.toLowerCase()) ?? []),
    ].filter((list) => list !== undefined)
    // The shortest list bounds the work; matches() checks the other keys.
    return keyed.sort((a, b) => a.length - b.length)[0]
  }

  function matches(summary: EntrySummary, filter: EntryFilter): boolean {
    const time = times[summary.index] as number
    return (
      (filter.kind === undefined || summary.kind === filter.kind) &&
      (filter.template === undefined || summary.templateId === filter.template) &&
      (filter.instance === undefined || summary.instanceId === filter.instance) &&
      (filter.decision === undefined || summary.decision === filter.decision) &&
      (filter.reason === undefined || (summary.reasons ?? []).includes(filter.reason)) &&
      (filter.since === undefined || time >= filter.since) &&
      (filter.until === undefined || time < filter.until) &&
      (filter.requestDigest === undefined || summary.requestDigest === filter.requestDigest.toLowerCase()) &&
      (filter.txHash === undefined || summary.txHash === filter.txHash.toLowerCase()) &&
      (filter.userOpHash === undefined || summary.userOpHash === filter.userOpHash.toLowerCase())
    )
  }

  return {
    get size() {
      return summaries.length
    },
    add(summary) {
      if (summary.index !== summaries.length)
        throw new RangeError(`expected entry ${summaries.length}, got entry ${summary.index}`)
      const decision =
        (summary.kind === 'outcome' || summary.kind === 'approval') && summary.requestDigest
          ? summaries[byRequest.get(summary.requestDigest)?.[0] ?? -1]
          : undefined
      // An outcome or approval event is found by the template and instance of its request.
      const stored =
        decision && decision.kind === 'decision'
          ? { ...summary, templateId: decision.templateId, instanceId: decision.instanceId }
          : summary
      summaries.push(stored)
      times.push(Date.parse(summary.time))
      push(byRequest, summary.requestDigest, summary.index)
      push(byTxHash, summary.txHash, summary.index)
      push(byUserOpHash, summary.userOpHash, summary.index)
    },
    query(filter, page) {
      const from = Math.max(filter.start ?? 0, page.cursor ?? 0)
      const to = Math.min(filter.end ?? summaries.length, summaries.length)
      const keyed = candidates(filter)
      const entries: EntrySummary[] = []
      const scan = keyed ? keyed.filter((index) => index >= from && index < to) : undefined
      let position = 0
      let index = scan ? (scan[0] ?? to) : from
      while (index < to) {
        if (entries.length === page.limit) return { entries, next: index }
        const summary = summaries[index] as EntrySummary
        if (matches(summary, filter)) entries.push(summary)
        index = scan ? (scan[++position] ?? to) : index + 1
      }
      return { entries, next: null }
    },
    lookup(key) {
      const hits =
        'requestDigest' in key
          ? [key.requestDigest.toLowerCase()]
          : ('txHash' in key
              ? (byTxHash.get(key.txHash.toLowerCase()) ?? [])
              : (byUserOpHash.get(key.userOpHash.toLowerCase()) ?? [])
            ).map((index) => summaries[index]?.requestDigest)
      const requests = [...new Set(hits)].filter((digest) => digest !== undefined)
      const indices = requests.flatMap((digest) => byRequest.get(digest) ?? []).sort((a, b) => a - b)
      return indices.map((index) => summaries[index] as EntrySummary)
    },
  }
}
