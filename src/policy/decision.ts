import { z } from 'zod'
import { MAX_APPROVALS_REQUIRED } from '../templates/manifest.js'

/**
 * Reason codes the gateway itself gives when a policy cannot produce a decision. Policies
 * give their own codes (see policyReasonCodes); these mark a deny that came from failing
 * closed rather than from a rule.
 */
export const policyFailureCodes = {
  /** Evaluation threw: an abort inside the Wasm, a conflict, or input that is not JSON. */
  error: 'POLICY_ERROR',
  /** The entrypoint produced no value for this input. */
  undefined: 'POLICY_UNDEFINED',
  /** The policy called a builtin that neither the Wasm nor the SDK implements. */
  builtinMissing: 'POLICY_BUILTIN_MISSING',
  /** The entrypoint produced a value that is not a Decision. */
  resultInvalid: 'POLICY_RESULT_INVALID',
} as const

export type PolicyFailureCode = (typeof policyFailureCodes)[keyof typeof policyFailureCodes]

/** Largest uint256 has 78 decimal digits; anything longer cannot be an on-chain amount. */
const decimalString = z
  .string()
  .regex(
    /^(0|[1-9][0-9]{0,77})$/,
    'expected a non-negative integer as a decimal string without leading zeros',
  )

export const reasonSchema = z.object({
  /** Stable, machine-readable: clients and attestations match on it. */
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected an UPPER_SNAKE_CASE code'),
  /** For people; may change wording between policy revisions. */
  message: z.string().min(1),
})

export type Reason = z.infer<typeof reasonSchema>

/**
 * One counter the request must fit under. The gateway reserves every limit of an allowed
 * decision atomically, all or none, before it acts.
 *
 * The counter is identified by id, scope, keyParts and metric, and its window by windowKind
 * and windowSeconds; src/limits/limitKeys.ts turns these into Redis keys. The policy derives
 * one per template limit (policies/intentgate/decision.rego). Amounts are decimal strings
 * because wei values overflow JSON numbers.
 */
export const limitRequestSchema = z.object({
  /** The template limit this counts for, such as `sender-count-1d`; names its counters. */
  id: z.string().min(1),
  /** Whose counter: one per sender, per app instance, per template, or one for the gateway. */
  scope: z.enum(['sender', 'instance', 'template', 'global']),
  /**
   * Who the counter belongs to within its scope: `[instanceId, sender]` for sender,
   * `[instanceId]` for instance, `[templateId]` for template and `[]` for global. The policy,
   * not the caller, decides these, so they are part of the decision that gets attested.
   */
  keyParts: z.array(z.string().min(1)).default([]),
  /** What is counted: requests, native value sent, or the most gas the gateway may pay for. */
  metric: z.enum(['count', 'valueWei', 'gasWei']),
  /** How much this request adds to the counter. */
  amount: decimalString,
  /** The counter may not exceed this within one window. */
  max: decimalString,
  /** Length of the window in seconds. */
  windowSeconds: z.number().int().positive(),
  /** `utc-day`: aligned to UTC midnights; `rolling`: the last windowSeconds before now. */
  windowKind: z.enum(['utc-day', 'rolling']),
})

export type LimitRequest = z.infer<typeof limitRequestSchema>

/** The reason code every reason of a held decision carries; anything else in it is a denial. */
export const APPROVAL_REQUIRED = 'APPROVAL_REQUIRED'

/**
 * A policy's answer that a request within the template must still be approved by `required`
 * distinct operators before it is relayed or sponsored: "not yet" rather than "no".
 */
export const approvalRequestSchema = z.object({
  required: z.number().int().min(1).max(MAX_APPROVALS_REQUIRED),
  /** For the operators who decide, and for the audit log. */
  reason: z.string().min(1).max(2_000),
})

export type ApprovalRequest = z.infer<typeof approvalRequestSchema>

export const decisionSchema = z
  .object({
    allow: z.boolean(),
    reasons: z.array(reasonSchema),
    limits: z.array(limitRequestSchema),
    approvals: approvalRequestSchema.optional(),
  })
  .superRefine((decision, context) => {
    // A held answer is a deny that the policy would allow once approved; every field must say
    // so, because a held request is reserved and shown to operators who may let it through.
    // One that also carries a real denial, allows, or drops its limits must never reach them.
    const approvalReasons = decision.reasons.filter((reason) => reason.code === APPROVAL_REQUIRED)
    if (decision.approvals) {
      if (decision.allow)
        context.addIssue({
          code: 'custom',
          path: ['approvals'],
          message: 'an allowed decision cannot ask for approvals',
        })
      if (approvalReasons.length !== decision.reasons.length)
        context.addIssue({
          code: 'custom',
          path: ['reasons'],
          message: `a decision asking for approvals carries only ${APPROVAL_REQUIRED} reasons`,
        })
    } else if (approvalReasons.length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['approvals'],
        message: `a ${APPROVAL_REQUIRED} reason needs approvals: {required, reason}`,
      })
    }
    if (!decision.allow && !decision.approvals && decision.limits.length > 0) {
      context.addIssue({ code: 'custom', path: ['limits'], message: 'a denied decision reserves no limits' })
    }
    // An allow that carries reasons is ambiguous, and a deny without one cannot be explained
    // to the client or the auditor; both are treated as a malformed result.
    if (decision.allow && decision.reasons.length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['reasons'],
        message: 'an allowed decision must carry no reasons',
      })
    }
    if (!decision.allow && decision.reasons.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['reasons'],
        message: 'a denied decision must carry a reason',
      })
    }
  })

/**
 * What the policy decided for one request, and which counters an allow (or a request held for
 * approval) must reserve. `approvals` is present exactly when the request is held: `allow` is
 * then false and every reason is APPROVAL_REQUIRED.
 */
export type Decision = z.infer<typeof decisionSchema>

/** A deny with a single reason, as the gateway records it when it fails closed. */
export function denyDecision(code: string, message: string): Decision {
  return { allow: false, reasons: [{ code, message }], limits: [] }
}

/** Keeps a recorded reason readable and bounded however large the offending value was. */
const maxIssuesInMessage = 3

/**
 * Reads a policy result as a Decision. Never throws: anything malformed becomes a deny
 * with reason POLICY_RESULT_INVALID, so a broken policy cannot approve by accident.
 */
export function parseDecision(raw: unknown): Decision {
  const parsed = decisionSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.slice(0, maxIssuesInMessage).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'
    return `${path}: ${issue.message}`
  })
  const more = parsed.error.issues.length - issues.length
  const suffix = more > 0 ? `; and ${more} more` : ''
  return denyDecision(
    policyFailureCodes.resultInvalid,
    `policy result is not a decision: ${issues.join('; ')}${suffix}`,
  )
}
