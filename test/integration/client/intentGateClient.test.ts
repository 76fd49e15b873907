import { type AddressInfo, createServer } from 'node:net'
import { createPublicClient, encodeFunctionData, http } from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { issueCapabilityToken } from '../../../src/auth/capabilityToken.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import {
  ChainMismatchError,
  ChainReadError,
  createIntentGateClient,
  GatewayResponseError,
  type IntentGateClient,
  IntentGateClientError,
  IntentGateNetworkError,
  WaitForRequestTimeoutError,
} from '../../../src/client/index.js'
import type { RunningGateway } from '../../../src/main.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import {
  anvilUrl,
  demoInstance,
  fixtureAddresses,
  freshUser,
  statementOf,
  tokenCall,
} from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway
let instance: Awaited<ReturnType<typeof demoInstance>>
let addresses: Awaited<ReturnType<typeof fixtureAddresses>>
let client: IntentGateClient

beforeAll(async () => {
  gateway = await harness.start()
  addresses = await fixtureAddresses()
  instance = await demoInstance(harness, gateway)
  client = createIntentGateClient({
    url: gateway.url,
    token: instance.token,
    rpcUrl: anvilUrl,
    forwarder: addresses.forwarder,
  })
})
afterAll(() => harness.stopAll())

const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })

async function rejection(promise: Promise<unknown>): Promise<IntentGateClientError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  if (!(error instanceof IntentGateClientError))
    throw new Error(`expected a client error, got ${String(error)}`)
  return error
}

/** A local URL nothing listens on: a port the OS handed out and that was closed again. */
async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  return `http://127.0.0.1:${port}`
}

/** The envelope the gateway's own log holds at `logIndex`. */
async function loggedEnvelope(logIndex: number): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await gateway.services.log.entry(logIndex)))
}

