import { type Address, createPublicClient, http, type LocalAccount, parseAbiItem } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { generateAdminKey, hashAdminKey } from '../../../src/auth/adminKeys.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import {
  callJson,
  createGatewayHarness,
  type GatewayHarness,
  type JsonResponse,
} from '../../support/gatewayHarness.js'
import { approveCall } from '../../support/relayHarness.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'

/**
 * A gateway harness whose admin keys are five people: alice, bob, dave and erin are operators and
 * carol an auditor. alice creates the instances (demoInstance publishes and creates as her), so
 * she is the submitter of their requests and never an approver.
 */
export function createApprovalHarness() {
  const harness = createGatewayHarness()
  const dave = generateAdminKey()
  const erin = generateAdminKey()
  const { operator, operator2, auditor } = harness.keys.admin
  const env = {
    ADMIN_KEYS: [
      `alice:operator:${hashAdminKey(operator)}`,
      `bob:operator:${hashAdminKey(operator2)}`,
      `carol:auditor:${hashAdminKey(auditor)}`,
      `dave:operator:${dave.hash}`,
      `erin:operator:${erin.hash}`,
    ].join(','),
    APPROVAL_SWEEP_INTERVAL_MS: '200',
  }
  const people = { alice: operator, bob: operator2, carol: auditor, dave: dave.key, erin: erin.key }
  // An hour's window and an hour between sweeps: nothing expires or is swept during a test unless
  // the test runs the sweep itself.
  const quietEnv = { ...env, APPROVAL_WINDOW_SECONDS: '3600', APPROVAL_SWEEP_INTERVAL_MS: '3600000' }
  return { harness, env, quietEnv, people }
}

export type People = ReturnType<typeof createApprovalHarness>['people']

/** The template intent change that holds DemoToken approvals (or transfers) above `amount` for `required` operators. */
export function heldAbove(amount: string, required = 2) {
  return { approvals: { required, tokenAmountsAbove: [{ token: '{{token}}', amount }] } }
}

/**
 * Signs, as `user`, a forward request approving a fresh spender for `amount` of DemoToken, and
 * submits it. Returns the answer and the signed body (to send the very same request again).
 */
export async function submitTokenApproval(
  gateway: RunningGateway,
  token: string,
  parameters: { user: LocalAccount; amount: bigint; spender?: Address; nonce?: bigint; deadline?: number },
) {
  const addresses = await fixtureAddresses()
  const spender = parameters.spender ?? privateKeyToAccount(generatePrivateKey()).address
  const body = await signForwardRequest({
    account: parameters.user,
    rpcUrl: anvilUrl,
    forwarder: addresses.forwarder,
    to: addresses.targets.demoToken,
    data: approveCall(spender, parameters.amount),
    ...(parameters.nonce === undefined ? {} : { nonce: parameters.nonce }),
    ...(parameters.deadline === undefined ? {} : { deadline: parameters.deadline }),
  })
  const answer = await callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body })
  return { answer, body, spender }
}

/**
 * A request held for `required` operators: a fresh instance (created by alice, so she is its
 * submitter) whose template holds DemoToken approvals above 10, and a fresh user's approval of 11.
 */
export async function holdTokenApproval(harness: GatewayHarness, gateway: RunningGateway, required = 2) {
  const instance = await demoInstance(harness, gateway, { intent: heldAbove('10', required) })
  const user = freshUser()
  const submitted = await submitTokenApproval(gateway, instance.token, { user, amount: 11n })
  if (submitted.answer.status !== 202) throw new Error(`not held: ${JSON.stringify(submitted.answer.body)}`)
  return { ...instance, user, ...submitted, id: String(submitted.answer.body.id) }
}

export const approve = (gateway: RunningGateway, id: string, key: string): Promise<JsonResponse> =>
  callJson(gateway.url, 'POST', `/v1/admin/approvals/${id}/approve`, { bearer: key })

export const reject = (gateway: RunningGateway, id: string, key: string, reason = 'not this one') =>
  callJson(gateway.url, 'POST', `/v1/admin/approvals/${id}/reject`, { bearer: key, body: { reason } })

/** The DemoToken allowance `owner` gave `spender`, read on chain. */
export async function allowanceOf(owner: Address, spender: Address): Promise<bigint> {
  const addresses = await fixtureAddresses()
  const client = createPublicClient({ chain: foundry, transport: http(anvilUrl) })
  return client.readContract({
    address: addresses.targets.demoToken,
    abi: [parseAbiItem('function allowance(address owner, address spender) view returns (uint256)')],
    functionName: 'allowance',
    args: [owner, spender],
  })
}

/** The decoded statement inside a DSSE envelope. */
export function statementIn(envelope: unknown): {
  predicateType: string
  predicate: Record<string, unknown>
} {
  const { payload } = envelope as { payload: string }
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8'))
}

/**
 * The approval events about `id` in the logs of `gateways`, as `action by`, sorted; `auditor` is
 * a key that may read them.
 */
export async function approvalEventsIn(
  gateways: RunningGateway[],
  id: string,
  auditor: string,
): Promise<string[]> {
  const events: string[] = []
  for (const gateway of gateways) {
    const lookup = await callJson(gateway.url, 'GET', `/v1/audit/requests/${id}`, { bearer: auditor })
    // A log that holds nothing about the request answers 404.
    if (lookup.status === 404) continue
    for (const entry of lookup.body.entries as { kind: string; index: number }[]) {
      if (entry.kind !== 'approval') continue
      const { statement } = await gateway.services.audit.entry(entry.index)
      const predicate = statement.predicate as { action: string; actor?: { name: string } }
      events.push(`${predicate.action} ${predicate.actor?.name ?? '-'}`)
    }
  }
  return events.sort()
}
