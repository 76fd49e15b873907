import type { DsseEnvelope } from '../crypto/dsse.js'
import type { SigningKey } from '../crypto/ed25519.js'
import { encodeLogEntry, logEntryDigest } from './logEntry.js'
import type { AttestationStatement } from './statementSchemas.js'
import {
  type AdminActionStatementParameters,
  type ApprovalStatementParameters,
  buildAdminActionStatement,
  buildApprovalStatement,
  buildDecisionStatement,
  buildOutcomeStatement,
  type DecisionStatementParameters,
  type OutcomeStatementParameters,
  signStatement,
} from './statements.js'
import type { TransparencyLog } from './transparencyLog.js'

/** An attestation once it is durably in the log: what a client is given with its answer. */
export type LoggedAttestation = {
  /** The entry's index in the log, for inclusion proofs. */
  index: number
  envelope: DsseEnvelope
  /** SHA-256 of the logged bytes, lowercase hex: how an outcome points back to its decision. */
  envelopeDigest: string
}

export type AttestDecisionParameters = Omit<DecisionStatementParameters, 'gateway'>
export type AttestOutcomeParameters = Omit<OutcomeStatementParameters, 'gateway' | 'recordedAt'> & {
  recordedAt?: string
}
export type AttestAdminActionParameters = Omit<AdminActionStatementParameters, 'gateway' | 'at'> & {
  at?: string
}
export type AttestApprovalParameters = Omit<ApprovalStatementParameters, 'gateway'>

/** Signs statements and appends them to the log; each call resolves once its entry is durable. */
export type Attestor = {
  attestDecision(parameters: AttestDecisionParameters): Promise<LoggedAttestation>
  attestOutcome(parameters: AttestOutcomeParameters): Promise<LoggedAttestation>
  attestAdminAction(parameters: AttestAdminActionParameters): Promise<LoggedAttestation>
  /** An approval event of a held request; it carries its own time, the one the approval store saw. */
  attestApproval(parameters: AttestApprovalParameters): Promise<LoggedAttestation>
}

export type CreateAttestorParameters = {
  log: Pick<TransparencyLog, 'append'>
  /** The attestation key, which is not the log key: one signs statements, the other tree heads. */
  key: SigningKey
  gatewayId: string
  /** The clock for outcomes and admin actions given no time of their own. */
  now?: () => Date
}

/**
 * Builds, signs and logs attestations for one gateway. A decision carries its own time (the one
 * the policy saw, so it can be replayed); outcomes and admin actions default to now.
 */
export function createAttestor(parameters: CreateAttestorParameters): Attestor {
  const { log, key } = parameters
  const gateway = { id: parameters.gatewayId }
  const now = parameters.now ?? (() => new Date())

  async function appendStatement(statement: AttestationStatement): Promise<LoggedAttestation> {
    const envelope = signStatement(statement, key)
    const entry = encodeLogEntry(envelope)
    const { index } = await log.append(entry)
    return { index, envelope, envelopeDigest: logEntryDigest(entry) }
  }

  // Async methods, so a statement that fails to build is a rejection like a failed append.
  return {
    async attestDecision(decision) {
      return appendStatement(buildDecisionStatement({ ...decision, gateway }))
    },
    async attestOutcome({ recordedAt, ...outcome }) {
      return appendStatement(
        buildOutcomeStatement({ ...outcome, recordedAt: recordedAt ?? now().toISOString(), gateway }),
      )
    },
    async attestAdminAction({ at, ...action }) {
      return appendStatement(buildAdminActionStatement({ ...action, at: at ?? now().toISOString(), gateway }))
    },
    async attestApproval(approval) {
      return appendStatement(buildApprovalStatement({ ...approval, gateway }))
    },
  }
}
