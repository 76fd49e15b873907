import { createHash } from 'node:crypto'
import { createSmartAccountClient } from 'permissionless'
import { toSimpleSmartAccount } from 'permissionless/accounts'
import { type Address, type Hex, http, parseEventLogs, type TransactionReceipt } from 'viem'
import { createPaymasterClient } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { expect } from 'vitest'
import { fixtureAccounts } from '../../../src/chain/anvilAccounts.js'
import { intentPaymasterAbi } from '../../../src/chain/artifacts/IntentPaymaster.js'
import { type AltoInstance, altoDevKeys, startAlto } from '../../../src/devtools/alto.js'
import { limitCounter } from '../../../src/limits/limitKeys.js'
import type { LimitToReserve } from '../../../src/limits/reserveLimits.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { callJson, createGatewayHarness, type GatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
import { fundedRelayerKeys, relayEnv } from '../../support/relayHarness.js'
import { type FixtureChain, startFixtureChain } from '../contracts/userOperationHarness.js'
import { demoInstance, statementOf } from '../pipeline/metaTxSetup.js'

export type UserOpEnvironment = {
  chain: FixtureChain
  /** The upstream bundler; undefined when the gateway bundles itself. */
  alto: AltoInstance | undefined
  /** The relayer keys' addresses when the gateway bundles itself (the bundles' beneficiaries). */
  relayers: readonly Address[]
  harness: GatewayHarness
  gateway: RunningGateway
  /** Another gateway process on the same Redis, chain and bundler, with settings of its own. */
  startGateway(env: Record<string, string>): Promise<RunningGateway>
  stop(): Promise<void>
}

/**
 * A private Anvil from the fixture and a gateway that signs for the fixture's IntentPaymaster.
 * With `bundler: 'alto'` (the default) the real Alto bundler runs against that Anvil and the
 * gateway forwards to it; with `bundler: 'self'` there is no Alto: the gateway has no BUNDLER_URL
 * and bundles with `handleOps` through its relay, with a freshly funded relayer key.
 */
export async function startUserOpEnvironment(
  env: Record<string, string> = {},
  options: { bundler?: 'alto' | 'self' } = {},
): Promise<UserOpEnvironment> {
  const chain = await startFixtureChain()
  const selfBundling = options.bundler === 'self'
  const alto = selfBundling
    ? undefined
    : await startAlto({
        rpcUrl: chain.anvil.url,
        entryPoint: chain.addresses.entryPoint,
        ...altoDevKeys(),
      }).catch(async (error: unknown) => {
        await chain.anvil.stop()
        throw error
      })
  const relayers = selfBundling ? await fundedRelayerKeys(chain.anvil.url, 1) : { keys: [], addresses: [] }
  const harness = createGatewayHarness()
  const gatewayEnv = {
    CHAIN_RPC_URLS: `${chain.addresses.chainId}=${chain.anvil.url}`,
    PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
    ...(alto ? { BUNDLER_URL: alto.url } : relayEnv(relayers.keys)),
    USER_OP_SWEEP_INTERVAL_MS: '200',
    ...env,
  }
  const gateway = await harness.start(gatewayEnv)
  return {
    chain,
    alto,
    relayers: relayers.addresses,
    harness,
    gateway,
    startGateway: (extra) => harness.start({ ...gatewayEnv, ...extra }),
    async stop() {
      await harness.stopAll()
      await alto?.stop()
      await chain.anvil.stop()
    },
  }
}

/**
 * A permissionless smart account client for a fresh SimpleAccount (v0.7) whose bundler and
 * paymaster are both the gateway's /rpc, with the capability token in a header.
 */
export async function smartAccountClient(
  environment: UserOpEnvironment,
  options: { token?: string; paymasterContext?: unknown; owner?: Hex; gateway?: RunningGateway },
) {
  const { chain } = environment
  const gateway = options.gateway ?? environment.gateway
  // A fresh owner by default: every client gets a new account, so per-sender limits start clean.
  const owner = privateKeyToAccount(options.owner ?? generatePrivateKey())
  const account = await toSimpleSmartAccount({
    client: chain.publicClient,
    owner,
    entryPoint: { address: chain.addresses.entryPoint, version: '0.7' },
  })
  const transport = http(`${gateway.url}/rpc`, {
    fetchOptions: options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {},
  })
  return createSmartAccountClient({
    account,
    chain: foundry,
    client: chain.publicClient,
    bundlerTransport: transport,
    paymaster: createPaymasterClient({ transport }),
    ...(options.paymasterContext === undefined ? {} : { paymasterContext: options.paymasterContext }),
  })
}

/** The UserOperationSponsored events of a receipt. */
export function sponsoredEvents(receipt: TransactionReceipt) {
  return parseEventLogs({ abi: intentPaymasterAbi, logs: receipt.logs, eventName: 'UserOperationSponsored' })
}

/** Polls GET /v1/requests/:id until the request leaves `sponsored`, and returns it. */
export async function waitForSettlement(gateway: RunningGateway, token: string, id: string) {
  for (let attempt = 0; attempt < 600; attempt++) {
    const response = await callJson(gateway.url, 'GET', `/v1/requests/${id}`, { bearer: token })
    if (response.status === 200 && response.body.status !== 'sponsored') return response.body
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`request ${id} did not settle`)
}

