import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { type RedisServerInstance, startRedisServer } from '../../../src/devtools/redisServer.js'
import type { RunningGateway } from '../../../src/main.js'
import { normalizeMetaTransaction } from '../../../src/pipeline/normalizeMetaTransaction.js'
import { relayQueueName } from '../../../src/relay/relayQueue.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'

/**
 * Redis killed (SIGKILL) and paused (SIGSTOP, then SIGCONT) in the middle of a stream of
 * concurrent meta-transactions, on a redis-server of the test's own (append-only file, fsync on
 * every write, in a temp dir, so a restart keeps what was acknowledged). Every request either
 * fails closed with 503 DEPENDENCY_UNAVAILABLE, within a bound, or is approved whole. After a
 * gateway restart (which reconciles what the outage left in flight), the records, the log, the
 * limit counter, the reservations and the relay queue agree, and a client retrying what failed
 * is approved exactly once.
 */
const harness = createGatewayHarness()
let redis: RedisServerInstance
let dataDir: string
let persistDir: string
let gateway: RunningGateway
let token: string
let instanceId: string
const answerBoundMs = 20_000

const gatewayEnv = () => ({
  REDIS_URL: redis.url,
  REDIS_COMMAND_TIMEOUT_MS: '1000',
  GATEWAY_ID: 'gw-redis',
  DATA_DIR: dataDir,
})

beforeAll(async () => {
  persistDir = mkdtempSync(join(tmpdir(), 'intentgate-redis-'))
  dataDir = mkdtempSync(join(tmpdir(), 'intentgate-redis-log-'))
  redis = await startRedisServer({ persistDir })
  gateway = await harness.start(gatewayEnv(), { role: 'api' })
  ;({ token, instanceId } = await demoInstance(harness, gateway, {
    intent: {
      limits: [{ id: 'instance-votes', scope: 'instance', metric: 'count', window: '1d', max: '100000' }],
    },
  }))
}, 60_000)
afterAll(async () => {
  await harness.stopAll()
  if (redis.process.child.signalCode === null) redis.process.child.kill('SIGCONT')
  await redis?.stop()
})

type Outcome = {
  body: Awaited<ReturnType<typeof signForwardRequest>>
  status: number | 'error'
  code?: string
  ms: number
}

const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })

/** Sends `count` requests from fresh users, `spacingMs` apart, each timed; never throws. */
async function stream(count: number, spacingMs: number): Promise<Outcome[]> {
  const addresses = await fixtureAddresses()
  const sent: Promise<Outcome>[] = []
  for (let index = 0; index < count; index++) {
    const body = await signForwardRequest({
      account: freshUser(),
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
      to: addresses.targets.communityPoll,
      data: vote,
      nonce: 0n,
    })
    const started = performance.now()
    sent.push(
      callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body })
        .then((response) => ({
          body,
          status: response.status,
          ...(response.body.error ? { code: response.body.error.code } : {}),
          ms: performance.now() - started,
        }))
        .catch(() => ({ body, status: 'error' as const, ms: performance.now() - started })),
    )
    await new Promise((resolve) => setTimeout(resolve, spacingMs))
  }
  return Promise.all(sent)
}

/** Each answer is an approval or a fail-closed 503, in bounded time; never a 500 or a dropped connection. */
function expectFailedClosedOrWhole(outcomes: Outcome[]) {
  for (const outcome of outcomes) {
    const shown = JSON.stringify({ status: outcome.status, code: outcome.code })
    expect([202, 503], shown).toContain(outcome.status)
    if (outcome.status === 503) expect(outcome.code, shown).toBe('DEPENDENCY_UNAVAILABLE')
    expect(outcome.ms, shown).toBeLessThan(answerBoundMs)
  }
}

/** Stops the gateway and starts it again on the same log and Redis: the start reconciles. */
async function restartGateway() {
  await harness.stopAll()
  gateway = await harness.start(gatewayEnv(), { role: 'api' })
}

async function waitForRedis() {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true })
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await client.ping().catch(() => undefined)) === 'PONG') return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error('redis did not come back')
  } finally {
    client.disconnect()
  }
}

const all: Outcome[] = []

