import type { Decision } from './decision.js'

/**
 * The three things a policy can answer: allow, deny, or held (allow only once `required`
 * distinct operators approve; `held` as in the audit API and `intentgate_decisions_total`). A hold is "not yet", neither an allow nor a deny, so comparing
 * two decisions must tell all three apart.
 */
export type DecisionOutcome = 'allow' | 'deny' | 'held'

/**
 * How a second decision on the same input differs from the first, named by what the second
 * one does: every pair of outcomes maps to exactly one change.
 */
export type DecisionChange =
  | 'unchanged'
  /** Allowed or held before, denied now. */
  | 'newly-denied'
  /** Denied before, allowed now. */
  | 'newly-allowed'
  /** Denied by both, for another set of reason codes. */
  | 'reasons-changed'
  /** Allowed or denied before, held for approval now. */
  | 'newly-held'
  /** Held for approval before, allowed now without one. */
  | 'no-longer-held'
  /** Held by both, for another number of approvals (k). */
  | 'approvals-changed'

/** A decision as it is compared: its verdict, its reason codes, and for a hold its k. */
export type Verdict = {
  allow: boolean
  reasons: readonly string[]
  /** Present exactly when the request was held for approval. */
  approvals?: { required: number }
}

export function outcomeOf(verdict: Verdict): DecisionOutcome {
  if (verdict.allow) return 'allow'
  return verdict.approvals ? 'held' : 'deny'
}

/**
 * Names an outcome for reports and logs: `allow`, `deny`, or `held k=2`.
 * The k is part of it, so a transition between holds for different k reads as one.
 */
export function outcomeLabel(verdict: Verdict): string {
  const outcome = outcomeOf(verdict)
  return outcome === 'held' ? `held k=${verdict.approvals?.required}` : outcome
}

/** `allow->held k=2`, `held k=2->deny`: where a decision went from, and to. */
export function transitionLabel(baseline: Verdict, candidate: Verdict): string {
  return `${outcomeLabel(baseline)}->${outcomeLabel(candidate)}`
}

/**
 * A Decision reduced to what comparing needs: its reason codes once each, and the k of a hold
 * with the reason the policy gives the operators.
 */
export function verdictOf(decision: Decision): {
  allow: boolean
  reasons: string[]
  approvals?: { required: number; reason: string }
} {
  return {
    allow: decision.allow,
    reasons: [...new Set(decision.reasons.map((reason) => reason.code))],
    ...(decision.approvals ? { approvals: { ...decision.approvals } } : {}),
  }
}

/**
 * Compares a baseline decision (the logged one, or the active policy's) with a candidate's. A
 * denial that stays a denial counts as changed only when its set of reason codes changes, and a
 * hold that stays a hold only when the number of approvals it needs changes.
 */
export function compareDecisions(baseline: Verdict, candidate: Verdict): DecisionChange {
  const before = outcomeOf(baseline)
  const after = outcomeOf(candidate)
  if (before === after) {
    if (before === 'allow') return 'unchanged'
    if (before === 'held')
      return baseline.approvals?.required === candidate.approvals?.required
        ? 'unchanged'
        : 'approvals-changed'
    return sameCodes(baseline.reasons, candidate.reasons) ? 'unchanged' : 'reasons-changed'
  }
  if (after === 'deny') return 'newly-denied'
  if (after === 'held') return 'newly-held'
  return before === 'held' ? 'no-longer-held' : 'newly-allowed'
}

function sameCodes(first: readonly string[], second: readonly string[]): boolean {
  const before = new Set(first)
  const after = new Set(second)
  return before.size === after.size && [...before].every((code) => after.has(code))
}