/** JSON-RPC call to the gateway's /rpc, returning the raw JSON-RPC answer. */
export async function rpc(
  gateway: RunningGateway,
  method: string,
  params: unknown[],
  options: { token?: string } = {},
): Promise<{ result?: unknown; error?: { code: number; message: string; data?: RpcErrorData } }> {
  const response = await fetch(`${gateway.url}/rpc`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  return (await response.json()) as {
    result?: unknown
    error?: { code: number; message: string; data?: RpcErrorData }
  }
}

export type RpcErrorData = {
  code: string
  reasons?: { code: string; message: string }[]
  attestation?: { logIndex: number; envelope: unknown }
}

/** The JSON-RPC error (code and data) inside whatever viem or permissionless threw. */
export function rpcErrorOf(error: unknown): { code: number; data?: RpcErrorData } {
  for (let current = error, depth = 0; current instanceof Error && depth < 10; depth++) {
    const { code, data } = current as { code?: unknown; data?: unknown }
    if (typeof code === 'number' && typeof data === 'object' && data !== null) {
      return { code, data: data as RpcErrorData }
    }
    current = current.cause
  }
  throw error
}

/**
 * An instance of the demo template on this environment's gateway, with its limits replaced by
 * `limits` and gas caps with room for an account deployment. Returns its token and id.
 */
export async function sponsoredInstance(environment: UserOpEnvironment, limits: readonly object[]) {
  const base = communityPollManifest({ chainId: environment.chain.addresses.chainId, expiresAt: farFuture })
  return demoInstance(environment.harness, environment.gateway, {
    overrides: {
      intent: {
        ...base.intent,
        limits,
        gas: { maxGasLimit: '3000000', maxFeePerGasWei: '100000000000', maxCostWei: '100000000000000000' },
      },
    },
  })
}

const farFuture = '2099-01-01T00:00:00Z'

/**
 * What every settled sponsored op must show, whoever bundled it: the paymaster's
 * UserOperationSponsored event names the decision's log entry; the outcome attestation points back
 * to that entry and records the op's userOpHash, tx hash and actual cost; the gasWei reservation
 * (the test instance's first limit) was reconciled down to that cost; and the request reads back by
 * its digest. Returns the settled record.
 */
export async function expectAttestedSettlement(
  environment: UserOpEnvironment,
  parameters: { token: string; userOpHash: Hex; receipt: TransactionReceipt; actualGasCost: bigint },
) {
  const { chain, gateway } = environment
  const { token, userOpHash, receipt, actualGasCost } = parameters
  const [sponsored] = sponsoredEvents(receipt)
  expect(sponsored?.args.userOpHash).toBe(userOpHash)
  const settled = await waitForSettlement(gateway, token, userOpHash)
  expect(settled).toMatchObject({ status: 'confirmed', txHash: receipt.transactionHash, kind: 'user-op' })
  const decision = settled.decisionAttestation as { logIndex: number; envelope: unknown }
  const logged = await gateway.services.log.entry(decision.logIndex)
  const decisionDigest = `0x${createHash('sha256').update(logged).digest('hex')}`
  expect(sponsored?.args.decisionDigest).toBe(decisionDigest)

  const outcome = outcomeOf(settled)
  expect(outcome.decisionEntry).toStrictEqual({
    logIndex: decision.logIndex,
    envelopeDigest: decisionDigest.slice(2),
  })
  expect(outcome.outcome).toMatchObject({
    status: 'confirmed',
    chainId: chain.addresses.chainId,
    userOpHash,
    txHash: receipt.transactionHash,
    actualCostWei: actualGasCost.toString(),
  })

  // The gasWei reservation (the op's maximum cost) is reconciled down to what it cost.
  const predicate = statementOf(decision.envelope).predicate as unknown as {
    limits: LimitToReserve[]
    decidedAt: string
  }
  const [reserved] = predicate.limits
  expect(reserved?.metric).toBe('gasWei')
  expect(BigInt(reserved?.amount ?? 0)).toBeGreaterThan(actualGasCost)
  const [counterKey] = limitCounter({
    prefix: environment.harness.keyPrefix,
    ...(reserved as LimitToReserve),
    now: Date.parse(predicate.decidedAt) / 1000,
  }).sumKeys
  const { redis } = await openRedis()
  try {
    expect(await redis.get(counterKey ?? '')).toBe(actualGasCost.toString())
  } finally {
    redis.disconnect()
  }

  const byId = await callJson(gateway.url, 'GET', `/v1/requests/${settled.id}`, { bearer: token })
  expect(byId.body).toMatchObject({ status: 'confirmed', userOperation: { userOpHash } })
  return settled
}

type OutcomePredicate = {
  decisionEntry: { logIndex: number; envelopeDigest: string }
  outcome: Record<string, unknown>
}

/** The predicate of a record's outcome attestation. */
export const outcomeOf = (record: Record<string, unknown>) =>
  statementOf((record.outcomeAttestation as { envelope: unknown }).envelope)
    .predicate as unknown as OutcomePredicate
