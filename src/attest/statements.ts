import { canonicalJson } from '../crypto/canonicalJson.js'
import { type DsseEnvelope, signEnvelope } from '../crypto/dsse.js'
import type { SigningKey } from '../crypto/ed25519.js'
import type { Intent } from '../intents/intent.js'
import {
  type AdminActionStatement,
  type ApprovalStatement,
  type AttestationStatement,
  adminActionStatementSchema,
  adminActionSubject,
  type approvalActions,
  approvalStatementSchema,
  type approvalStatuses,
  type DecisionStatement,
  decisionStatementSchema,
  inTotoPayloadType,
  inTotoStatementType,
  type OutcomeStatement,
  outcomeStatementSchema,
  type outcomeStatuses,
  predicateTypes,
  requestSubject,
} from './statementSchemas.js'

/**
 * Pure builders of the gateway's in-toto statements. Each builder lowercases the request digest,
 * drops undefined members, and parses the result with its schema, so it returns exactly the JSON
 * that will be signed, or throws (a ZodError) for input that is not a valid attestation.
 */

export type DecisionStatementParameters = {
  /** The request digest of the intent: 0x and 64 hex digits. */
  requestDigest: string
  decision: { allow: boolean; reasons: readonly { code: string; message: string }[] }
  /** Set when the policy asks for k-of-n human approval instead of deciding. */
  approval?: { required: number; reason: string }
  template: { id: string; digest: string }
  instance: { id: string }
  /** The capability token's `att` claim, when present. */
  att?: string
  policy: { revision: string; digest: string }
  /** The normalized intent, exactly as the policy saw it. */
  intent: Intent
  /** The limits reserved (none for a denial), as the limits module describes them. */
  limits: readonly object[]
  /** When the decision was made, ISO 8601 in UTC: the time the policy was given. */
  decidedAt: string
  /** JSON the app asked to have attested with its request (a user operation's `webhookData`). */
  appData?: unknown
  gateway: { id: string }
}

/** Builds the statement recording one decision, approval or denial alike. */
export function buildDecisionStatement(parameters: DecisionStatementParameters): DecisionStatement {
  const requestDigest = parameters.requestDigest.toLowerCase()
  if (parameters.intent.requestDigest.toLowerCase() !== requestDigest)
    throw new RangeError('the request digest is not the one of the intent')
  return decisionStatementSchema.parse(
    asJson({
      _type: inTotoStatementType,
      subject: [requestSubject(requestDigest)],
      predicateType: predicateTypes.decision,
      predicate: {
        gateway: parameters.gateway,
        decidedAt: parameters.decidedAt,
        decision: parameters.decision,
        approval: parameters.approval,
        template: parameters.template,
        instance: parameters.instance,
        att: parameters.att,
        policy: parameters.policy,
        intent: { ...parameters.intent, requestDigest },
        limits: parameters.limits,
        appData: parameters.appData,
      },
    }),
  )
}

export type OutcomeStatus = (typeof outcomeStatuses)[number]

export type OutcomeStatementParameters = {
  requestDigest: string
  /** Where the decision this outcome follows sits in the log. */
  decisionEntry: { logIndex: number; envelopeDigest: string }
  outcome: {
    status: OutcomeStatus
    chainId?: number
    txHash?: string
    userOpHash?: string
    blockNumber?: bigint | number | string
    gasUsed?: bigint | number | string
    actualCostWei?: bigint | number | string
    reason?: { code: string; message: string }
  }
  /** When the outcome was known, ISO 8601 in UTC. */
  recordedAt: string
  gateway: { id: string }
}

