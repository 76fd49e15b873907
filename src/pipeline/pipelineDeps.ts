import type { ApprovalStore } from '../approvals/approvalStore.js'
import type { Attestor } from '../attest/attestationLog.js'
import type { AppAuthorizer } from '../auth/authorizeApp.js'
import type { ServedChain } from '../chain/servedChain.js'
import type { FailpointName } from '../failpoints.js'
import type { Intent } from '../intents/intent.js'
import type { RefusalBudget } from '../limits/refusalBudget.js'
import type { LimitStore } from '../limits/reserveLimits.js'
import type { Logger } from '../observability/logger.js'
import type { PolicyStore } from '../policy/policyStore.js'
import type { RelayQueues } from '../relay/relayQueue.js'
import type { RequestStore } from '../requests/requestStore.js'
import type { TemplateRegistry } from '../templates/registry.js'

/** What the decision pipeline touches, passed in by main.ts. Each stage uses only its part. */
export type PipelineDeps = {
  chains: ReadonlyMap<number, ServedChain>
  authorizer: AppAuthorizer
  /** Only to name the template in the attestation of a request refused for its template's state. */
  registry: Pick<TemplateRegistry, 'state'>
  policies: PolicyStore
  limits: LimitStore
  attestor: Attestor
  requests: RequestStore
  /** Where approved meta-transactions go to be relayed. */
  relay: Pick<RelayQueues, 'hold' | 'inboxEntry' | 'enqueue'>
  /** Where requests the policy holds for operator approval wait. */
  hold: HoldDeps
  /** Unix seconds; injected so tests and replays can fix time. */
  now: () => number
  logger: Logger
  /** This process's GATEWAY_ID: whose log attests what it decides. */
  gatewayId: string
  /** Bounds the refusals of one instance that are attested (ATTESTED_REFUSALS_PER_MINUTE). */
  refusalBudget?: RefusalBudget
  /** Test-only crash points (FAILPOINTS); inert unless configured. See src/failpoints.ts. */
  failpoint?: (name: FailpointName) => void
}

/** What holding a request for operator approval needs. */
export type HoldDeps = {
  approvals: Pick<ApprovalStore, 'open' | 'discard'>
  /** How long a held request waits for its approvals at most (APPROVAL_WINDOW_SECONDS). */
  windowSeconds: number
  /** The operators who obtained a token of an instance: none of them may approve its requests. */
  tokenHolders: (instanceId: string) => Promise<string[]>
}

/** On whose authority a request is decided, as attested. */
export type DecisionSubject = { instanceId: string; templateId: string; templateDigest: string; att?: string }

/** One request on its way through the pipeline, after normalization. */
export type DecisionContext = {
  subject: DecisionSubject
  intent: Intent
  /** Unix seconds at which this request is decided. */
  now: number
  /** Data the app asked to have attested with the decision (a user operation's `webhookData`). */
  appData?: unknown
}
