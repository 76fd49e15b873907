import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Address } from 'viem'
import { createAdminActionRecorder } from './admin/adminActions.js'
import type { ApprovalDeps } from './approvals/approvalDeps.js'
import { createApprovalStore } from './approvals/approvalStore.js'
import { createApprovalSweeper } from './approvals/sweepApprovals.js'
import type { Attestor } from './attest/attestationLog.js'
import type { TransparencyLog } from './attest/transparencyLog.js'
import { type AuditReader, createAuditReader } from './audit/auditReader.js'
import { createAdminKeyVerifier } from './auth/adminKeys.js'
import { createAppAuthorizer } from './auth/authorizeApp.js'
import { createCapabilityTokenVerifier, issueCapabilityToken } from './auth/capabilityToken.js'
import { createSelfBundler, type SelfBundlerDeps } from './bundler/selfBundler.js'
import { createUpstreamBundler } from './bundler/upstreamBundler.js'
import type { UserOperationBundler } from './bundler/userOperationBundler.js'
import type { ChainIdentity } from './chain/chainIdentity.js'
import type { ServedChain } from './chain/servedChain.js'
import type { Config } from './config/schema.js'
import type { PublicKeyInfo, SigningKey } from './crypto/ed25519.js'
import { nativeKeyAccount } from './crypto/nativeKeyAccount.js'
import { createFailpoint } from './failpoints.js'
import type { GatewayServices } from './http/routes/gatewayRoutes.js'
import { buildRpcMethods } from './http/rpc/rpcMethods.js'
import { createKillSwitch } from './killSwitch/killSwitch.js'
import { createRefusalBudget } from './limits/refusalBudget.js'
import { createLimitStore } from './limits/reserveLimits.js'
import type { DecisionRates } from './observability/decisionRates.js'
import { instrumentPipeline } from './observability/instrumentPipeline.js'
import type { Logger } from './observability/logger.js'
import type { Metrics } from './observability/metrics.js'
import type { PolicyStore } from './policy/policyStore.js'
import type { RedisKeys } from './redis/keys.js'
import type { RelayQueues } from './relay/relayQueue.js'
import { createRelayTransactionStore } from './relay/relayTransactionStore.js'
import { createRequestStore } from './requests/requestStore.js'
import { createBundlerClient } from './sponsor/bundlerClient.js'
import { createPaymasterSignerCheck } from './sponsor/paymasterSignerCheck.js'
import { createSponsorshipSettler } from './sponsor/settleSponsorships.js'
import { createSponsorApprovedOperation } from './sponsor/sponsorApprovedOperation.js'
import type { SponsorDeps } from './sponsor/sponsorDeps.js'
import { createSponsorshipStore, type SponsorshipStore } from './sponsor/sponsorshipStore.js'
import { createInstanceStore } from './templates/instances.js'
import { createTemplateRegistry } from './templates/registry.js'
import { verifyTemplateEnvelope } from './templates/verifyTemplate.js'

export type ServiceAdapters = {
  redis: Redis
  subscriber: Redis
  keys: RedisKeys
  logger: Logger
  tokenKey: SigningKey
  log: TransparencyLog
  attestor: Attestor
  /** The public half of the attestation key, which auditors verify entries with. */
  attestationKey: PublicKeyInfo
  policies: PolicyStore
  /** What live traffic decides with: `policies` itself, or it with a shadow candidate beside it. */
  livePolicies?: PolicyStore
  chains: ReadonlyMap<number, ServedChain>
  relay: Pick<RelayQueues, 'hold' | 'inboxEntry' | 'enqueue'>
  /** The fetch every user- or operator-set URL goes through (the outbound guard). */
  fetchFn?: typeof fetch
  /** The reader of this process's log, when main already made one (one index per log). */
  audit?: AuditReader
  /** Each served chain's genesis watch. */
  chainIdentities?: ReadonlyMap<number, ChainIdentity>
  /** Decision metrics: stage timings, the decisions counter, the console's per-minute rates. */
  observe?: { metrics: Pick<Metrics, 'decisions' | 'decisionStageDuration'>; rates?: DecisionRates }
  /** intentgate_gas_spent_wei_total, for sponsored user operations as they settle. */
  gasSpent?: SponsorDeps['gasSpent']
  /** The relayer keys' addresses per chain: with none for the sponsored chain, no self-bundling. */
  relayerAddresses?: ReadonlyMap<number, readonly Address[]>
}

