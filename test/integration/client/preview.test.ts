import { encodeFunctionData, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import {
  ClientConfigError,
  createIntentGateClient,
  GatewayResponseError,
  type IntentGateClient,
} from '../../../src/client/index.js'
import type { RunningGateway } from '../../../src/main.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import {
  anvilUrl,
  demoInstance,
  fixtureAddresses,
  freshUser,
  mintDemoToken,
  tokenCall,
} from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway
let token: string
let addresses: Awaited<ReturnType<typeof fixtureAddresses>>
let client: IntentGateClient

beforeAll(async () => {
  gateway = await harness.start()
  addresses = await fixtureAddresses()
  ;({ token } = await demoInstance(harness, gateway))
  client = createIntentGateClient({
    url: gateway.url,
    token,
    rpcUrl: anvilUrl,
    forwarder: addresses.forwarder,
  })
})
afterAll(() => harness.stopAll())

const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })

describe('client.preview', () => {
  test('previews, then sends exactly the request previewed', async () => {
    const account = freshUser()
    const deadline = Math.floor(Date.now() / 1000) + 600
    const request = { to: addresses.targets.communityPoll, data: vote(2n), deadline }
    const shown = await client.preview({ from: account.address, ...request })
    expect(shown.decision).toStrictEqual({ allow: true, reasons: [] })
    expect(shown.template).toMatchObject({ id: 'community-poll', publisher: 'intentgate demo' })
    expect(shown.calls.map((call) => call.description.text)).toStrictEqual(['Vote for option 2'])
    expect(shown.effects).toMatchObject({ source: 'eth_simulateV1', status: 'success', events: [] })

    const sent = await client.sendMetaTransaction({ account, ...request })
    expect(sent.id).toBe(shown.request.digest)
  })

  test('shows the token transfer, and the refusal the gateway would give', async () => {
    const account = freshUser()
    const recipient = freshUser().address
    await mintDemoToken(account.address, parseEther('200'))
    const shown = await client.preview({
      from: account.address,
      to: addresses.targets.demoToken,
      data: tokenCall('transfer', [recipient, parseEther('101')]),
    })
    expect(shown.effects.events).toStrictEqual([
      {
        kind: 'transfer',
        standard: 'erc20',
        token: addresses.targets.demoToken,
        from: account.address,
        to: recipient,
        amount: parseEther('101').toString(),
      },
    ])
    expect(shown.decision.allow).toBe(false)
    expect(shown.decision.reasons.map((reason) => reason.code)).toContain('TOKEN_AMOUNT_OVER_CAP')
  })

  test('without a forwarder it needs a chain id; gateway errors are typed', async () => {
    const bare = createIntentGateClient({ url: gateway.url, token })
    const request = { from: freshUser().address, to: addresses.targets.communityPoll, data: vote(1n) }
    await expect(bare.preview(request)).rejects.toBeInstanceOf(ClientConfigError)
    const shown = await bare.preview({ ...request, chainId: 31337 })
    expect(shown.decision.allow).toBe(true)

    const error = await bare.preview({ ...request, chainId: 8453 }).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(GatewayResponseError)
    expect(error).toMatchObject({ code: 'CHAIN_NOT_SERVED', status: 400 })
  })
})
