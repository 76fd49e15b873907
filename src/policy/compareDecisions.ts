/** How a second decision on the same input differs from the first. */
export type DecisionChange = 'unchanged' | 'newly-denied' | 'newly-allowed' | 'reasons-changed'

type Verdict = { allow: boolean; reasons: readonly string[] }

/**
 * Compares a baseline decision (the logged one, or the active policy's) with a candidate's: a
 * denial that stays a denial counts as changed only when its set of reason codes changes.
 */
export function compareDecisions(baseline: Verdict, candidate: Verdict): DecisionChange {
  if (baseline.allow && !candidate.allow) return 'newly-denied'
  if (!baseline.allow && candidate.allow) return 'newly-allowed'
  if (baseline.allow) return 'unchanged'
  const before = new Set(baseline.reasons)
  const after = new Set(candidate.reasons)
  const same = before.size === after.size && [...before].every((code) => after.has(code))
  return same ? 'unchanged' : 'reasons-changed'
}
