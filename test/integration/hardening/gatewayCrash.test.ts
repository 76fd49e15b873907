import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { encodeFunctionData } from 'viem'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import { type ManagedProcess, spawnUntilReady } from '../../../src/devtools/childProcess.js'
import { failpointNames } from '../../../src/failpoints.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureStatePath, repoRoot } from '../../support/paths.js'
import { openRedis } from '../../support/redisClient.js'
import {
  forwarderNonce,
  fundedRelayerKeys,
  limitUsage,
  relayEnv,
  waitForStatus,
} from '../../support/relayHarness.js'
import { demoInstance, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'

/**
 * The gateway process (a real `intentgate serve` child) is SIGKILLed at random points between
 * reserving a request's limits and enqueueing its relay job (the FAILPOINTS of src/failpoints.ts),
 * under a stream of concurrent meta-transactions, trial after trial on one log and one Redis
 * prefix. Each restart reconciles what the crash left in flight. Then a worker relays everything
 * and clients retry what they never got an answer for. Checked: no approved request is lost,
 * none is relayed twice, no reservation is left behind, the count limit equals what was approved,
 * and the log holds exactly one approval per request.
 */
const trials = 20
const requestsPerTrial = 6
const seed = Number(process.env.CRASH_TEST_SEED ?? 20_261_206)

let anvil: AnvilInstance
const harness = createGatewayHarness()
const children: ManagedProcess[] = []

beforeAll(async () => {
  anvil = await startAnvil({ stateFile: fixtureStatePath })
})
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop()))
  await harness.stopAll()
})
afterAll(() => anvil?.stop())

type Submitted = { id?: string; body: Awaited<ReturnType<typeof signForwardRequest>>; answered: boolean }

test(`${trials} crashes between reserve and enqueue lose nothing, relay nothing twice and leak no reservation`, {
  timeout: 420_000,
}, async () => {
  console.info(`gateway crash trials: seed ${seed} (set CRASH_TEST_SEED to replay)`)
  const plan = fc.sample(
    fc.record({
      point: fc.constantFrom(...failpointNames),
      hit: fc.integer({ min: 1, max: requestsPerTrial - 2 }),
    }),
    { numRuns: trials, seed },
  )
  const relayers = await fundedRelayerKeys(anvil.url, 2)
  const chainEnv = { CHAIN_RPC_URLS: `31337=${anvil.url}` }
  const admin = await harness.start(chainEnv, { role: 'api' })
  const instance = await demoInstance(harness, admin, {
    intent: {
      limits: [{ id: 'instance-votes', scope: 'instance', metric: 'count', window: '1d', max: '100000' }],
    },
  })
  const addresses = await fixtureAddresses()
  const dataDir = mkdtempSync(join(tmpdir(), 'intentgate-crash-'))
  const startApi = (failpoints: string) =>
    spawnUntilReady({
      name: 'gateway',
      command: process.execPath,
      args: ['--import', 'tsx', `${repoRoot}src/cli/main.ts`, 'serve', '--role', 'api'],
      env: {
        ...process.env,
        ...harness.env,
        ...chainEnv,
        GATEWAY_ID: 'gw-crash',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        FAILPOINTS: failpoints,
      },
      readyWhen: (line) => /"url":"(http:[^"]+)"/.exec(line)?.[1],
      timeoutMs: 60_000,
    }).then(({ process: child, ready }) => {
      children.push(child)
      return { child, url: ready }
    })
  const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
  const sign = () =>
    signForwardRequest({
      account: freshUser(),
      rpcUrl: anvil.url,
      forwarder: addresses.forwarder,
      to: addresses.targets.communityPoll,
      data: vote,
      nonce: 0n,
    })
  const submit = async (url: string, entry: Submitted) => {
    const response = await callJson(url, 'POST', '/v1/meta-transactions', {
      bearer: instance.token,
      body: entry.body,
    }).catch(() => undefined)
    if (response?.status === 202) {
      entry.id = String(response.body.id)
      entry.answered = true
    }
    return response
  }

  const submitted: Submitted[] = []
  let crashes = 0
  for (const [index, { point, hit }] of plan.entries()) {
    const { child, url } = await startApi(`${point}:${hit}`)
    const exited = new Promise<void>((resolve) => child.child.once('exit', () => resolve()))
    const batch: Submitted[] = await Promise.all(
      Array.from({ length: requestsPerTrial }, async () => ({ body: await sign(), answered: false })),
    )
    submitted.push(...batch)
    const answers = await Promise.all(batch.map((entry) => submit(url, entry)))
    await exited
    crashes++
    // Some requests got through before the crash, some did not: the point was reached mid-stream.
    expect(
      answers.filter((answer) => answer === undefined).length,
      `trial ${index} at ${point}:${hit}`,
    ).toBeGreaterThan(0)
    await child.stop()
  }
  expect(crashes).toBe(trials)

  // A clean restart reconciles the last crash; a worker relays; clients retry what got no answer.
  const { url } = await startApi('')
  await harness.start({ ...chainEnv, ...relayEnv(relayers.keys) }, { role: 'worker' })
  for (const entry of submitted.filter((candidate) => !candidate.answered)) {
    const retried = await submit(url, entry)
    expect(retried?.status, JSON.stringify(retried?.body)).toBe(202)
  }
  const views = []
  for (const entry of submitted) {
    views.push(
      await waitForStatus(
        url,
        instance.token,
        entry.id as string,
        ['confirmed', 'failed', 'reverted', 'cancelled'],
        120_000,
      ),
    )
  }
  // No approved request lost, none relayed twice: each user's forwarder nonce moved exactly once.
  expect(views.map((view) => view.status)).toStrictEqual(submitted.map(() => 'confirmed'))
  for (const entry of submitted) expect(await forwarderNonce(anvil.url, entry.body.from)).toBe(1n)

  const { redis } = await openRedis()
  try {
    // No reservation left behind, nothing in flight, and the count limit is what was approved.
    expect(await redis.zcard(`${harness.keyPrefix}inflight`)).toBe(0)
    const reservations: string[] = []
    let cursor = '0'
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${harness.keyPrefix}res:*`, 'COUNT', 1000)
      reservations.push(...found)
      cursor = next
    } while (cursor !== '0')
    expect(reservations).toStrictEqual([])
    const first = views[0]
    if (!first) throw new Error('no request was submitted')
    expect(await limitUsage(harness.keyPrefix, first)).toStrictEqual({
      'instance-votes': BigInt(submitted.length),
    })
  } finally {
    redis.disconnect()
  }

  // The log of the crashing gateway: one approval per request, and it is the one each record cites.
  const auditor = harness.keys.admin.auditor
  for (const entry of submitted) {
    const lookup = await callJson(url, 'GET', `/v1/audit/requests/${entry.id}`, { bearer: auditor })
    const allows = (lookup.body.entries as { kind: string; decision?: string }[] | undefined)?.filter(
      (summary) => summary.kind === 'decision' && summary.decision === 'allow',
    )
    expect(allows?.length, `${entry.id}: ${JSON.stringify(lookup.body).slice(0, 300)}`).toBe(1)
  }
})