/**
 * How long after an approval is decided the sweep may finish its follow-up in place of the
 * operator's call that decided it, which normally does so within a second: only a crash leaves it.
 */
const APPROVAL_RESUME_GRACE_SECONDS = 30

/**
 * Builds every domain service from the config and the adapters main.ts opened. Each service gets
 * only what it uses; nothing here touches the network until a request arrives.
 */
export function buildGatewayServices(config: Config, adapters: ServiceAdapters): GatewayServices {
  const { redis, subscriber, keys, logger, tokenKey, log, attestor, policies, chains, relay } = adapters
  const registry = createTemplateRegistry({
    redis,
    keys,
    verify: (envelope) =>
      verifyTemplateEnvelope(envelope, {
        authorities: config.templates.authorities,
        requiredSignatures: (level) => config.templates.signatureThresholds[level],
        now: new Date(),
      }),
  })
  const instances = createInstanceStore({
    redis,
    keys,
    registry,
    maxTokenTtlSeconds: config.tokens.maxTtlSeconds,
    issueToken: (request) =>
      issueCapabilityToken({
        key: tokenKey,
        issuer: config.tokens.issuer,
        audience: config.tokens.audience,
        instanceId: request.instanceId,
        templateDigest: request.templateDigest,
        capabilities: request.capabilities,
        ...(request.att ? { att: request.att } : {}),
        ttlSeconds: Math.min(request.ttlSeconds ?? config.tokens.ttlSeconds, config.tokens.maxTtlSeconds),
        maxTtlSeconds: config.tokens.maxTtlSeconds,
        now: new Date(),
      }),
  })
  const killSwitch = createKillSwitch({
    redis,
    subscriber,
    keys,
    maxStalenessMs: config.killSwitch.maxStalenessMs,
    logger,
  })
  const tokenKeys = [tokenKey, ...config.tokens.verificationKeys]
  const authorizer = createAppAuthorizer({
    redis,
    keys,
    killSwitch,
    verifyToken: createCapabilityTokenVerifier({
      keys: tokenKeys,
      issuer: config.tokens.issuer,
      audience: config.tokens.audience,
      maxTtlSeconds: config.tokens.maxTtlSeconds,
      now: () => new Date(),
    }),
  })
  const requests = createRequestStore({ redis, keys, retentionSeconds: config.requestRetentionSeconds })
  const limits = createLimitStore({ redis, prefix: keys.prefix })
  const now = () => Math.floor(Date.now() / 1000)
  const livePolicies = adapters.livePolicies ?? policies
  const approvalStore = createApprovalStore({
    redis,
    keys,
    retentionSeconds: config.requestRetentionSeconds,
  })
  const unobserved = {
    chains,
    authorizer,
    registry,
    policies: livePolicies,
    limits,
    attestor,
    requests,
    relay,
    hold: {
      approvals: approvalStore,
      windowSeconds: config.approvals.windowSeconds,
      tokenHolders: (instanceId: string) => instances.tokenHolders(instanceId),
    },
    now,
    logger,
    gatewayId: config.gatewayId,
    ...optional('failpoint', createFailpoint(config.failpoints)),
    refusalBudget: createRefusalBudget({
      redis,
      key: keys.refusals,
      perMinute: config.attestedRefusalsPerMinute,
      onExhausted: (instanceId) =>
        logger.warn(
          { instanceId },
          'attested refusals of this instance exhausted for this minute; answering unattested',
        ),
    }),
  }
  const pipeline = adapters.observe ? instrumentPipeline(unobserved, adapters.observe) : unobserved
  const sponsorships = createSponsorshipStore({
    redis,
    keys,
    retentionSeconds: config.requestRetentionSeconds,
  })
  // main.ts serves only the chain of CHAIN_ADDRESSES_FILE, whose paymaster this gateway signs for.
  const [sponsorChain] = chains.values()
  const signerKey = config.sponsorship.signerKey?.reveal()
  // libsecp256k1 signs every sponsorship: viem's signature, byte for byte, without its pure-JS curve work.
  const signer = signerKey ? nativeKeyAccount(signerKey) : undefined
  // Read only: whether a self-bundled op's bundle (or its cancel) is still followed by the relay.
  const relayTransactions = createRelayTransactionStore({ redis, prefix: keys.prefix })
  const sponsor: SponsorDeps | undefined =
    sponsorChain && signer
      ? {
          ...pipeline,
          chain: sponsorChain,
          signer,
          assertPaymasterTrustsSigner: createPaymasterSignerCheck({
            client: sponsorChain.client,
            paymaster: sponsorChain.addresses.paymaster,
            signer: signer.address,
          }),
          windowSeconds: config.sponsorship.windowSeconds,
          sponsorships,
          bundleInFlight: async (id) => (await relayTransactions.get(id)) !== undefined,
          killSwitch,
          instances,
          ...(adapters.gasSpent ? { gasSpent: adapters.gasSpent } : {}),
        }
      : undefined
  const recordAdminAction = createAdminActionRecorder({ redis, keys, logger, attestor })
  const approvals: ApprovalDeps = {
    approvals: approvalStore,
    requests,
    limits,
    attestor,
    killSwitch,
    instances,
    registry,
    relay,
    ...(sponsor ? { sponsorApproved: createSponsorApprovedOperation(sponsor) } : {}),
    recordAdminAction,
    now,
    logger,
  }
  const bundler = sponsorChain
    ? buildBundler(config, adapters, { chain: sponsorChain, requests, sponsorships, now })
    : undefined
  return {
    verifyAdminKey: createAdminKeyVerifier(config.adminKeys),
    recordAdminAction,
    registry,
    instances,
    killSwitch,
    authorizer,
    requests,
    log,
    policies,
    limits,
    pipeline,
    dryRun: { chains, policies, now, instances, registry },
    approvals,
    approvalSweeper: createApprovalSweeper(approvals, {
      intervalMs: config.approvals.sweepIntervalMs,
      graceSeconds: APPROVAL_RESUME_GRACE_SECONDS,
    }),
    audit: adapters.audit ?? createAuditReader({ log, attestationKeys: [adapters.attestationKey] }),
    rpcMethods: sponsorChain ? buildRpcMethods({ chain: sponsorChain, sponsor, bundler }) : [],
    findRequestByUserOpHash: (userOpHash) => sponsorships.requestOf(userOpHash),
    chainIdentities: adapters.chainIdentities ?? new Map(),
    // Each process settles under its own name, so a crashed one's claims simply time out.
    settler: sponsor
      ? createSponsorshipSettler(sponsor, {
          owner: `${config.gatewayId}:${randomBytes(4).toString('hex')}`,
          intervalMs: config.sponsorship.sweepIntervalMs,
        })
      : undefined,
  }
}

