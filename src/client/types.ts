import type { Address, Hex } from 'viem'

/** A rule's verdict as the gateway reports it: a stable code and a human message. */
export type Reason = { code: string; message: string }

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse) holding an in-toto statement. */
export type DsseEnvelope = {
  payloadType: string
  /** base64 of the statement's JSON */
  payload: string
  signatures: { keyid?: string; sig: string }[]
}

/** A decision or outcome logged by the gateway: its index in the transparency log and the signed envelope. */
export type Attestation = { logIndex: number; envelope: DsseEnvelope }

/** Every status a request can have; see `terminalRequestStatuses` for the final ones. */
export type RequestStatus =
  | 'denied'
  | 'queued'
  | 'awaiting_approval'
  | 'sponsored'
  | 'submitted'
  | 'confirmed'
  | 'reverted'
  | 'failed'
  | 'cancelled'

/** Statuses a request never leaves. */
export const terminalRequestStatuses: readonly RequestStatus[] = [
  'confirmed',
  'reverted',
  'failed',
  'cancelled',
  'denied',
]

type RequestCommon = {
  /** The request digest: for a meta-transaction, the EIP-712 hash the user signed. */
  id: Hex
  kind: 'meta-tx' | 'user-op'
  chainId: number
  instanceId: string
  templateId: string
  sender: Address
  /** ISO 8601 UTC. */
  createdAt: string
  decision: { allow: boolean; reasons: Reason[] }
  decisionAttestation: Attestation
  /** For a request the policy held for k-of-n operator approval: the approvals, while it waits and after. */
  approval?: RequestApproval
}

/** A held request's approval: how many operators must approve, who did (log index of each attestation), until when. */
export type RequestApproval = {
  required: number
  reason: string
  /** Unix seconds: not approved by then, it is cancelled with reason APPROVAL_EXPIRED. */
  expiresAt: number
  approvals: { by: string; at: string; logIndex: number }[]
  /** When it was approved, or ended unapproved. */
  decidedAt?: string
}

/** A request as `GET /v1/requests/:id` reports it, discriminated on `status`. */
export type RequestRecord =
  | (RequestCommon & { status: 'denied' | 'queued' | 'awaiting_approval' | 'sponsored' })
  /** Broadcast by `relayer` at its `nonce`; `txHash` is the latest attempt (replacements change it). */
  | (RequestCommon & { status: 'submitted'; txHash: Hex; relayer?: Address; nonce?: number })
  | (RequestCommon & { status: 'confirmed' | 'reverted' } & OnChainOutcome)
  | (RequestCommon & { status: 'cancelled'; reason?: Reason } & Partial<OnChainOutcome>)
  | (RequestCommon & { status: 'failed'; reason?: Reason; outcomeAttestation?: Attestation })

/** Where and at what cost a request's transaction landed, with the attestation of that outcome. */
export type OnChainOutcome = {
  txHash: Hex
  /** Decimal strings. `actualCostWei` is gasUsed × effective gas price: what the relayer paid. */
  blockNumber?: string
  gasUsed?: string
  actualCostWei?: string
  outcomeAttestation: Attestation
}

/** What `GET /v1/session` says the capability token stands for. */
export type Session = {
  instance: { id: string; params: Record<string, string>; intent: Record<string, unknown> }
  template: { id: string; digest: string; verificationLevel: number }
  capabilities: string[]
  /** The digest of the app's module or runtime, when the platform bound the token to one. */
  att?: string
  /** ISO 8601 UTC. */
  tokenExpiresAt: string
}

/** The gateway's 202 to an approved meta-transaction. */
export type MetaTransactionReceipt = {
  id: Hex
  /** `queued`, or `awaiting_approval` when the policy held it for operators (see `approval`). */
  status: RequestStatus
  attestation: Attestation
  approval?: { required: number; approvals: number; reason: string; expiresAt: number }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isRequestId = (value: unknown): value is Hex =>
  typeof value === 'string' && /^0x[0-9a-f]{64}$/.test(value)

/** Whether `value` looks like a logged attestation; the envelope's signature is for a verifier to check. */
export function isAttestation(value: unknown): value is Attestation {
  if (!isObject(value) || typeof value.logIndex !== 'number' || !isObject(value.envelope)) return false
  const { payloadType, payload, signatures } = value.envelope
  return typeof payloadType === 'string' && typeof payload === 'string' && Array.isArray(signatures)
}

/** Whether `value` is a list of `{code, message}` reasons. */
export function isReasonList(value: unknown): value is Reason[] {
  return (
    Array.isArray(value) &&
    value.every(
      (entry) => isObject(entry) && typeof entry.code === 'string' && typeof entry.message === 'string',
    )
  )
}

// The checks below cover what the client relies on, not every field: a newer gateway may add some.

/** Whether `value` is the 202 body of `POST /v1/meta-transactions`. */
export function isMetaTransactionReceipt(value: unknown): value is MetaTransactionReceipt {
  return (
    isObject(value) &&
    isRequestId(value.id) &&
    typeof value.status === 'string' &&
    isAttestation(value.attestation)
  )
}

/** Whether `value` is the body of `GET /v1/requests/:id`. */
export function isRequestRecord(value: unknown): value is RequestRecord {
  return (
    isObject(value) &&
    isRequestId(value.id) &&
    typeof value.status === 'string' &&
    isObject(value.decision) &&
    isAttestation(value.decisionAttestation)
  )
}

/** Whether `value` is the body of `GET /v1/session`. */
export function isSession(value: unknown): value is Session {
  return (
    isObject(value) &&
    isObject(value.instance) &&
    typeof value.instance.id === 'string' &&
    isObject(value.template) &&
    Array.isArray(value.capabilities) &&
    typeof value.tokenExpiresAt === 'string'
  )
}
