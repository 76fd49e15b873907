import {
  type Address,
  createPublicClient,
  createTestClient,
  encodeFunctionData,
  type Hex,
  http,
  type LocalAccount,
  parseEther,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { loadChainAddresses } from '../../src/chain/addresses.js'
import { demoTokenAbi } from '../../src/chain/artifacts/DemoToken.js'
import { intentForwarderAbi } from '../../src/chain/artifacts/IntentForwarder.js'
import { limitCounter } from '../../src/limits/limitKeys.js'
import type { LimitToReserve } from '../../src/limits/reserveLimits.js'
import type { RelayTransactionRecord } from '../../src/relay/relayTransactionStore.js'
import { signForwardRequest } from './forwardRequests.js'
import { callJson } from './gatewayHarness.js'
import { fixtureAddressesPath } from './paths.js'
import { openRedis } from './redisClient.js'

/**
 * Fresh relayer keys, funded straight on the Anvil through `anvil_setBalance`. Every test gets
 * keys of its own: keys shared between test files would have two nonce ledgers for one account.
 */
export async function fundedRelayerKeys(anvilUrl: string, count: number, balance = parseEther('100')) {
  const testClient = createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvilUrl) })
  const keys = Array.from({ length: count }, () => generatePrivateKey())
  for (const key of keys) {
    await testClient.setBalance({ address: privateKeyToAccount(key).address, value: balance })
  }
  return { keys, addresses: keys.map((key) => privateKeyToAccount(key).address) }
}

/** The environment of a gateway that relays with `keys`, following the chain quickly. */
export function relayEnv(
  keys: readonly Hex[],
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    RELAYER_KEYS: keys.map((key) => `31337=${key}`).join(','),
    RELAY_POLL_INTERVAL_MS: '100',
    RELAY_REPLACE_AFTER_MS: '5000',
    RELAY_JOB_LOCK_MS: '5000',
    ...overrides,
  }
}

export type RequestView = {
  id: string
  status: string
  txHash?: Hex
  blockNumber?: string
  gasUsed?: string
  actualCostWei?: string
  decisionAttestation: { logIndex: number; envelope: unknown }
  outcomeAttestation?: { logIndex: number; envelope: { payload: string } }
  reason?: { code: string; message: string }
}

/** Polls GET /v1/requests/:id until the request reaches one of `statuses`, or fails after `timeoutMs`. */
export async function waitForStatus(
  gatewayUrl: string,
  token: string,
  id: string,
  statuses: readonly string[],
  timeoutMs = 60_000,
): Promise<RequestView> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    const response = await callJson(gatewayUrl, 'GET', `/v1/requests/${id}`, { bearer: token })
    last = response.body
    if (response.status === 200 && statuses.includes(String(response.body.status))) {
      return response.body as unknown as RequestView
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(
    `request ${id} did not reach ${statuses.join('|')} in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
  )
}

/** The outcome predicate inside an outcome attestation. */
export function outcomeOf(view: RequestView) {
  if (!view.outcomeAttestation) throw new Error(`request ${view.id} has no outcome attestation`)
  const statement = JSON.parse(
    Buffer.from(view.outcomeAttestation.envelope.payload, 'base64').toString('utf8'),
  )
  return statement as {
    predicateType: string
    subject: { digest: { sha256?: string } & Record<string, string> }[]
    predicate: {
      decisionEntry: { logIndex: number; envelopeDigest: string }
      outcome: {
        status: string
        txHash?: string
        blockNumber?: string
        gasUsed?: string
        actualCostWei?: string
      }
    }
  }
}

/** What the limits a decision reserved stand at now, summed over their windows. */
export async function limitUsage(keyPrefix: string, view: RequestView): Promise<Record<string, bigint>> {
  const { payload } = view.decisionAttestation.envelope as { payload: string }
  const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
    predicate: { limits: LimitToReserve[] }
  }
  const { redis } = await openRedis()
  try {
    const usage: Record<string, bigint> = {}
    for (const limit of statement.predicate.limits) {
      const counter = limitCounter({ prefix: keyPrefix, ...limit, now: Math.floor(Date.now() / 1000) })
      const values = await redis.mget(...counter.sumKeys)
      usage[limit.id] = values.reduce((sum, value) => sum + BigInt(value ?? '0'), 0n)
    }
    return usage
  } finally {
    redis.disconnect()
  }
}

/** Transaction counts of an account: `latest` (mined) and `pending` (with the pool). */
export async function nonceCounts(anvilUrl: string, address: Address) {
  const client = createPublicClient({ chain: foundry, transport: http(anvilUrl) })
  const [latest, pending] = await Promise.all([
    client.getTransactionCount({ address, blockTag: 'latest' }),
    client.getTransactionCount({ address, blockTag: 'pending' }),
  ])
  return { latest, pending }
}

export const approveCall = (spender: Address, amount: bigint): Hex =>
  encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [spender, amount] })

/** The relay's stored record of a request's transaction, read straight from Redis. */
export async function relayRecord(keyPrefix: string, txId: string) {
  const { redis } = await openRedis()
  try {
    const raw = await redis.get(`${keyPrefix}relay:tx:${txId}`)
    return raw ? (JSON.parse(raw) as RelayTransactionRecord) : undefined
  } finally {
    redis.disconnect()
  }
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/**
 * Signs, as `user`, a forward request that approves `spender` for `amount` of DemoToken (it needs
 * no balance, so any fresh user can send any number of them), and submits it. Returns the id.
 */
export async function submitApprove(parameters: {
  gatewayUrl: string
  token: string
  rpcUrl: string
  user: LocalAccount
  amount?: bigint
  spender?: Address
}): Promise<string> {
  const addresses = await loadChainAddresses(fixtureAddressesPath)
  const body = await signForwardRequest({
    account: parameters.user,
    rpcUrl: parameters.rpcUrl,
    forwarder: addresses.forwarder,
    to: addresses.targets.demoToken,
    data: approveCall(
      parameters.spender ?? privateKeyToAccount(generatePrivateKey()).address,
      parameters.amount ?? 1n,
    ),
  })
  const accepted = await callJson(parameters.gatewayUrl, 'POST', '/v1/meta-transactions', {
    bearer: parameters.token,
    body,
  })
  if (accepted.status !== 202)
    throw new Error(`not accepted: ${accepted.status} ${JSON.stringify(accepted.body)}`)
  return String(accepted.body.id)
}

/** The forwarder nonce of `from`: how many of its forward requests have executed. */
export async function forwarderNonce(rpcUrl: string, from: Address): Promise<bigint> {
  const addresses = await loadChainAddresses(fixtureAddressesPath)
  const client = createPublicClient({ chain: foundry, transport: http(rpcUrl) })
  return client.readContract({
    address: addresses.forwarder,
    abi: intentForwarderAbi,
    functionName: 'nonces',
    args: [from],
  })
}