/**
 * The bundler behind /rpc: the upstream one at BUNDLER_URL, or else the gateway itself, bundling
 * through the relay with the chain's relayer keys; with neither, none (the bundler methods are off).
 */
function buildBundler(
  config: Config,
  adapters: ServiceAdapters,
  deps: Pick<SelfBundlerDeps, 'requests' | 'now'> & { chain: ServedChain; sponsorships: SponsorshipStore },
): UserOperationBundler | undefined {
  const bundlerUrl = config.sponsorship.bundlerUrl?.reveal()
  if (bundlerUrl) {
    return createUpstreamBundler({
      // A bundler simulates an op before it answers eth_sendUserOperation: give it longer than a probe.
      bundler: createBundlerClient({
        url: bundlerUrl,
        timeoutMs: Math.max(config.dependencyTimeoutMs, 15_000),
        ...(adapters.fetchFn ? { fetchFn: adapters.fetchFn } : {}),
      }),
      entryPoint: deps.chain.addresses.entryPoint,
      sponsorships: deps.sponsorships,
    })
  }
  const [beneficiary] = adapters.relayerAddresses?.get(deps.chain.chainId) ?? []
  if (!beneficiary) return undefined
  return createSelfBundler({ ...deps, queues: adapters.relay, beneficiary })
}

/** `{ [name]: value }`, or nothing when the value is undefined (exactOptionalPropertyTypes). */
function optional<Name extends string, Value>(name: Name, value: Value | undefined) {
  return (value === undefined ? {} : { [name]: value }) as Partial<Record<Name, Value>>
}
