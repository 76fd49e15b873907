import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, createPublicClient, createTestClient, type Hex, http } from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import { type ManagedProcess, spawnUntilReady } from '../../../src/devtools/childProcess.js'
import { nonceKeyBase } from '../../../src/relay/nonceManager.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureStatePath, repoRoot } from '../../support/paths.js'
import { openRedis } from '../../support/redisClient.js'
import {
  eventually,
  forwarderNonce,
  fundedRelayerKeys,
  limitUsage,
  nonceCounts,
  outcomeOf,
  relayEnv,
  submitApprove,
  waitForStatus,
} from '../../support/relayHarness.js'
import { demoInstance, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'

// Anvil is paused and the worker killed here, so the chain is this file's own.
let anvil: AnvilInstance
const harness = createGatewayHarness()
const final = ['confirmed', 'reverted', 'failed', 'cancelled']
const children: ManagedProcess[] = []

beforeAll(async () => {
  anvil = await startAnvil({ stateFile: fixtureStatePath })
})
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop()))
  await harness.stopAll()
})
afterAll(() => anvil.stop())

const chainEnv = () => ({ CHAIN_RPC_URLS: `31337=${anvil.url}` })

/** Admits `count` requests from distinct users through an API-only gateway; no worker relays them yet. */
async function admit(count: number, relayerKeys: readonly Hex[]) {
  const api = await harness.start({ ...chainEnv(), ...relayEnv(relayerKeys) }, { role: 'api' })
  const addresses = await fixtureAddresses()
  const instance = await demoInstance(harness, api, { params: { dailyRequestCap: '1000' } })
  const users = Array.from({ length: count }, () => freshUser())
  const ids = await Promise.all(
    users.map((user) =>
      submitApprove({ gatewayUrl: api.url, token: instance.token, rpcUrl: anvil.url, user }),
    ),
  )
  return { api, instance, users, ids, addresses }
}

test('an instance revoked after approval stops the broadcast: the request fails, attested and refunded', {
  timeout: 60_000,
}, async () => {
  const relayers = await fundedRelayerKeys(anvil.url, 1)
  const { api, instance, ids, users } = await admit(1, relayers.keys)
  const revoked = await callJson(api.url, 'POST', `/v1/admin/instances/${instance.instanceId}/revoke`, {
    bearer: harness.keys.admin.operator,
    body: { reason: 'revoked while queued' },
  })
  expect(revoked.status).toBe(200)
  await harness.start({ ...chainEnv(), ...relayEnv(relayers.keys) }, { role: 'worker' })
  const { redis } = await openRedis()
  try {
    const record = await eventually('the failed request', async () => {
      const raw = await redis.get(`${harness.keyPrefix}req:${ids[0]}`)
      const parsed = raw ? JSON.parse(raw) : undefined
      return parsed?.status === 'failed' ? parsed : undefined
    })
    expect(record.reason.code).toBe('INSTANCE_REVOKED')
    expect(outcomeOf(record).predicate.outcome.status).toBe('failed')
    const usage = await limitUsage(harness.keyPrefix, record)
    expect(Object.values(usage).every((used) => used === 0n)).toBe(true)
  } finally {
    redis.disconnect()
  }
  expect(await forwarderNonce(anvil.url, users[0]?.address ?? '0x')).toBe(0n)
  expect(await relayerTransactions(relayers.addresses)).toStrictEqual([])
})

