import { z } from 'zod'

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

export const decisionSchema = z
  .object({
    allow: z.boolean(),
    reasons: z.array(reasonSchema),
    limits: z.array(limitRequestSchema),
  })
  .superRefine((decision, context) => {
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

/** What the policy decided for one request, and which counters an allow must reserve. */
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
