import { createHash } from 'node:crypto'
import { z } from 'zod'
import { canonicalJson } from '../crypto/canonicalJson.js'

/**
 * The attestations the gateway writes, as zod schemas: the builders in statements.ts parse what
 * they build with these, so whatever is signed is exactly what a verifier reading it with the
 * same schemas accepts. Each is an in-toto Statement v1 (https://in-toto.io/Statement/v1).
 *
 * Our own parts of a predicate are strict objects: a field this version does not define makes it
 * another version. The normalized intent and the limits are passed through whole, because the
 * intents and limits modules own their shapes; only the fields the log relies on are pinned.
 */

export const inTotoStatementType = 'https://in-toto.io/Statement/v1'
/** The DSSE payload type of an in-toto statement. */
export const inTotoPayloadType = 'application/vnd.in-toto+json'

export const predicateTypes = {
  decision: 'https://intentgate.dev/attestations/decision/v1',
  outcome: 'https://intentgate.dev/attestations/outcome/v1',
  adminAction: 'https://intentgate.dev/attestations/admin-action/v1',
  approval: 'https://intentgate.dev/attestations/approval/v1',
} as const

/** A request digest: 0x and 64 lowercase hex digits. */
const requestDigestSchema = z.string().regex(/^0x[0-9a-f]{64}$/, 'expected 0x and 64 lowercase hex digits')
const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')
const decimalSchema = z.string().regex(/^(0|[1-9][0-9]*)$/, 'expected a non-negative decimal integer')
const timeSchema = z.iso.datetime()
const gatewaySchema = z.strictObject({ id: z.string().min(1) })

/**
 * Reasons are recorded as given. The policy module checks their form; an attestation must never
 * fail to be written because a reason was worded oddly, since the decision stands either way.
 */
const reasonSchema = z.strictObject({ code: z.string().min(1), message: z.string() })

/** An in-toto ResourceDescriptor as this log uses it: a name and a digest set of lowercase hex. */
const subjectSchema = z.strictObject({
  name: z.string().min(1),
  digest: z.record(z.string().min(1), z.string().regex(/^[0-9a-f]+$/)),
})

/** The fields of the normalized Intent the log relies on; the rest is kept as given. */
const intentSchema = z.looseObject({
  kind: z.enum(['meta-tx', 'user-op']),
  chainId: z.number().int().positive(),
  sender: z.string().min(1),
  calls: z.array(z.looseObject({})),
  requestDigest: requestDigestSchema,
})

export const decisionPredicateSchema = z.strictObject({
  gateway: gatewaySchema,
  decidedAt: timeSchema,
  decision: z.strictObject({ allow: z.boolean(), reasons: z.array(reasonSchema) }),
  /** Present when the policy held the request for k-of-n human approval instead of deciding it. */
  approval: z.strictObject({ required: z.number().int().positive(), reason: z.string() }).optional(),
  template: z.strictObject({ id: z.string().min(1), digest: z.string().min(1) }),
  instance: z.strictObject({ id: z.string().min(1) }),
  /** The capability token's `att` claim (the app's runtime or module attestation), when it has one. */
  att: z.string().min(1).optional(),
  policy: z.strictObject({ revision: z.string(), digest: z.string() }),
  intent: intentSchema,
  /** The limits reserved for this decision, as the limits module describes them; empty for a denial. */
  limits: z.array(z.looseObject({})),
  /** JSON the app passed through to be attested with its request (a user operation's `webhookData`). */
  appData: z.json().optional(),
})

/** Terminal states of a decided request: the outcome statement is written once, at the end. */
export const outcomeStatuses = ['confirmed', 'reverted', 'failed', 'cancelled'] as const

export const outcomePredicateSchema = z.strictObject({
  gateway: gatewaySchema,
  recordedAt: timeSchema,
  /** The decision this outcome follows: its log index and the SHA-256 of its log entry bytes. */
  decisionEntry: z.strictObject({
    logIndex: z.number().int().nonnegative(),
    envelopeDigest: sha256HexSchema,
  }),
  outcome: z.strictObject({
    status: z.enum(outcomeStatuses),
    chainId: z.number().int().positive().optional(),
    txHash: requestDigestSchema.optional(),
    userOpHash: requestDigestSchema.optional(),
    blockNumber: decimalSchema.optional(),
    gasUsed: decimalSchema.optional(),
    /** What the gateway paid, in wei: gas used times the effective gas price. */
    actualCostWei: decimalSchema.optional(),
    /** Why a request failed or was cancelled. */
    reason: reasonSchema.optional(),
  }),
})

/** What happened to a held request: an operator approved or rejected it, it expired, or it was cancelled. */
export const approvalActions = ['approve', 'reject', 'expire', 'cancel'] as const
/** Where a held request stands after an approval event. */
export const approvalStatuses = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const