/** Builds the statement recording how a decided request ended, pointing back to its decision. */
export function buildOutcomeStatement(parameters: OutcomeStatementParameters): OutcomeStatement {
  const { outcome } = parameters
  return outcomeStatementSchema.parse(
    asJson({
      _type: inTotoStatementType,
      subject: [requestSubject(parameters.requestDigest.toLowerCase())],
      predicateType: predicateTypes.outcome,
      predicate: {
        gateway: parameters.gateway,
        recordedAt: parameters.recordedAt,
        decisionEntry: parameters.decisionEntry,
        outcome: {
          status: outcome.status,
          chainId: outcome.chainId,
          txHash: outcome.txHash?.toLowerCase(),
          userOpHash: outcome.userOpHash?.toLowerCase(),
          blockNumber: decimal(outcome.blockNumber),
          gasUsed: decimal(outcome.gasUsed),
          actualCostWei: decimal(outcome.actualCostWei),
          reason: outcome.reason,
        },
      },
    }),
  )
}

export type ApprovalStatementParameters = {
  requestDigest: string
  /** Where the held decision this event is about sits in the log. */
  decisionEntry: { logIndex: number; envelopeDigest: string }
  action: (typeof approvalActions)[number]
  /** The operator who approved or rejected; none when the gateway expired or cancelled the request. */
  actor?: { name: string; role: string }
  /** Distinct operators counted so far, in order, and how many are needed. */
  approvals: { required: number; approvers: readonly string[] }
  /** Where the request stands after this event. */
  status: (typeof approvalStatuses)[number]
  reason?: { code: string; message: string }
  /** When it happened, ISO 8601 in UTC. */
  at: string
  gateway: { id: string }
}

/**
 * Builds the statement recording one approval event of a held request (an operator's approval
 * or rejection, its expiry, its cancellation), pointing back to the held decision.
 */
export function buildApprovalStatement(parameters: ApprovalStatementParameters): ApprovalStatement {
  return approvalStatementSchema.parse(
    asJson({
      _type: inTotoStatementType,
      subject: [requestSubject(parameters.requestDigest.toLowerCase())],
      predicateType: predicateTypes.approval,
      predicate: {
        gateway: parameters.gateway,
        at: parameters.at,
        decisionEntry: parameters.decisionEntry,
        action: parameters.action,
        actor: parameters.actor && { name: parameters.actor.name, role: parameters.actor.role },
        approvals: {
          required: parameters.approvals.required,
          approvers: [...parameters.approvals.approvers],
        },
        status: parameters.status,
        reason: parameters.reason,
      },
    }),
  )
}

export type AdminActionStatementParameters = {
  actor: { name: string; role: string }
  /** A stable dotted name: `template.publish`, `template.revoke`, `kill-switch.engage`, `policy.swap`... */
  action: string
  target: string
  detail?: Record<string, unknown>
  /** When the action was taken, ISO 8601 in UTC. */
  at: string
  gateway: { id: string }
}

/** Builds the statement recording an operator's action. */
export function buildAdminActionStatement(parameters: AdminActionStatementParameters): AdminActionStatement {
  const detail = asJson(parameters.detail ?? {}) as Record<string, unknown>
  return adminActionStatementSchema.parse(
    asJson({
      _type: inTotoStatementType,
      subject: [adminActionSubject(parameters.action, parameters.target, detail)],
      predicateType: predicateTypes.adminAction,
      predicate: {
        gateway: parameters.gateway,
        at: parameters.at,
        actor: { name: parameters.actor.name, role: parameters.actor.role },
        action: parameters.action,
        target: parameters.target,
        detail,
      },
    }),
  )
}

/**
 * Signs a statement into a DSSE envelope: the payload is the canonical JSON (RFC 8785) of the
 * statement, so the same statement always yields the same payload bytes.
 */
export function signStatement(statement: AttestationStatement, key: SigningKey): DsseEnvelope {
  return signEnvelope(inTotoPayloadType, new TextEncoder().encode(canonicalJson(statement)), [key])
}

/** Round-trips through canonical JSON: drops undefined members, and throws for anything JSON cannot hold. */
function asJson(value: unknown): unknown {
  return JSON.parse(canonicalJson(value))
}

function decimal(value: bigint | number | string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw new RangeError(`${value} is not an exact integer; pass a bigint or a decimal string`)
  return typeof value === 'string' ? value : value.toString()
}
