import { quote } from './validationIssue.js'

/**
 * How a limit's window is counted.
 * - `utc-day`: `Nd` is N calendar days in UTC. Buckets are aligned, not rolling: the bucket holding
 *   time t starts at UTC midnight of day `floor(floor(t / 86400) / N) * N` counted from the Unix
 *   epoch, so `1d` resets at every UTC midnight and every instance sees the same boundaries.
 * - `rolling`: `Ns`, `Nm` and `Nh` count everything in the last N seconds, minutes or hours before
 *   the request.
 */
export type WindowKind = 'utc-day' | 'rolling'

export type LimitWindow = { windowKind: WindowKind; windowSeconds: number }

export const limitWindowPattern = /^[1-9]\d*(s|m|h|d)$/

const unitSeconds = { s: 1, m: 60, h: 3600, d: 86_400 } as const

/**
 * Reads a window such as `1d`, `12h` or `90s` (see {@link WindowKind} for what each unit means).
 * Returns a message instead when the text is not a window or its length overflows a safe integer of seconds.
 */
export function parseLimitWindow(window: string): LimitWindow | { problem: string } {
  const match = limitWindowPattern.exec(window)
  const unit = match?.[1] as keyof typeof unitSeconds | undefined
  if (!unit) {
    return {
      problem: `${quote(window)} is not a window: expected a positive count and a unit s, m, h or d, as in 1d or 12h`,
    }
  }
  const windowSeconds = Number(window.slice(0, -1)) * unitSeconds[unit]
  if (!Number.isSafeInteger(windowSeconds)) return { problem: `${quote(window)} is too long a window` }
  return { windowKind: unit === 'd' ? 'utc-day' : 'rolling', windowSeconds }
}
