import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  parseEther,
  parseEventLogs,
} from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { demoBadgeAbi } from '../../../src/chain/artifacts/DemoBadge.js'
import { demoTokenAbi } from '../../../src/chain/artifacts/DemoToken.js'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
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
const { redis } = await openRedis()

beforeAll(async () => {
  gateway = await harness.start()
  addresses = await fixtureAddresses()
  // The demo template, plus the badge contract, so ERC-721 calls can be described and simulated.
  const base = communityPollManifest({ chainId: 31337, expiresAt: '2030-01-01T00:00:00Z' })
  const badgeCall = {
    to: addresses.targets.demoBadge,
    functions: [
      { signature: 'transferFrom(address,address,uint256)', description: 'Give badge #{2} to {1}' },
      { signature: 'approve(address,uint256)', description: 'Let {0} move badge #{1}' },
    ],
  }
  const tokenMulticall = { signature: 'multicall(bytes[])', description: 'Run a batch on IGDEMO' }
  const [pollCall, tokenCallEntry] = base.intent.calls
  if (!pollCall || !tokenCallEntry) throw new Error('the demo template lists the poll and the token')
  const calls = [
    pollCall,
    { ...tokenCallEntry, functions: [...tokenCallEntry.functions, tokenMulticall] },
    badgeCall,
  ]
  ;({ token } = await demoInstance(harness, gateway, {
    overrides: { intent: { ...base.intent, calls } },
    params: { poll: addresses.targets.communityPoll, token: addresses.targets.demoToken },
  }))
})
afterAll(async () => {
  await harness.stopAll()
  await redis.quit()
})

type Preview = {
  decision: { allow: boolean; reasons: { code: string; message: string }[] }
  checks: Record<string, { ok: boolean; detail?: string }>
  template: Record<string, unknown>
  calls: {
    path: string
    function?: string
    description: { source: string; text: string; parts: unknown[] }
  }[]
  effects: {
    source: string
    status: string
    revertReason?: string
    gasUsed?: string
    events?: Record<string, unknown>[]
    otherLogs?: number
  }
  gas: Record<string, string>
  request: { digest: Hex; nonce: string; sender: Address }
  limits: { id: string }[]
}

/** An unsigned forward request body, as a UI has it before asking the user to sign. */
function unsigned(from: Address, to: Address, data: Hex, extra: { value?: bigint; deadline?: number } = {}) {
  return {
    chainId: 31337,
    from,
    to,
    value: (extra.value ?? 0n).toString(),
    gas: '200000',
    deadline: extra.deadline ?? Math.floor(Date.now() / 1000) + 600,
    data,
  }
}

async function preview(body: unknown, bearer = token) {
  const response = await callJson(gateway.url, 'POST', '/v1/preview', { bearer, body })
  return { status: response.status, body: response.body as unknown as Preview & typeof response.body }
}

const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })

