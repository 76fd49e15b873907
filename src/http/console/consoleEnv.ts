import type { RecordAdminAction } from '../../admin/adminActions.js'
import type { ApprovalDeps } from '../../approvals/approvalDeps.js'
import type { AuditReader } from '../../audit/auditReader.js'
import type { AdminKeyVerifier } from '../../auth/adminKeys.js'
import type { ConsoleSession, ConsoleSessionStore, LoginRateLimiter } from '../../auth/consoleSessions.js'
import type { KillSwitch } from '../../killSwitch/killSwitch.js'
import type { LimitUsage } from '../../limits/limitUsage.js'
import type { DecisionRates } from '../../observability/decisionRates.js'
import type { DryRunDeps } from '../../pipeline/evaluateDryRun.js'
import type { InstanceStore } from '../../templates/instances.js'
import type { TemplateRegistry } from '../../templates/registry.js'
import type { RequestContextVariables } from '../middleware/requestContext.js'

/** What every console route may read from the context: the request's id and log, and the session. */
export type ConsoleVariables = RequestContextVariables & {
  session?: ConsoleSession
  sessionId?: string
}
export type ConsoleEnv = { Variables: ConsoleVariables }

/** Figures the live counters show besides the decision rates. */
export type ConsoleCounters = {
  rates: DecisionRates
  /** Relay outcomes this process counted, per chain and status. */
  relayOutcomes(): Promise<{ chain: string; status: string; count: number }[]>
  /** Relay jobs waiting or running, per chain (read from Redis). */
  queueDepth(): Promise<{ chainId: number; depth: number }[]>
  limitUsage(): Promise<LimitUsage[]>
}

export type ConsoleDeps = {
  verifyAdminKey: AdminKeyVerifier
  sessions: ConsoleSessionStore
  loginLimiter: LoginRateLimiter
  /** CONSOLE_COOKIE_SECURE: `auto` follows the request's scheme, `always` sets Secure on every login. */
  cookieSecure: 'auto' | 'always'
  audit: AuditReader
  registry: TemplateRegistry
  instances: InstanceStore
  killSwitch: KillSwitch
  /** Held requests: the same listing, approving and rejecting as the admin API. */
  approvals: ApprovalDeps
  recordAdminAction: RecordAdminAction
  dryRun: DryRunDeps
  counters: ConsoleCounters
}
