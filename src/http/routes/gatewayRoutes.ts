import type { Hono } from 'hono'
import type { RecordAdminAction } from '../../admin/adminActions.js'
import type { ApprovalDeps } from '../../approvals/approvalDeps.js'
import type { createApprovalSweeper } from '../../approvals/sweepApprovals.js'
import type { TransparencyLog } from '../../attest/transparencyLog.js'
import type { AuditReader } from '../../audit/auditReader.js'
import type { AdminKeyVerifier } from '../../auth/adminKeys.js'
import type { AppAuthorizer } from '../../auth/authorizeApp.js'
import type { ChainIdentity } from '../../chain/chainIdentity.js'
import type { KillSwitch } from '../../killSwitch/killSwitch.js'
import type { LimitStore } from '../../limits/reserveLimits.js'
import type { DryRunDeps } from '../../pipeline/evaluateDryRun.js'
import type { PipelineDeps } from '../../pipeline/pipelineDeps.js'
import type { PolicyStore } from '../../policy/policyStore.js'
import type { RequestStore } from '../../requests/requestStore.js'
import type { createSponsorshipSettler } from '../../sponsor/settleSponsorships.js'
import type { InstanceStore } from '../../templates/instances.js'
import type { TemplateRegistry } from '../../templates/registry.js'
import type { RpcMethod } from '../rpc/rpcMethod.js'
import { rpcRoute } from '../rpc/rpcRoute.js'
import { acceptChainGenesisRoute } from './admin/acceptChainGenesis.js'
import { approveRequestRoute } from './admin/approveRequest.js'
import { changeTemplateStatusRoute } from './admin/changeTemplateStatus.js'
import { createInstanceRoute } from './admin/createInstance.js'
import { evaluatePolicyRoute } from './admin/evaluatePolicy.js'
import { getApprovalRoute } from './admin/getApproval.js'
import { getTemplateRoute } from './admin/getTemplate.js'
import { instanceTokensRoute } from './admin/instanceTokens.js'
import { killSwitchRoute } from './admin/killSwitch.js'
import { listApprovalsRoute } from './admin/listApprovals.js'
import { listTemplatesRoute } from './admin/listTemplates.js'
import { policyRoute } from './admin/policy.js'
import { publishTemplateRoute } from './admin/publishTemplate.js'
import { readInstancesRoute } from './admin/readInstances.js'
import { rejectRequestRoute } from './admin/rejectRequest.js'
import { replayPolicyRoute } from './admin/replayPolicy.js'
import { revokeInstanceRoute } from './admin/revokeInstance.js'
import { metaTransactionsRoute } from './app/metaTransactions.js'
import { previewRoute } from './app/preview.js'
import { requestsRoute } from './app/requests.js'
import { sessionRoute } from './app/session.js'
import { getCheckpointRoute } from './audit/getCheckpoint.js'
import { getConsistencyRoute } from './audit/getConsistency.js'
import { getEntryRoute } from './audit/getEntry.js'
import { getKeysRoute } from './audit/getKeys.js'
import { listEntriesRoute } from './audit/listEntries.js'
import { lookupRequestRoute } from './audit/lookupRequest.js'

export type GatewayServices = {
  verifyAdminKey: AdminKeyVerifier
  recordAdminAction: RecordAdminAction
  registry: TemplateRegistry
  instances: InstanceStore
  killSwitch: KillSwitch
  authorizer: AppAuthorizer
  requests: RequestStore
  limits: LimitStore
  log: TransparencyLog
  policies: PolicyStore
  pipeline: PipelineDeps
  dryRun: DryRunDeps
  /** Held requests: listing, approving, rejecting (src/approvals/). */
  approvals: ApprovalDeps
  /** Expires held requests and finishes interrupted approvals in the background. */
  approvalSweeper: ReturnType<typeof createApprovalSweeper>
  audit: AuditReader
  /** The JSON-RPC methods of POST /rpc (see src/http/rpc/rpcMethods.ts). */
  rpcMethods: RpcMethod[]
  findRequestByUserOpHash: (userOpHash: string) => Promise<string | undefined>
  /** Settles sponsored user operations in the background; absent when sponsorship is off. */
  settler: ReturnType<typeof createSponsorshipSettler> | undefined
  /** Each served chain's genesis watch (see src/chain/chainIdentity.ts). */
  chainIdentities: ReadonlyMap<number, ChainIdentity>
}

/** Mounts every API route beyond health and metrics, each built with only the services it needs. */
export function mountGatewayRoutes<Env extends object>(app: Hono<Env>, services: GatewayServices): void {
  const { verifyAdminKey, recordAdminAction, registry, instances, killSwitch, authorizer, requests } =
    services
  app.route('/', publishTemplateRoute({ verifyAdminKey, registry, recordAdminAction }))
  app.route('/', listTemplatesRoute({ verifyAdminKey, registry }))
  app.route('/', getTemplateRoute({ verifyAdminKey, registry }))
  app.route('/', changeTemplateStatusRoute({ verifyAdminKey, registry, recordAdminAction }, 'deprecate'))
  app.route('/', changeTemplateStatusRoute({ verifyAdminKey, registry, recordAdminAction }, 'revoke'))
  app.route('/', createInstanceRoute({ verifyAdminKey, instances, recordAdminAction }))
  app.route('/', readInstancesRoute({ verifyAdminKey, instances }))
  app.route('/', revokeInstanceRoute({ verifyAdminKey, instances, recordAdminAction }))
  app.route('/', instanceTokensRoute({ verifyAdminKey, instances, recordAdminAction }))
  app.route('/', killSwitchRoute({ verifyAdminKey, killSwitch, recordAdminAction }))
  app.route(
    '/',
    acceptChainGenesisRoute({ verifyAdminKey, chainIdentities: services.chainIdentities, recordAdminAction }),
  )
  app.route('/', evaluatePolicyRoute({ verifyAdminKey, dryRun: services.dryRun }))
  app.route('/', policyRoute({ verifyAdminKey, policies: services.policies, recordAdminAction }))
  app.route(
    '/',
    replayPolicyRoute({
      verifyAdminKey,
      policies: services.policies,
      audit: services.audit,
      registry,
      instances,
    }),
  )
  const approvalDeps = { verifyAdminKey, approvals: services.approvals }
  app.route('/', listApprovalsRoute(approvalDeps))
  app.route('/', getApprovalRoute(approvalDeps))
  app.route('/', approveRequestRoute(approvalDeps))
  app.route('/', rejectRequestRoute(approvalDeps))
  const auditDeps = { verifyAdminKey, audit: services.audit }
  app.route('/', getCheckpointRoute(auditDeps))
  app.route('/', listEntriesRoute(auditDeps))
  app.route('/', getEntryRoute(auditDeps))
  app.route('/', getConsistencyRoute(auditDeps))
  app.route('/', getKeysRoute(auditDeps))
  app.route('/', lookupRequestRoute(auditDeps))
  app.route('/', sessionRoute({ authorizer }))
  app.route('/', metaTransactionsRoute({ authorizer, pipeline: services.pipeline }))
  const { chains, policies, now } = services.pipeline
  app.route('/', previewRoute({ authorizer, preview: { chains, policies, now, authorizer, registry } }))
  app.route('/', requestsRoute({ authorizer, requests, findByUserOpHash: services.findRequestByUserOpHash }))
  app.route('/', rpcRoute({ methods: services.rpcMethods }))
}
