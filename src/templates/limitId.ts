/** The fields of a limit its id is derived from. */
export type LimitIdentity = { id?: string | undefined; scope: string; metric: string; window: string }

/**
 * A limit's id: the one given, or `${scope}-${metric}-${window}` (for example `sender-count-1d`).
 * The id names the limit's counters, so it must be stable across re-signing a manifest whose limits
 * did not change; deriving it from what the limit counts gives exactly that.
 */
export function limitId(limit: LimitIdentity): string {
  return limit.id ?? `${limit.scope}-${limit.metric}-${limit.window}`
}
