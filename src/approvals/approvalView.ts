import { parseStatement, predicateTypes } from '../attest/statementSchemas.js'
import type { Reason } from '../errors/index.js'
import type { IntentKind } from '../intents/intent.js'
import type { RequestRecord } from '../requests/requestStore.js'
import type { ApprovalEntry, ApprovalStatus } from './approvalStore.js'
import { isoTime } from './completeApproval.js'

/**
 * A held request as operators see it, to decide on it: what it does (the normalized intent with
 * its decoded calls, exactly as the held decision attested it), for which template and instance,
 * why the policy held it, who approved so far, who may not, and until when.
 */
export type ApprovalView = {
  /** The request id (its digest). */
  id: string
  kind: IntentKind
  /** Where the approval stands. */
  status: ApprovalStatus
  /** The request's own status: awaiting_approval, then queued or sponsored once approved, or cancelled. */
  requestStatus: RequestRecord['status']
  chainId: number
  templateId: string
  templateDigest: string
  instanceId: string
  sender: string
  intent: unknown
  /** The policy's reason for holding it. */
  reason: string
  required: number
  approvals: { by: string; at: string }[]
  /** Operators who obtained a token of the instance that sent it: they may never approve it. */
  submitters: string[]
  createdAt: string
  expiresAt: string
  decisionAttestation: { logIndex: number }
  /** How it left pending: who ended it, when, and why. */
  closed?: { at: string; by?: string; reason?: Reason }
}

/** The operators' view of one held request, from its approval entry and its request record. */
export function approvalViewOf(entry: ApprovalEntry, record: RequestRecord): ApprovalView {
  const held = heldDecisionOf(record)
  return {
    id: entry.id,
    kind: entry.kind,
    status: entry.status,
    requestStatus: record.status,
    chainId: record.chainId,
    templateId: record.templateId,
    templateDigest: held?.template.digest ?? '',
    instanceId: record.instanceId,
    sender: record.sender,
    intent: held?.intent,
    reason: entry.reason,
    required: entry.required,
    approvals: entry.votes.map((vote) => ({ by: vote.by, at: isoTime(vote.at) })),
    submitters: entry.submitters,
    createdAt: isoTime(entry.createdAt),
    expiresAt: isoTime(entry.expiresAt),
    decisionAttestation: { logIndex: record.decisionAttestation.logIndex },
    ...(entry.status === 'pending'
      ? {}
      : {
          closed: {
            at: isoTime(entry.closedAt ?? entry.expiresAt),
            ...(entry.closedBy ? { by: entry.closedBy } : {}),
            ...(entry.closeReason ? { reason: entry.closeReason } : {}),
          },
        }),
  }
}

/** The predicate of the held decision a record was attested with, read from its envelope. */
function heldDecisionOf(record: RequestRecord) {
  const { payload } = record.decisionAttestation.envelope as { payload?: unknown }
  if (typeof payload !== 'string') return undefined
  const statement = parseStatement(JSON.parse(Buffer.from(payload, 'base64').toString('utf8')))
  return statement.success && statement.data.predicateType === predicateTypes.decision
    ? statement.data.predicate
    : undefined
}
