import { compareDecisions } from './compareDecisions.js'
import type { Decision } from './decision.js'
import { policyReasonCodes } from './reasonCodes.js'

/** A logged decision, as replay compares it: what was decided, and the input to decide it again. */
export type ReplayCase = {
  index: number
  requestDigest: string
  templateId: string
  recorded: { allow: boolean; reasons: readonly string[] }
  /** The policy input rebuilt from the log: the recorded intent, the template, the instance, the time. */
  input: Record<string, unknown>
}

export type ReplayExample = {
  index: number
  requestDigest: string
  templateId: string
  recorded: { allow: boolean; reasons: readonly string[] }
  candidate: { allow: boolean; reasons: string[] }
}

/** One kind of change: how many, grouped by reason code and by template, with a few examples. */
export type ReplayChanges = {
  count: number
  byReason: Record<string, number>
  byTemplate: Record<string, number>
  examples: ReplayExample[]
}

export type ReplayReport = {
  replayed: number
  unchanged: number
  /** Allowed before, denied by the candidate; grouped by the candidate's reasons. */
  newlyDenied: ReplayChanges
  /** Denied before, allowed by the candidate; grouped by the reasons it no longer gives. */
  newlyAllowed: ReplayChanges
  /** Denied by both, for other reasons; grouped by the candidate's reasons. */
  reasonsChanged: ReplayChanges
}

/**
 * Whether a logged denial came from the policy: every reason is a policy reason code. Refusals
 * from other stages (a bad signature, a revert in simulation, a limit, the kill switch) say
 * nothing of what the policy decided, so replaying them would report changes that are not.
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
  }
  for (const replayCase of cases) {
    const decision = evaluate(replayCase.input)
    const candidate = {
      allow: decision.allow,
      reasons: [...new Set(decision.reasons.map((reason) => reason.code))],
    }
    report.replayed += 1
    const { recorded } = replayCase
    const change = compareDecisions(recorded, candidate)
    const group =
      change === 'newly-denied'
        ? report.newlyDenied
        : change === 'newly-allowed'
          ? report.newlyAllowed
          : change === 'reasons-changed'
            ? report.reasonsChanged
            : undefined
    if (!group) {
      report.unchanged += 1
      continue
    }
    group.count += 1
    const codes = group === report.newlyAllowed ? new Set(recorded.reasons) : new Set(candidate.reasons)
    for (const code of codes) group.byReason[code] = (group.byReason[code] ?? 0) + 1
    group.byTemplate[replayCase.templateId] = (group.byTemplate[replayCase.templateId] ?? 0) + 1
    if (group.examples.length < examples)
      group.examples.push({
        index: replayCase.index,
        requestDigest: replayCase.requestDigest,
        templateId: replayCase.templateId,
        recorded,
        candidate,
      })
  }
  return report
}

function emptyChanges(): ReplayChanges {
  return { count: 0, byReason: {}, byTemplate: {}, examples: [] }
}