export const approvalPredicateSchema = z.strictObject({
  gateway: gatewaySchema,
  at: timeSchema,
  /** The held decision this event is about: its log index and the SHA-256 of its log entry bytes. */
  decisionEntry: z.strictObject({
    logIndex: z.number().int().nonnegative(),
    envelopeDigest: sha256HexSchema,
  }),
  action: z.enum(approvalActions),
  /** The operator who approved or rejected; absent when the gateway expired or cancelled the request. */
  actor: z.strictObject({ name: z.string().min(1), role: z.string().min(1) }).optional(),
  /** The distinct operators counted so far, in the order they were counted, and how many are needed. */
  approvals: z.strictObject({
    required: z.number().int().positive(),
    approvers: z.array(z.string().min(1)),
  }),
  status: z.enum(approvalStatuses),
  /** Why it was rejected, expired or cancelled. */
  reason: reasonSchema.optional(),
})

export const adminActionPredicateSchema = z.strictObject({
  gateway: gatewaySchema,
  at: timeSchema,
  actor: z.strictObject({ name: z.string().min(1), role: z.string().min(1) }),
  /** A stable dotted name such as `template.publish` or `kill-switch.engage`. */
  action: z.string().regex(/^[a-z][a-z0-9._:-]*$/, 'expected a lowercase dotted action name'),
  target: z.string(),
  detail: z.record(z.string(), z.unknown()),
})

function statementSchema<P extends string, S extends z.ZodType>(predicateType: P, predicate: S) {
  return z.strictObject({
    _type: z.literal(inTotoStatementType),
    subject: z.tuple([subjectSchema]),
    predicateType: z.literal(predicateType),
    predicate,
  })
}

/** The subject of a decision or outcome: the request, by its digest. */
export function requestSubject(requestDigest: string) {
  return { name: `request:${requestDigest}`, digest: { keccak256: requestDigest.slice(2) } }
}

/**
 * The subject of an admin action: what was acted on, with the SHA-256 of the canonical JSON of
 * {action, target, detail}, so two actions on one target have different subjects.
 */
export function adminActionSubject(action: string, target: string, detail: Record<string, unknown>) {
  const digest = createHash('sha256').update(canonicalJson({ action, target, detail })).digest('hex')
  return { name: `admin:${action}:${target}`, digest: { sha256: digest } }
}

export const decisionStatementSchema = statementSchema(
  predicateTypes.decision,
  decisionPredicateSchema,
).superRefine((statement, context) => {
  const expected = requestSubject(statement.predicate.intent.requestDigest)
  if (canonicalJson(statement.subject[0]) !== canonicalJson(expected))
    context.addIssue({
      code: 'custom',
      path: ['subject'],
      message: "the subject is not the intent's request digest",
    })
})

/** Whether a statement's subject names a request by its digest, as outcomes and approvals must. */
function namesARequest(statement: { subject: [z.infer<typeof subjectSchema>] }): boolean {
  const [subject] = statement.subject
  const digest = subject.digest.keccak256
  return (
    digest !== undefined &&
    digest.length === 64 &&
    canonicalJson(subject) === canonicalJson(requestSubject(`0x${digest}`))
  )
}

export const outcomeStatementSchema = statementSchema(
  predicateTypes.outcome,
  outcomePredicateSchema,
).superRefine((statement, context) => {
  if (!namesARequest(statement))
    context.addIssue({ code: 'custom', path: ['subject'], message: 'the subject is not a request digest' })
})

export const approvalStatementSchema = statementSchema(
  predicateTypes.approval,
  approvalPredicateSchema,
).superRefine((statement, context) => {
  if (!namesARequest(statement))
    context.addIssue({ code: 'custom', path: ['subject'], message: 'the subject is not a request digest' })
})

export const adminActionStatementSchema = statementSchema(
  predicateTypes.adminAction,
  adminActionPredicateSchema,
).superRefine((statement, context) => {
  const { action, target, detail } = statement.predicate
  if (canonicalJson(statement.subject[0]) !== canonicalJson(adminActionSubject(action, target, detail)))
    context.addIssue({ code: 'custom', path: ['subject'], message: 'the subject does not match the action' })
})

export type DecisionStatement = z.infer<typeof decisionStatementSchema>
export type OutcomeStatement = z.infer<typeof outcomeStatementSchema>
export type AdminActionStatement = z.infer<typeof adminActionStatementSchema>
export type ApprovalStatement = z.infer<typeof approvalStatementSchema>
export type DecisionPredicate = DecisionStatement['predicate']
export type OutcomePredicate = OutcomeStatement['predicate']
export type AdminActionPredicate = AdminActionStatement['predicate']
export type ApprovalPredicate = ApprovalStatement['predicate']

/** Any statement this gateway writes, told apart by its predicate type. */
export type AttestationStatement =
  | DecisionStatement
  | OutcomeStatement
  | AdminActionStatement
  | ApprovalStatement

const anyStatementSchema = z.discriminatedUnion('predicateType', [
  decisionStatementSchema,
  outcomeStatementSchema,
  adminActionStatementSchema,
  approvalStatementSchema,
])

/** Parses a statement of any of the four kinds; an unknown predicate type or a bad field fails. */
export function parseStatement(value: unknown): z.ZodSafeParseResult<AttestationStatement> {
  return anyStatementSchema.safeParse(value)
}