describe('createIntentGateClient against a running gateway', () => {
  test('an approved vote returns its id, status and attestation, and getRequest reads the same request', async () => {
    const account = freshUser()
    const sent = await client.sendMetaTransaction({
      account,
      to: addresses.targets.communityPoll,
      data: vote(1n),
    })
    expect(sent).toMatchObject({ id: expect.stringMatching(/^0x[0-9a-f]{64}$/), status: 'queued' })
    expect(statementOf(sent.attestation.envelope).predicate.decision).toStrictEqual({
      allow: true,
      reasons: [],
    })
    expect(await loggedEnvelope(sent.attestation.logIndex)).toStrictEqual(sent.attestation.envelope)

    const record = await client.getRequest(sent.id)
    expect(record).toMatchObject({
      id: sent.id,
      kind: 'meta-tx',
      chainId: 31337,
      instanceId: instance.instanceId,
      sender: account.address,
      decision: { allow: true, reasons: [] },
      decisionAttestation: sent.attestation,
    })
  })

  test('a viem public client of the app, and an explicit matching chainId, work as well as an rpcUrl', async () => {
    const viaPublicClient = createIntentGateClient({
      url: gateway.url,
      token: instance.token,
      publicClient: createPublicClient({ chain: foundry, transport: http(anvilUrl) }),
      forwarder: addresses.forwarder,
    })
    const sent = await viaPublicClient.sendMetaTransaction({
      account: freshUser(),
      chainId: 31337,
      to: addresses.targets.communityPoll,
      data: vote(2n),
    })
    expect(sent.status).toBe('queued')
  })

  test('a call the template does not allow throws POLICY_DENIED with its reasons and the logged attestation', async () => {
    const user = freshUser()
    const error = await rejection(
      client.sendMetaTransaction({
        account: user,
        to: addresses.targets.demoToken,
        data: tokenCall('mint', [user.address, 1n]),
      }),
    )
    expect(error).toBeInstanceOf(GatewayResponseError)
    expect({ code: error.code, status: error.status }).toStrictEqual({ code: 'POLICY_DENIED', status: 403 })
    expect(error.reasons.map((reason) => reason.code)).toContain('SELECTOR_NOT_ALLOWED')
    expect(error.requestId).toEqual(expect.any(String))
    if (!error.attestation) throw new Error('a policy refusal carries its attestation')
    const statement = statementOf(error.attestation.envelope)
    expect(statement.predicate.decision.allow).toBe(false)
    expect(statement.predicate.decision.reasons.map((reason) => reason.code)).toContain(
      'SELECTOR_NOT_ALLOWED',
    )
    expect(await loggedEnvelope(error.attestation.logIndex)).toStrictEqual(error.attestation.envelope)
  })

  test('an expired capability token is TOKEN_EXPIRED, for a session read and for a send', async () => {
    const { token } = issueCapabilityToken({
      key: harness.keys.tokenKey,
      issuer: 'intentgate',
      audience: 'intentgate',
      instanceId: instance.instanceId,
      templateDigest: instance.templateDigest,
      capabilities: ['relay:meta-tx'],
      ttlSeconds: 3600,
      now: new Date(Date.now() - 2 * 3600 * 1000),
    })
    const expired = createIntentGateClient({
      url: gateway.url,
      token,
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
    })
    const onSession = await rejection(expired.getSession())
    expect(onSession).toMatchObject({ name: 'GatewayResponseError', code: 'TOKEN_EXPIRED', status: 401 })
    expect(onSession.message).not.toContain(token)

    const onSend = await rejection(
      expired.sendMetaTransaction({
        account: freshUser(),
        to: addresses.targets.communityPoll,
        data: vote(1n),
      }),
    )
    expect(onSend).toMatchObject({ code: 'TOKEN_EXPIRED', status: 401, attestation: undefined })
  })

  test('getSession reports the instance and template the token stands for', async () => {
    const session = await client.getSession()
    expect(session).toMatchObject({
      instance: { id: instance.instanceId },
      template: { id: 'community-poll', digest: instance.templateDigest, verificationLevel: 2 },
      capabilities: expect.arrayContaining(['relay:meta-tx']),
    })
  })

  test('a chainId other than the forwarder chain is refused before anything is signed', async () => {
    let asked = false
    const user = freshUser()
    const error = await rejection(
      client.sendMetaTransaction({
        account: {
          address: user.address,
          signTypedData: (typedData) => {
            asked = true
            return user.signTypedData(typedData)
          },
        },
        chainId: 8453,
        to: addresses.targets.communityPoll,
        data: vote(1n),
      }),
    )
    expect(error).toBeInstanceOf(ChainMismatchError)
    expect({ code: error.code, asked }).toStrictEqual({ code: 'CHAIN_MISMATCH', asked: false })
  })

  test('a forwarder address with no forwarder behind it is CHAIN_READ_FAILED, before anything is signed', async () => {
    const wrong = createIntentGateClient({
      url: gateway.url,
      token: instance.token,
      rpcUrl: anvilUrl,
      forwarder: freshUser().address,
    })
    const error = await rejection(
      wrong.sendMetaTransaction({
        account: freshUser(),
        to: addresses.targets.communityPoll,
        data: vote(1n),
      }),
    )
    expect(error).toBeInstanceOf(ChainReadError)
    expect(error.code).toBe('CHAIN_READ_FAILED')
    expect(error.message).not.toContain(anvilUrl)
  })

  test('a gateway that cannot be reached is a NETWORK_ERROR', async () => {
    const down = createIntentGateClient({ url: await closedPortUrl(), token: instance.token })
    const error = await rejection(down.getSession())
    expect(error).toBeInstanceOf(IntentGateNetworkError)
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', timedOut: false })
  })
})

describe('waitForRequest', () => {
  async function queuedVote() {
    return client.sendMetaTransaction({
      account: freshUser(),
      to: addresses.targets.communityPoll,
      data: vote(1n),
    })
  }

  test("resolves at 'queued' when asked to stop there, reporting the status once", async () => {
    const sent = await queuedVote()
    const seen: string[] = []
    const record = await client.waitForRequest(sent.id, {
      until: ['queued'],
      pollingInterval: 50,
      timeout: 5_000,
      onStatusChange: (update) => seen.push(update.status),
    })
    expect(record).toMatchObject({ id: sent.id, status: 'queued' })
    expect(seen).toStrictEqual(['queued'])
  })

  // Nothing relays in this gateway yet, so a queued request stays queued past the timeout.
  test('times out with a typed error naming the last status when the request does not settle', async () => {
    const sent = await queuedVote()
    const error = await rejection(client.waitForRequest(sent.id, { pollingInterval: 50, timeout: 300 }))
    expect(error).toBeInstanceOf(WaitForRequestTimeoutError)
    expect(error).toMatchObject({ code: 'WAIT_TIMEOUT', lastStatus: 'queued' })
    expect(error.shortMessage).toBe(`Request ${sent.id} did not settle within 300 ms`)
  })

  test('an id the instance does not own is REQUEST_NOT_FOUND at once, not a timeout', async () => {
    const error = await rejection(client.waitForRequest(`0x${'00'.repeat(32)}`, { timeout: 5_000 }))
    expect(error).toMatchObject({ code: 'REQUEST_NOT_FOUND', status: 404 })
  })
})