test('a request whose instance is revoked while its job waits for a place in flight is not broadcast after the wait', {
  timeout: 90_000,
}, async () => {
  const relayers = await fundedRelayerKeys(anvil.url, 1)
  const { api, instance, ids } = await admit(2, relayers.keys)
  const anvilControl = createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) })
  const { redis } = await openRedis()
  try {
    // One place, two jobs at once, and nothing mined: the first job's transaction stays in flight
    // and the second job waits at the gate, past the checks it used to run before waiting.
    await anvilControl.setAutomine(false)
    await harness.start(
      {
        ...chainEnv(),
        ...relayEnv(relayers.keys, { RELAY_MAX_IN_FLIGHT_PER_KEY: '1', RELAY_CONCURRENCY: '2' }),
      },
      { role: 'worker' },
    )
    const due = `${harness.keyPrefix}relay:due:31337`
    await eventually('one transaction in flight', async () =>
      (await redis.zcard(due)) === 1 ? true : undefined,
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    const revoked = await callJson(api.url, 'POST', `/v1/admin/instances/${instance.instanceId}/revoke`, {
      bearer: harness.keys.admin.operator,
      body: { reason: 'revoked while the job waited for a place' },
    })
    expect(revoked.status).toBe(200)
  } finally {
    await anvilControl.setAutomine(true)
    await anvilControl.mine({ blocks: 1 })
  }
  try {
    const records = await eventually('both requests settled', async () => {
      const raws = await Promise.all(ids.map((id) => redis.get(`${harness.keyPrefix}req:${id}`)))
      const parsed = raws.map((raw) => (raw ? JSON.parse(raw) : undefined))
      return parsed.every((record) => final.includes(record?.status)) ? parsed : undefined
    })
    // The one broadcast before the revocation lands; the one that waited fails, attested.
    expect(records.map((record) => record.status).sort()).toStrictEqual(['confirmed', 'failed'])
    const failed = records.find((record) => record.status === 'failed')
    expect(failed.reason.code).toBe('INSTANCE_REVOKED')
    expect(outcomeOf(failed).predicate.outcome.status).toBe('failed')
  } finally {
    redis.disconnect()
  }
  expect(await relayerTransactions(relayers.addresses)).toHaveLength(1)
})

/** Every transaction the relayer keys sent, read block by block from the chain. */
async function relayerTransactions(relayers: readonly Address[]) {
  const client = createPublicClient({ chain: foundry, transport: http(anvil.url) })
  const head = await client.getBlockNumber()
  const mine = new Set(relayers.map((address) => address.toLowerCase()))
  const sent = []
  for (let number = 0n; number <= head; number++) {
    const block = await client.getBlock({ blockNumber: number, includeTransactions: true })
    sent.push(...block.transactions.filter((tx) => mine.has(tx.from.toLowerCase())))
  }
  return sent
}

async function expectNoNonceHoles(relayers: readonly Address[]) {
  const { redis } = await openRedis()
  try {
    for (const address of relayers) {
      const counts = await nonceCounts(anvil.url, address)
      expect(counts.pending).toBe(counts.latest)
      const ledger = await redis.zrange(`${nonceKeyBase(harness.keyPrefix, 31337, address)}:ledger`, 0, -1)
      expect(
        ledger.filter((member) => member.startsWith('gap:') || member.startsWith('fill:')),
      ).toStrictEqual([])
    }
  } finally {
    redis.disconnect()
  }
}

test('with Anvil stopped, relay jobs retry with backoff and all land once Anvil is back', {
  timeout: 120_000,
}, async () => {
  const relayers = await fundedRelayerKeys(anvil.url, 2)
  const { instance, ids } = await admit(6, relayers.keys)
  anvil.process.child.kill('SIGSTOP')
  let worker: Awaited<ReturnType<typeof harness.start>> | undefined
  try {
    worker = await harness.start(
      { ...chainEnv(), ...relayEnv(relayers.keys), DEPENDENCY_TIMEOUT_MS: '300' },
      { role: 'worker' },
    )
    // The worker tries, times out and backs off; nothing fails or is given up meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const redisView = await openRedis()
    try {
      for (const id of ids) {
        const record = JSON.parse((await redisView.redis.get(`${harness.keyPrefix}req:${id}`)) ?? '{}')
        expect(['queued', 'submitted']).toContain(record.status)
      }
    } finally {
      redisView.redis.disconnect()
    }
  } finally {
    anvil.process.child.kill('SIGCONT')
  }
  const api = await harness.start(chainEnv(), { role: 'api' })
  for (const id of ids) {
    const view = await waitForStatus(api.url, instance.token, id, final, 90_000)
    expect(view.status).toBe('confirmed')
  }
  expect(worker).toBeDefined()
  await expectNoNonceHoles(relayers.addresses)
})