describe('Redis faults mid-request', () => {
  test('paused (SIGSTOP) mid-stream: every request is approved whole or refused with 503, none hangs', async () => {
    const running = stream(30, 40)
    await new Promise((resolve) => setTimeout(resolve, 400))
    redis.process.child.kill('SIGSTOP')
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    redis.process.child.kill('SIGCONT')
    const outcomes = await running
    all.push(...outcomes)
    expectFailedClosedOrWhole(outcomes)
    expect(outcomes.some((outcome) => outcome.status === 202)).toBe(true)
    expect(outcomes.some((outcome) => outcome.status === 503)).toBe(true)
  })

  test('killed (SIGKILL) mid-stream and restarted on its append-only file: the same, and nothing acknowledged is lost', async () => {
    const running = stream(30, 40)
    await new Promise((resolve) => setTimeout(resolve, 400))
    redis.process.child.kill('SIGKILL')
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    redis = await startRedisServer({ port: redis.port, persistDir })
    const outcomes = await running
    all.push(...outcomes)
    expectFailedClosedOrWhole(outcomes)
    expect(outcomes.some((outcome) => outcome.status === 503)).toBe(true)
    await waitForRedis()
  }, 60_000)

  test('after a restart the records, the log, the counter, the reservations and the queue agree; retries are approved once', async () => {
    await restartGateway()
    const count = (status: number | 'error') => all.filter((outcome) => outcome.status === status).length
    console.info(`redis faults: ${count(202)} approved, ${count(503)} refused with 503, of ${all.length}`)
    const approved = all.filter((outcome) => outcome.status === 202)
    const refused = all.filter((outcome) => outcome.status !== 202)
    // A client retries what failed: each is approved now (decided afresh, or recovered from the log).
    for (const outcome of refused) {
      const retried = await callJson(gateway.url, 'POST', '/v1/meta-transactions', {
        bearer: token,
        body: outcome.body,
      })
      expect(retried.status, JSON.stringify(retried.body)).toBe(202)
    }
    // And a request approved during the outage gets its same answer again.
    for (const outcome of approved) {
      const again = await callJson(gateway.url, 'POST', '/v1/meta-transactions', {
        bearer: token,
        body: outcome.body,
      })
      expect(again.status).toBe(202)
    }
    const client = new Redis(redis.url)
    const queue = new Queue(relayQueueName(31337), { connection: client, prefix: `${harness.keyPrefix}bull` })
    try {
      const ids: string[] = []
      for (const outcome of all) {
        const answer = await callJson(gateway.url, 'POST', '/v1/meta-transactions', {
          bearer: token,
          body: outcome.body,
        })
        ids.push(String(answer.body.id))
      }
      expect(new Set(ids).size).toBe(all.length)
      expect(await client.zcard(`${harness.keyPrefix}inflight`)).toBe(0)
      let reservations = 0
      let cursor = '0'
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `${harness.keyPrefix}res:*`, 'COUNT', 1000)
        reservations += found.length
        cursor = next
      } while (cursor !== '0')
      // Nothing is relayed here (no worker): each approved request holds exactly its one reservation.
      expect(reservations).toBe(all.length)
      const counters = await client.keys(`${harness.keyPrefix}lim:instance-votes:instance:${instanceId}:*`)
      const used = (await client.mget(...counters)).reduce((sum, value) => sum + BigInt(value ?? '0'), 0n)
      expect(used).toBe(BigInt(all.length))
      for (const id of ids) {
        const record = await client.get(`${harness.keyPrefix}req:${id}`)
        expect(JSON.parse(record ?? '{}').status, id).toBe('queued')
        const state = await queue.getJobState(id)
        const inbox = await client.zscore(`${harness.keyPrefix}relay:inbox:31337`, id)
        // Queued, or held in the inbox for the worker's sweep to enqueue.
        expect(state === 'waiting' || inbox !== null, `${id}: ${state}`).toBe(true)
        const lookup = await callJson(gateway.url, 'GET', `/v1/audit/requests/${id}`, {
          bearer: harness.keys.admin.auditor,
        })
        const allows = (lookup.body.entries as { kind: string; decision?: string }[]).filter(
          (entry) => entry.kind === 'decision' && entry.decision === 'allow',
        )
        expect(allows.length, id).toBe(1)
      }
    } finally {
      await queue.close()
      client.disconnect()
    }
  }, 120_000)
})

describe('a sender-nonce claim left by a call that died before reserving', () => {
  test('is taken over by the next call of the same request, which is approved', async () => {
    const addresses = await fixtureAddresses()
    const body = await signForwardRequest({
      account: freshUser(),
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
      to: addresses.targets.communityPoll,
      data: vote,
      nonce: 0n,
    })
    const chain = gateway.services.pipeline.chains.get(31337)
    if (!chain) throw new Error('the gateway serves 31337')
    const { intent } = await normalizeMetaTransaction(chain, {
      ...body,
      value: BigInt(body.value),
      gas: BigInt(body.gas),
    })
    // What a call leaves when it claimed the nonce and then lost Redis (or died) before reserving.
    const client = new Redis(redis.url)
    try {
      const claimKey = `${harness.keyPrefix}nonce:31337:${addresses.forwarder}:${intent.sender}:0`
      await client.set(claimKey, `${intent.requestDigest} deadcall`, 'EX', 3_600)
      const answer = await callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body })
      expect(answer.status, JSON.stringify(answer.body)).toBe(202)
      expect((await client.get(claimKey))?.startsWith(`${intent.requestDigest} `)).toBe(true)
      expect(await client.get(claimKey)).not.toBe(`${intent.requestDigest} deadcall`)
    } finally {
      client.disconnect()
    }
  })
})
