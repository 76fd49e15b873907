import {
  compareDecisions,
  type DecisionChange,
  type DecisionOutcome,
  outcomeOf,
  transitionLabel,
  verdictOf,
} from './compareDecisions.js'
import type { Decision } from './decision.js'
import { policyReasonCodes } from './reasonCodes.js'

/** A decision as replay reports it; `approvals` is there exactly when the request was held. */
export type ReplayVerdict = {
  allow: boolean
  reasons: readonly string[]
  approvals?: { required: number; reason: string }
}

/** A logged decision, as replay compares it: what was decided, and the input to decide it again. */
export type ReplayCase = {
  index: number
  requestDigest: string
  templateId: string
  recorded: ReplayVerdict
  /** The policy input rebuilt from the log: the recorded intent, the template, the instance, the time. */
  input: Record<string, unknown>
}

export type ReplayExample = {
  index: number
  requestDigest: string
  templateId: string
  recorded: ReplayVerdict & { outcome: DecisionOutcome }
  candidate: ReplayVerdict & { outcome: DecisionOutcome }
}

/**
 * One kind of change: how many, grouped by reason code, by template and by transition
 * (`allow->deny`, `held k=2->held k=3`), with a few examples. Reasons are the candidate's, or
 * for a change to allow the recorded ones it no longer gives.
 */
export type ReplayChanges = {
  count: number
  byReason: Record<string, number>
  byTemplate: Record<string, number>
  byTransition: Record<string, number>
  examples: ReplayExample[]
}

export type ReplayReport = {
  replayed: number
  unchanged: number
  /** Allowed or held before, denied by the candidate. */
  newlyDenied: ReplayChanges
  /** Denied before, allowed by the candidate. */
  newlyAllowed: ReplayChanges
  /** Denied by both, for other reasons. */
  reasonsChanged: ReplayChanges
  /** Allowed or denied before, held for approval by the candidate. */
  newlyHeld: ReplayChanges
  /** Held for approval before, allowed by the candidate without one. */
  noLongerHeld: ReplayChanges
  /** Held by both, for a different number of approvals (k). */
  approvalsChanged: ReplayChanges
}

/** Where each change is counted in the report. */
export const replayChangeGroups = {
  'newly-denied': 'newlyDenied',
  'newly-allowed': 'newlyAllowed',
  'reasons-changed': 'reasonsChanged',
  'newly-held': 'newlyHeld',
  'no-longer-held': 'noLongerHeld',
  'approvals-changed': 'approvalsChanged',
} as const satisfies Record<Exclude<DecisionChange, 'unchanged'>, keyof ReplayReport>

/**
 * Whether a logged denial came from the policy: every reason is a policy reason code. Refusals
 * from other stages (a bad signature, a revert in simulation, a limit, the kill switch) say
 * nothing of what the policy decided, so replaying them would report changes that are not.
 * A hold's reasons are all APPROVAL_REQUIRED, a policy code, so holds are replayed.
 */
export function isPolicyDecision(recorded: { allow: boolean; reasons: readonly string[] }): boolean {
  if (recorded.allow) return true
  return (
    recorded.reasons.length > 0 && recorded.reasons.every((code) => Object.hasOwn(policyReasonCodes, code))
  )
}

/**
 * Decides every case again with `evaluate` and reports what changes against the logged decision.
 * Pure apart from `evaluate`, which must not touch anything either: replay writes nothing.
 */
export function replayDecisions(
  cases: readonly ReplayCase[],
  evaluate: (input: Record<string, unknown>) => Decision,
  options: { examples?: number } = {},
): ReplayReport {
  const examples = options.examples ?? 5
  const report: ReplayReport = {
    replayed: 0,
    unchanged: 0,
    newlyDenied: emptyChanges(),
    newlyAllowed: emptyChanges(),
    reasonsChanged: emptyChanges(),
    newlyHeld: emptyChanges(),
    noLongerHeld: emptyChanges(),
    approvalsChanged: emptyChanges(),
  }
  for (const replayCase of cases) {
    const candidate = verdictOf(evaluate(replayCase.input))
    report.replayed += 1
    const { recorded } = replayCase
    const change = compareDecisions(recorded, candidate)
    if (change === 'unchanged') {
      report.unchanged += 1
      continue
    }
    const group = report[replayChangeGroups[change]]
    group.count += 1
    const codes = new Set(candidate.allow ? recorded.reasons : candidate.reasons)
    for (const code of codes) increment(group.byReason, code)
    increment(group.byTemplate, replayCase.templateId)
    increment(group.byTransition, transitionLabel(recorded, candidate))
    if (group.examples.length < examples)
      group.examples.push({
        index: replayCase.index,
        requestDigest: replayCase.requestDigest,
        templateId: replayCase.templateId,
        recorded: { ...recorded, outcome: outcomeOf(recorded) },
        candidate: { ...candidate, outcome: outcomeOf(candidate) },
      })
  }
  return report
}

function increment(counts: Record<string, number>, key: string) {
  counts[key] = (counts[key] ?? 0) + 1
}

function emptyChanges(): ReplayChanges {
  return { count: 0, byReason: {}, byTemplate: {}, byTransition: {}, examples: [] }
}