test('a worker killed with SIGKILL mid-flight is restarted and every request lands exactly once', {
  timeout: 180_000,
}, async () => {
  const relayers = await fundedRelayerKeys(anvil.url, 2)
  const { api, instance, users, ids, addresses } = await admit(40, relayers.keys)
  const env = {
    ...process.env,
    ...harness.env,
    ...chainEnv(),
    ...relayEnv(relayers.keys, { RELAY_CONCURRENCY: '1', RELAY_JOB_LOCK_MS: '2000' }),
    GATEWAY_ID: 'gw-worker',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'intentgate-worker-')),
    LOG_LEVEL: 'info',
  }
  const startWorker = () =>
    spawnUntilReady({
      name: 'worker',
      command: process.execPath,
      args: ['--import', 'tsx', `${repoRoot}src/cli/main.ts`, 'serve', '--role', 'worker'],
      env,
      readyWhen: (line) => (line.includes('gateway listening') ? 'up' : undefined),
    }).then(({ process: child }) => {
      children.push(child)
      return child
    })

  const first = await startWorker()
  // Kill it as soon as relaying is under way, with most requests still to go.
  await eventually('the first relayed request', async () => {
    for (const id of ids) {
      const view = await callJson(api.url, 'GET', `/v1/requests/${id}`, { bearer: instance.token })
      if (view.body.status !== 'queued') return true
    }
    return undefined
  })
  first.child.kill('SIGKILL')
  await first.stop()
  const pending = []
  for (const id of ids) {
    const view = await callJson(api.url, 'GET', `/v1/requests/${id}`, { bearer: instance.token })
    if (!final.includes(String(view.body.status))) pending.push(id)
  }
  expect(pending.length).toBeGreaterThan(0)

  await startWorker()
  const views = []
  for (const id of ids) views.push(await waitForStatus(api.url, instance.token, id, final, 120_000))
  expect(views.map((view) => view.status)).toStrictEqual(ids.map(() => 'confirmed'))
  expect(views.every((view) => view.outcomeAttestation !== undefined)).toBe(true)

  // Exactly once: each user's forwarder nonce moved by one, and the relayers sent one forwarder
  // call per request, every one of which succeeded; anything else they sent is a 0-value filler.
  const client = createPublicClient({ chain: foundry, transport: http(anvil.url) })
  for (const user of users) expect(await forwarderNonce(anvil.url, user.address)).toBe(1n)
  const sent = await relayerTransactions(relayers.addresses)
  const toForwarder = sent.filter((tx) => tx.to?.toLowerCase() === addresses.forwarder.toLowerCase())
  expect(toForwarder).toHaveLength(ids.length)
  const receipts = await Promise.all(toForwarder.map((tx) => client.getTransactionReceipt({ hash: tx.hash })))
  expect(receipts.every((receipt) => receipt.status === 'success')).toBe(true)
  const others = sent.filter((tx) => tx.to?.toLowerCase() !== addresses.forwarder.toLowerCase())
  expect(others.every((tx) => tx.value === 0n && tx.to?.toLowerCase() === tx.from.toLowerCase())).toBe(true)
  await expectNoNonceHoles(relayers.addresses)
})

/**
 * Writes the key's next-nonce counter straight into Redis, as a crash or a bad restore would leave
 * it, then relays one request through a fresh worker. Returns the relayer, the request, and every
 * transaction the key sent.
 */
async function relayAfterDrift(next: number) {
  const relayers = await fundedRelayerKeys(anvil.url, 1)
  const [relayer] = relayers.addresses
  if (!relayer) throw new Error('one relayer key')
  const { redis } = await openRedis()
  await redis.set(`${nonceKeyBase(harness.keyPrefix, 31337, relayer)}:next`, String(next))
  redis.disconnect()
  const { instance, ids } = await admit(1, relayers.keys)
  await harness.start({ ...chainEnv(), ...relayEnv(relayers.keys) }, { role: 'worker' })
  const api = await harness.start(chainEnv(), { role: 'api' })
  const view = await waitForStatus(api.url, instance.token, ids[0] ?? '', final)
  expect(view.status).toBe('confirmed')
  await expectNoNonceHoles(relayers.addresses)
  return { relayer, view, sent: await relayerTransactions(relayers.addresses) }
}

test('burned nonces left by a drifted counter are filled with 0-value self-transfers', {
  timeout: 60_000,
}, async () => {
  // The counter says three nonces were handed out that nobody holds: lost, as after a crash.
  const { relayer, view, sent } = await relayAfterDrift(3)
  const byNonce = new Map(sent.map((tx) => [tx.nonce, tx]))
  for (const nonce of [0, 1, 2]) {
    const filler = byNonce.get(nonce)
    expect(filler?.to?.toLowerCase()).toBe(relayer.toLowerCase())
    expect(filler?.value).toBe(0n)
    expect(filler?.input).toBe('0x')
  }
  expect(byNonce.get(3)?.hash).toBe(view.txHash)
})

test('a counter drifted far above the chain heals in one reconcile, without thousands of fillers', {
  timeout: 60_000,
}, async () => {
  const { view, sent } = await relayAfterDrift(5000)
  expect(sent.map((tx) => tx.nonce)).toStrictEqual([0])
  expect(sent[0]?.hash).toBe(view.txHash)
})
