/**
 * Where each limit counts, for one request at one moment: pure, so the exact keys a decision
 * reserved can be recomputed, tested and attested.
 *
 * - A `utc-day` window of N days counts in one bucket per N-day period since the Unix epoch,
 *   which starts at 00:00 UTC, so `1d` resets at midnight UTC.
 * - A `rolling` window of W seconds counts in 60 sub-buckets of ceil(W/60) seconds. A request is
 *   checked against every sub-bucket that overlaps (now - W, now], which may include up to one
 *   sub-bucket's worth of older traffic: the sum can over-count, never under-count, so a
 *   rolling limit is never exceeded.
 */
export type LimitWindowKind = 'utc-day' | 'rolling'

export type LimitCounter = {
  /** Keys whose values are summed against the cap; the last one is the bucket this request adds to. */
  sumKeys: string[]
  /** Seconds the current bucket must outlive its window, so nothing it counts expires early. */
  ttlSeconds: number
}

export type LimitCounterParameters = {
  prefix: string
  id: string
  scope: string
  keyParts: readonly string[]
  metric: string
  windowKind: LimitWindowKind
  windowSeconds: number
  /** Unix seconds. */
  now: number
}

/** Rolling windows are split into this many sub-buckets. */
export const rollingBuckets = 60
/** Counters are kept a little past their window, so clock skew between processes never drops a count. */
const ttlMarginSeconds = 300

/** The Redis keys of one limit's counter at `now`. */
export function limitCounter(parameters: LimitCounterParameters): LimitCounter {
  const { prefix, id, scope, keyParts, metric, windowKind, windowSeconds, now } = parameters
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds <= 0)
    throw new RangeError('windowSeconds must be a positive integer')
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError('now must be unix seconds')
  const base = `${prefix}lim:${[id, scope, ...keyParts, metric].map(escapePart).join(':')}`
  if (windowKind === 'utc-day') {
    const start = Math.floor(now / windowSeconds) * windowSeconds
    return {
      sumKeys: [`${base}:d${windowSeconds}:${start}`],
      ttlSeconds: start + windowSeconds - now + ttlMarginSeconds,
    }
  }
  const bucketSeconds = Math.ceil(windowSeconds / rollingBuckets)
  const current = Math.floor(now / bucketSeconds)
  const oldest = Math.floor((now - windowSeconds) / bucketSeconds)
  const sumKeys: string[] = []
  for (let bucket = Math.max(0, oldest); bucket <= current; bucket++)
    sumKeys.push(`${base}:r${bucketSeconds}:${bucket}`)
  return { sumKeys, ttlSeconds: windowSeconds + bucketSeconds + ttlMarginSeconds }
}

/** Key parts come from templates and requests; `:` and `%` are escaped so parts can never run together. */
function escapePart(part: string): string {
  return part.replace(/%/g, '%25').replace(/:/g, '%3A')
}
