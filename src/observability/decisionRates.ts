/**
 * Decisions per minute by verdict and reason, for the console's live counters: one bucket per
 * wall-clock minute, the last `minutes` of them kept. It counts what this process attested, as
 * its log and its metrics do. Recording is one map lookup and an increment.
 */
export type DecisionRates = {
  record(decision: string, reason: string): void
  /** Minutes oldest first, from `minutes - 1` minutes ago up to the current (partial) one. */
  perMinute(): DecisionRateMinute[]
}

export type DecisionRateMinute = {
  /** Start of the minute, ISO 8601. */
  minute: string
  /** Count per `decision reason` pair, for example `deny POLICY_DENIED`. */
  counts: Record<string, number>
  total: number
}

export function createDecisionRates(options: { minutes?: number; now?: () => number } = {}): DecisionRates {
  const minutes = options.minutes ?? 15
  const now = options.now ?? Date.now
  const buckets = new Map<number, Map<string, number>>()

  const minuteOf = (ms: number) => Math.floor(ms / 60_000)
  const prune = (current: number) => {
    for (const minute of buckets.keys()) if (minute <= current - minutes) buckets.delete(minute)
  }

  return {
    record(decision, reason) {
      const minute = minuteOf(now())
      let bucket = buckets.get(minute)
      if (!bucket) {
        prune(minute)
        bucket = new Map()
        buckets.set(minute, bucket)
      }
      const key = `${decision} ${reason}`
      bucket.set(key, (bucket.get(key) ?? 0) + 1)
    },
    perMinute() {
      const current = minuteOf(now())
      prune(current)
      const rows: DecisionRateMinute[] = []
      for (let minute = current - minutes + 1; minute <= current; minute++) {
        const counts = Object.fromEntries(buckets.get(minute) ?? [])
        const total = Object.values(counts).reduce((sum, count) => sum + count, 0)
        rows.push({ minute: new Date(minute * 60_000).toISOString(), counts, total })
      }
      return rows
    },
  }
}
