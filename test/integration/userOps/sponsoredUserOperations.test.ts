import { createHash } from 'node:crypto'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { callJson } from '../../support/gatewayHarness.js'
import { demoInstance, statementOf } from '../pipeline/metaTxSetup.js'
import {
  smartAccountClient,
  sponsoredEvents,
  startUserOpEnvironment,
  type UserOpEnvironment,
  waitForSettlement,
} from './userOpEnvironment.js'

let environment: UserOpEnvironment
let token: string

/** The demo template with room for an account deployment and a gasWei budget to reconcile. */
const gasRoomy = (base: { limits: unknown[] }) => ({
  ...base,
  limits: [
    ...base.limits,
    { id: 'instance-gas', scope: 'instance', metric: 'gasWei', window: '1d', max: '1000000000000000000' },
  ],
  gas: { maxGasLimit: '3000000', maxFeePerGasWei: '100000000000', maxCostWei: '100000000000000000' },
})

beforeAll(async () => {
  environment = await startUserOpEnvironment()
  const { communityPollManifest } = await import('../../../src/templates/exampleManifest.js')
  const base = communityPollManifest({ chainId: 31337, expiresAt: '2099-01-01T00:00:00Z' })
  ;({ token } = await demoInstance(environment.harness, environment.gateway, {
    overrides: { intent: { ...base.intent, ...gasRoomy(base.intent), chains: [31337] } },
    params: {
      poll: environment.chain.addresses.targets.communityPoll,
      token: environment.chain.addresses.targets.demoToken,
    },
  }))
}, 120_000)
afterAll(() => environment?.stop())

const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })

describe('sponsored user operations through permissionless and Alto', () => {
  test('a first vote of a new account is sponsored, deploys the account, lands and is attested', async () => {
    const { chain, gateway } = environment
    const client = await smartAccountClient(environment, { token })
    const userOpHash = await client.sendUserOperation({
      calls: [{ to: chain.addresses.targets.communityPoll, data: vote(1n) }],
    })
    const { receipt, success } = await client.waitForUserOperationReceipt({ hash: userOpHash })
    expect(success).toBe(true)
    expect(await chain.publicClient.getCode({ address: client.account.address })).not.toBe(undefined)

    const [sponsored] = sponsoredEvents(receipt)
    expect(sponsored?.args.userOpHash).toBe(userOpHash)

    const settled = await waitForSettlement(gateway, token, userOpHash)
    expect(settled.status).toBe('confirmed')
    expect(settled.txHash).toBe(receipt.transactionHash)
    const decision = settled.decisionAttestation as { logIndex: number; envelope: unknown }
    const logged = await gateway.services.log.entry(decision.logIndex)
    const decisionDigest = `0x${createHash('sha256').update(logged).digest('hex')}`
    expect(sponsored?.args.decisionDigest).toBe(decisionDigest)

    const outcome = statementOf(
      (settled.outcomeAttestation as { envelope: unknown }).envelope,
    ) as unknown as {
      predicate: { decisionEntry: { envelopeDigest: string }; outcome: Record<string, unknown> }
    }
    expect(`0x${outcome.predicate.decisionEntry.envelopeDigest}`).toBe(decisionDigest)
    expect(outcome.predicate.outcome).toMatchObject({
      status: 'confirmed',
      userOpHash,
      txHash: receipt.transactionHash,
    })
    const response = await callJson(gateway.url, 'GET', `/v1/requests/${settled.id}`, { bearer: token })
    expect(response.body.status).toBe('confirmed')
  })
})
