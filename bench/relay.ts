import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, createPublicClient, type Hex, http } from 'viem'
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { ANVIL_DEV_MNEMONIC } from '../src/chain/anvilAccounts.js'
import { loadConfig } from '../src/config/loadConfig.js'
import { exportSigningKey, generateSigningKey } from '../src/crypto/ed25519.js'
import { type RunningGateway, startGateway } from '../src/main.js'
import { encodeForwarderExecute, forwarderExecuteGasLimit } from '../src/relay/forwarderGas.js'
import { type GatewayUnderTest, presignVotes } from './gatewayUnderTest.js'
import { type CpuPerRequest, countCpu } from './processCpu.js'

/** Relayer keys of the bench worker and the baseline's sender: Anvil dev accounts no other bench part uses. */
const relayerIndexes = [2, 3, 4]
const baselineIndex = 5
const devKey = (addressIndex: number): Hex => {
  const key = mnemonicToAccount(ANVIL_DEV_MNEMONIC, { addressIndex }).getHdKey().privateKey
  if (!key) throw new Error('the dev mnemonic derives private keys')
  return `0x${Buffer.from(key).toString('hex')}`
}

export type RelayBenchResult = {
  relayPerSecond: number
  barePerSecond: number
  landed: number
  /** CPU per landed transaction: the worker (this process), its Redis and Anvil; the same for the loop. */
  relayCpu: CpuPerRequest
  bareCpu: CpuPerRequest
}

/**
 * (c) Relay: meta-transactions landed per second. The api role left the (a) requests queued; a
 * worker process's relay (3 keys) is started against the same Redis and Anvil and timed from the
 * moment it is up (its boot, which reconciles every key once, is not per transaction) until
 * `count` more requests are confirmed, counted from its own outcome metric. The baseline is a
 * bare viem loop sending `count` pre-signed `execute` transactions of the same kind from one key
 * to the same Anvil, timed from its first send until the last receipt. Both count the CPU they
 * cost per transaction.
 */
export async function measureRelay(target: GatewayUnderTest, count: number): Promise<RelayBenchResult> {
  const pids = { redis: target.redis.process.child.pid, anvil: target.anvil.process.child.pid }
  const worker = await startGateway(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      REDIS_URL: target.redis.url,
      REDIS_KEY_PREFIX: 'igbench:',
      CHAIN_RPC_URLS: `31337=${target.anvil.url}`,
      TOKEN_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      ATTESTATION_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      LOG_SIGNING_KEY: exportSigningKey(generateSigningKey()),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'intentgate-bench-worker-')),
      GATEWAY_ID: 'bench-worker',
      RELAYER_KEYS: relayerIndexes.map((index) => `31337=${devKey(index)}`).join(','),
      RELAY_POLL_INTERVAL_MS: '100',
    }),
    { role: 'worker' },
  )
  let relayPerSecond: number
  let landed: number
  let relayCpu: CpuPerRequest
  try {
    const started = performance.now()
    const cpu = countCpu(pids)
    const before = await confirmedSoFar(worker)
    landed = (await waitForConfirmed(worker, before + count)) - before
    relayPerSecond = landed / ((performance.now() - started) / 1000)
    relayCpu = cpu.perRequest(landed)
  } finally {
    await worker.stop()
  }
  const bare = await bareLoop(target, count, pids)
  return { relayPerSecond, barePerSecond: bare.perSecond, landed, relayCpu, bareCpu: bare.cpu }
}

/** Requests the worker confirmed so far, read from its registry in-process (rendering /metrics would cost it CPU). */
async function confirmedSoFar(worker: RunningGateway): Promise<number> {
  const metric = worker.registry.getSingleMetric('intentgate_relay_outcomes_total')
  const values = metric ? (await metric.get()).values : []
  const confirmed = values.find(
    (value) => value.labels.chain === '31337' && value.labels.status === 'confirmed',
  )
  return confirmed?.value ?? 0
}

async function waitForConfirmed(worker: RunningGateway, count: number): Promise<number> {
  const deadline = Date.now() + 600_000
  while (Date.now() < deadline) {
    const confirmed = await confirmedSoFar(worker)
    if (confirmed >= count) return confirmed
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the relay did not confirm ${count} requests within 10 minutes`)
}

async function bareLoop(
  target: GatewayUnderTest,
  count: number,
  pids: { redis?: number; anvil?: number },
): Promise<{ perSecond: number; cpu: CpuPerRequest }> {
  const { addresses } = target
  const sender = privateKeyToAccount(devKey(baselineIndex))
  const client = createPublicClient({ chain: foundry, transport: http(target.anvil.url) })
  const [nonce, block] = await Promise.all([
    client.getTransactionCount({ address: sender.address, blockTag: 'pending' }),
    client.getBlock({ blockTag: 'latest' }),
  ])
  const maxFeePerGas = (block.baseFeePerGas ?? 0n) * 4n + 1_000_000_000n
  const raws: Hex[] = []
  // The same signed votes the decision path sends, each wrapped in the forwarder call a relayer makes.
  for (const [index, body] of (await presignVotes(target, count)).entries()) {
    const vote = JSON.parse(body) as {
      from: Address
      to: Address
      deadline: number
      data: Hex
      signature: Hex
    }
    const forward = { ...vote, value: 0n, gas: 200_000n }
    raws.push(
      await sender.signTransaction({
        type: 'eip1559',
        chainId: 31337,
        nonce: nonce + index,
        to: addresses.forwarder,
        data: encodeForwarderExecute(forward),
        value: 0n,
        gas: forwarderExecuteGasLimit(forward),
        maxFeePerGas,
        maxPriorityFeePerGas: 1_000_000_000n,
      }),
    )
  }
  const started = performance.now()
  const cpu = countCpu(pids)
  let last: Hex | undefined
  for (const serializedTransaction of raws) last = await client.sendRawTransaction({ serializedTransaction })
  if (last) await client.waitForTransactionReceipt({ hash: last, pollingInterval: 50 })
  return { perSecond: count / ((performance.now() - started) / 1000), cpu: cpu.perRequest(count) }
}