/** Every key under this harness's prefix with its contents: any write changes it. */
async function redisState(): Promise<Map<string, unknown>> {
  const state = new Map<string, unknown>()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${harness.keyPrefix}*`, 'COUNT', 500)
    cursor = next
    for (const key of keys) state.set(key, await contents(key))
  } while (cursor !== '0')
  return state
}

/** A key's value read by its type, in an order that does not depend on Redis's encoding. */
async function contents(key: string): Promise<unknown> {
  const type = await redis.type(key)
  if (type === 'string') return await redis.get(key)
  if (type === 'hash') return Object.entries(await redis.hgetall(key)).sort()
  if (type === 'set') return (await redis.smembers(key)).sort()
  if (type === 'zset') return await redis.zrange(key, 0, -1, 'WITHSCORES')
  if (type === 'list') return await redis.lrange(key, 0, -1)
  if (type === 'stream') return await redis.xrange(key, '-', '+')
  return type
}

describe('POST /v1/preview', () => {
  test('an unsigned vote: allowed, described by the template, badge, simulated, and nothing written', async () => {
    const user = freshUser()
    const before = { redis: await redisState(), log: gateway.services.log.size() }

    const deadline = Math.floor(Date.now() / 1000) + 600
    const response = await preview(
      unsigned(user.address, addresses.targets.communityPoll, vote(1n), { deadline }),
    )
    expect(response.status).toBe(200)
    const body = response.body
    expect(body.decision).toStrictEqual({ allow: true, reasons: [] })
    expect(body.checks).toStrictEqual({ deadline: { ok: true }, simulation: { ok: true } })
    expect(body.template).toMatchObject({
      id: 'community-poll',
      publisher: 'intentgate demo',
      verificationLevel: 2,
      verificationLevelName: 'audited',
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    })
    expect(body.calls).toStrictEqual([
      expect.objectContaining({
        path: '0',
        function: 'vote(uint256)',
        description: {
          source: 'template',
          text: 'Vote for option 1',
          parts: [{ text: 'Vote for option ' }, { arg: 0, type: 'uint256', value: '1' }],
        },
      }),
    ])
    expect(body.effects).toMatchObject({
      source: 'eth_simulateV1',
      status: 'success',
      events: [],
      otherLogs: 1,
    })
    expect(Number(body.effects.gasUsed)).toBeGreaterThan(20_000)
    expect(Number(body.effects.gasUsed)).toBeLessThan(200_000)
    expect(BigInt(body.gas.relayGasLimit ?? 0)).toBeGreaterThan(200_000n)
    expect(body.request).toMatchObject({ sender: user.address, nonce: '0' })
    expect(body.limits).toHaveLength(3)

    // Previewing twice changes nothing either: no counters, no request record, no log entry.
    await preview(unsigned(user.address, addresses.targets.communityPoll, vote(1n)))
    expect(await redisState()).toStrictEqual(before.redis)
    expect(gateway.services.log.size()).toBe(before.log)
    const record = await callJson(gateway.url, 'GET', `/v1/requests/${body.request.digest}`, {
      bearer: token,
    })
    expect(record.body.error?.code).toBe('REQUEST_NOT_FOUND')
    // The user can still submit the very request previewed, signed now: its id is the previewed digest.
    const signed = await signForwardRequest({
      account: user,
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
      to: addresses.targets.communityPoll,
      data: vote(1n),
      deadline,
    })
    const submitted = await callJson(gateway.url, 'POST', '/v1/meta-transactions', {
      bearer: token,
      body: signed,
    })
    expect(submitted.status).toBe(202)
    expect(submitted.body.id).toBe(body.request.digest)
  })

  test('a signature is checked when given', async () => {
    const user = freshUser()
    const signed = await signForwardRequest({
      account: user,
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
      to: addresses.targets.communityPoll,
      data: vote(2n),
    })
    const good = await preview(signed)
    expect(good.body.checks.signature).toStrictEqual({ ok: true })
    expect(good.body.decision.allow).toBe(true)

    const forged = await preview({ ...signed, from: freshUser().address })
    expect(forged.body.checks.signature?.ok).toBe(false)
    expect(forged.body.decision.allow).toBe(false)
    expect(forged.body.decision.reasons.map((reason) => reason.code)).toContain('REQUEST_SIGNATURE_INVALID')
  })

  test('an ERC-20 transfer shows the Transfer the forwarded sender would make', async () => {
    const user = freshUser()
    const recipient = freshUser().address
    await mintDemoToken(user.address, parseEther('10'))
    const data = tokenCall('transfer', [recipient, 5n])
    const { body } = await preview(unsigned(user.address, addresses.targets.demoToken, data))
    expect(body.decision.allow).toBe(true)
    expect(body.calls[0]?.description.text).toBe(`Send 5 base units of IGDEMO to ${recipient}`)
    expect(body.effects.events).toStrictEqual([
      {
        kind: 'transfer',
        standard: 'erc20',
        token: addresses.targets.demoToken,
        from: user.address,
        to: recipient,
        amount: '5',
      },
    ])
  })

  test('a multicall describes every inner call and shows each effect', async () => {
    const user = freshUser()
    const recipient = freshUser().address
    const spender = freshUser().address
    await mintDemoToken(user.address, parseEther('10'))
    const data = encodeFunctionData({
      abi: demoTokenAbi,
      functionName: 'multicall',
      args: [[tokenCall('transfer', [recipient, 3n]), tokenCall('approve', [spender, 7n])]],
    })
    const { body } = await preview(unsigned(user.address, addresses.targets.demoToken, data))
    expect(body.calls.map((call) => [call.path, call.description.text])).toStrictEqual([
      ['0', 'Run a batch on IGDEMO'],
      ['0.0', `Send 3 base units of IGDEMO to ${recipient}`],
      ['0.1', `Let ${spender} spend 7 base units of IGDEMO`],
    ])
    expect(body.effects.events).toStrictEqual([
      expect.objectContaining({
        kind: 'transfer',
        standard: 'erc20',
        from: user.address,
        to: recipient,
        amount: '3',
      }),
      expect.objectContaining({
        kind: 'approval',
        standard: 'erc20',
        owner: user.address,
        spender,
        amount: '7',
      }),
    ])
  })

  test('ERC-721 transfers and approvals are decoded as such', async () => {
    const owner = freshUser()
    const tokenId = await mintBadge(owner.address)
    const recipient = freshUser().address
    const move = encodeFunctionData({
      abi: demoBadgeAbi,
      functionName: 'transferFrom',
      args: [owner.address, recipient, tokenId],
    })
    const moved = await preview(unsigned(owner.address, addresses.targets.demoBadge, move))
    expect(moved.body.calls[0]?.description.text).toBe(`Give badge #${tokenId} to ${recipient}`)
    expect(moved.body.effects.events).toStrictEqual([
      {
        kind: 'transfer',
        standard: 'erc721',
        token: addresses.targets.demoBadge,
        from: owner.address,
        to: recipient,
        tokenId: tokenId.toString(),
      },
    ])

    const approve = encodeFunctionData({
      abi: demoBadgeAbi,
      functionName: 'approve',
      args: [recipient, tokenId],
    })
    const approved = await preview(unsigned(owner.address, addresses.targets.demoBadge, approve))
    expect(approved.body.effects.events).toStrictEqual([
      {
        kind: 'approval',
        standard: 'erc721',
        token: addresses.targets.demoBadge,
        owner: owner.address,
        approved: recipient,
        tokenId: tokenId.toString(),
      },
    ])

    // Someone else's badge: the simulation runs as that sender and reverts like the relay would.
    const stranger = freshUser()
    const stolen = await preview(unsigned(stranger.address, addresses.targets.demoBadge, move))
    expect(stolen.body.effects).toMatchObject({ status: 'reverted', events: [] })
    expect(stolen.body.effects.revertReason).toBe(
      `ERC721InsufficientApproval(${stranger.address}, ${tokenId})`,
    )
    expect(stolen.body.decision.reasons.map((reason) => reason.code)).toContain('SIMULATION_REVERTED')
  })

  test('a revert is reported with its reason, and an expired deadline as the pipeline would', async () => {
    const user = freshUser()
    const { body } = await preview(
      unsigned(user.address, addresses.targets.communityPoll, vote(99n), { deadline: 1_000 }),
    )
    expect(body.effects).toMatchObject({ status: 'reverted', revertReason: 'InvalidOption(99)' })
    expect(body.checks.deadline?.ok).toBe(false)
    expect(body.decision.allow).toBe(false)
    expect(body.decision.reasons.map((reason) => reason.code)).toEqual(
      expect.arrayContaining(['REQUEST_EXPIRED', 'SIMULATION_REVERTED']),
    )
  })

  test('a function the template does not list is denied and described by the gateway only', async () => {
    const user = freshUser()
    const data = tokenCall('mint', [user.address, 1n])
    const { body } = await preview(unsigned(user.address, addresses.targets.demoToken, data))
    expect(body.decision.allow).toBe(false)
    expect(body.decision.reasons.map((reason) => reason.code)).toContain('SELECTOR_NOT_ALLOWED')
    expect(body.calls[0]?.description).toMatchObject({
      source: 'gateway',
      text: `Call function 0x40c10f19 on ${addresses.targets.demoToken}, which this template does not list`,
    })
    expect(body.limits).toStrictEqual([])
    // The simulation still says what it would do: mint to the user.
    expect(body.effects.events).toStrictEqual([
      expect.objectContaining({ kind: 'transfer', standard: 'erc20', to: user.address, amount: '1' }),
    ])
  })

  test('a donation shows the ether the call moves', async () => {
    const user = freshUser()
    const data = encodeFunctionData({ abi: communityPollAbi, functionName: 'donate' })
    const { body } = await preview(
      unsigned(user.address, addresses.targets.communityPoll, data, { value: parseEther('0.001') }),
    )
    expect(body.decision.allow).toBe(true)
    expect(body.effects.events).toStrictEqual([
      {
        kind: 'transfer',
        standard: 'native',
        from: addresses.forwarder,
        to: addresses.targets.communityPoll,
        amount: parseEther('0.001').toString(),
      },
    ])
  })

  test('a kill switch or a revoked instance stops a preview as it stops a submission, unrecorded', async () => {
    const other = await demoInstance(harness, gateway)
    const body = unsigned(freshUser().address, addresses.targets.communityPoll, vote(1n))
    const operator = harness.keys.admin.operator
    const engaged = await callJson(gateway.url, 'POST', '/v1/admin/kill-switch', {
      bearer: operator,
      body: { scope: 'instance', target: other.instanceId, reason: 'preview drill' },
    })
    expect(engaged.status).toBe(201)
    const before = { redis: await redisState(), log: gateway.services.log.size() }
    const killed = await preview(body, other.token)
    expect({ status: killed.status, code: killed.body.error?.code }).toStrictEqual({
      status: 403,
      code: 'KILL_SWITCH',
    })
    expect(await redisState()).toStrictEqual(before.redis)
    expect(gateway.services.log.size()).toBe(before.log)

    const revoked = await callJson(gateway.url, 'POST', `/v1/admin/instances/${other.instanceId}/revoke`, {
      bearer: operator,
      body: { reason: 'preview drill' },
    })
    expect(revoked.status).toBe(200)
    const refused = await preview(body, other.token)
    expect({ status: refused.status, code: refused.body.error?.code }).toStrictEqual({
      status: 403,
      code: 'INSTANCE_REVOKED',
    })
  })

  test('gas no block could hold is a denial with the refusal of the node, never a 5xx', async () => {
    const body = unsigned(freshUser().address, addresses.targets.communityPoll, vote(1n))
    const { status, body: answer } = await preview({ ...body, gas: (10n ** 30n).toString() })
    expect(status).toBe(200)
    expect(answer.effects.status).toBe('reverted')
    expect(answer.effects.revertReason).toMatch(/^rejected by the node: /)
    expect(answer.decision.allow).toBe(false)
    expect(answer.decision.reasons.map((reason) => reason.code)).toEqual(
      expect.arrayContaining(['SIMULATION_REVERTED', 'GAS_LIMIT_OVER_CAP']),
    )
  })

  test('bad input and bad tokens get the documented errors', async () => {
    const user = freshUser()
    const body = unsigned(user.address, addresses.targets.communityPoll, vote(1n))
    const noToken = await callJson(gateway.url, 'POST', '/v1/preview', { body })
    expect({ status: noToken.status, code: noToken.body.error?.code }).toStrictEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    })
    const typo = await preview({ ...body, deadLine: 5 })
    expect({ status: typo.status, code: typo.body.error?.code }).toStrictEqual({
      status: 400,
      code: 'INVALID_REQUEST',
    })
    const otherChain = await preview({ ...body, chainId: 8453 })
    expect({ status: otherChain.status, code: otherChain.body.error?.code }).toStrictEqual({
      status: 400,
      code: 'CHAIN_NOT_SERVED',
    })
  })
})

/** A fresh account mints itself a badge straight on chain (funded by Anvil's setBalance); returns its id. */
async function mintBadge(to: Address): Promise<bigint> {
  const minter = freshUser()
  const client = createPublicClient({ chain: foundry, transport: http(anvilUrl) })
  await createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvilUrl) }).setBalance({
    address: minter.address,
    value: parseEther('1'),
  })
  const wallet = createWalletClient({ account: minter, chain: foundry, transport: http(anvilUrl) })
  const hash = await wallet.writeContract({
    address: addresses.targets.demoBadge,
    abi: demoBadgeAbi,
    functionName: 'mint',
    args: [to],
  })
  const receipt = await client.waitForTransactionReceipt({ hash })
  const [minted] = parseEventLogs({ abi: demoBadgeAbi, eventName: 'Transfer', logs: receipt.logs })
  if (!minted) throw new Error('the badge mint emitted no Transfer')
  return minted.args.tokenId
}
