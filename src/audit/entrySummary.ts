import { z } from 'zod'
import { type AttestationStatement, parseStatement, predicateTypes } from '../attest/statementSchemas.js'
import type { DsseEnvelope } from '../crypto/dsse.js'

/**
 * What the audit index and `intentgate audit show` know of one log entry without keeping it: its
 * kind, time, request and the fields auditors filter by. Outcomes and approval events carry no
 * template or instance of their own; the index fills those in from the decision of the same request.
 */
export type EntrySummary = {
  index: number
  kind: EntryKind
  /** The decision's decidedAt, the outcome's recordedAt, or the admin action's at (ISO 8601, UTC). */
  time: string
  requestDigest?: string
  templateId?: string
  instanceId?: string
  /** For decisions: allowed, denied, or held for human approval. */
  decision?: DecisionVerdict
  /** Reason codes of a decision, or the reason of a failed outcome. */
  reasons?: string[]
  /** For outcomes: how the request ended; for approval events: where the held request stands after. */
  status?: string
  txHash?: string
  userOpHash?: string
  /** For admin actions: who did what to which target; for approval events: the action and operator. */
  action?: string
  actor?: string
  target?: string
}

export type EntryKind = 'decision' | 'outcome' | 'approval' | 'admin-action'
export type DecisionVerdict = 'allow' | 'deny' | 'held'

export const entryKinds: readonly EntryKind[] = ['decision', 'outcome', 'approval', 'admin-action']
export const decisionVerdicts: readonly DecisionVerdict[] = ['allow', 'deny', 'held']

/** A log entry read as JSON, unverified: what the gateway serves and auditors verify themselves. */
export type DecodedEntry = { envelope: DsseEnvelope; statement: AttestationStatement; summary: EntrySummary }

export type DecodeEntryResult = { ok: true; entry: DecodedEntry } | { ok: false; message: string }

const envelopeSchema = z.strictObject({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.strictObject({ keyid: z.string().optional(), sig: z.string() })),
})

/**
 * Decodes a log entry into its envelope, statement and summary, without checking the signature:
 * the gateway indexes its own log this way, and the offline verifier is where signatures count.
 */
export function decodeEntry(index: number, bytes: Uint8Array): DecodeEntryResult {
  let envelope: DsseEnvelope
  let payload: unknown
  try {
    const parsed = envelopeSchema.safeParse(
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)),
    )
    if (!parsed.success) return { ok: false, message: `entry ${index} is not a DSSE envelope` }
    envelope = parsed.data
    payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'))
  } catch {
    return { ok: false, message: `entry ${index} is not JSON` }
  }
  const statement = parseStatement(payload)
  if (!statement.success)
    return { ok: false, message: `entry ${index} holds no statement this gateway writes` }
  return {
    ok: true,
    entry: { envelope, statement: statement.data, summary: summarizeStatement(index, statement.data) },
  }
}

/** The summary of one statement at `index`. */
export function summarizeStatement(index: number, statement: AttestationStatement): EntrySummary {
  switch (statement.predicateType) {
    case predicateTypes.decision: {
      const { predicate } = statement
      return {
        index,
        kind: 'decision',
        time: predicate.decidedAt,
        requestDigest: predicate.intent.requestDigest,
        templateId: predicate.template.id,
        instanceId: predicate.instance.id,
        decision: predicate.decision.allow ? 'allow' : predicate.approval ? 'held' : 'deny',
        reasons: predicate.decision.reasons.map((reason) => reason.code),
      }
    }
    case predicateTypes.outcome: {
      const { predicate } = statement
      const { outcome } = predicate
      return {
        index,
        kind: 'outcome',
        time: predicate.recordedAt,
        requestDigest: `0x${statement.subject[0].digest.keccak256}`,
        status: outcome.status,
        ...(outcome.reason ? { reasons: [outcome.reason.code] } : {}),
        ...(outcome.txHash ? { txHash: outcome.txHash } : {}),
        ...(outcome.userOpHash ? { userOpHash: outcome.userOpHash } : {}),
      }
    }
    case predicateTypes.approval: {
      const { predicate } = statement
      return {
        index,
        kind: 'approval',
        time: predicate.at,
        requestDigest: `0x${statement.subject[0].digest.keccak256}`,
        action: predicate.action,
        ...(predicate.actor ? { actor: predicate.actor.name } : {}),
        status: predicate.status,
        ...(predicate.reason ? { reasons: [predicate.reason.code] } : {}),
      }
    }
    default: {
      const { predicate } = statement
      return {
        index,
        kind: 'admin-action',
        time: predicate.at,
        action: predicate.action,
        actor: predicate.actor.name,
        target: predicate.target,
      }
    }
  }
}
