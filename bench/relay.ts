import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, createPublicClient, type Hex, http } from 'viem'
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { ANVIL_DEV_MNEMONIC } from '../src/chain/anvilAccounts.js'
import { loadConfig } from '../src/config/loadConfig.js'
import { exportSigningKey, generateSigningKey } from '../src/crypto/ed25519.js'
import { startGateway } from '../src/main.js'
import { encodeForwarderExecute, forwarderExecuteGasLimit } from '../src/relay/forwarderGas.js'
import { type GatewayUnderTest, presignVotes } from './gatewayUnderTest.js'

/** Relayer keys of the bench worker and the baseline's sender: Anvil dev accounts no other bench part uses. */
const relayerIndexes = [2, 3, 4]
const baselineIndex = 5
const devKey = (addressIndex: number): Hex => {
  const key = mnemonicToAccount(ANVIL_DEV_MNEMONIC, { addressIndex }).getHdKey().privateKey
  if (!key) throw new Error('the dev mnemonic derives private keys')
  return `0x${Buffer.from(key).toString('hex')}`
}

export type RelayBenchResult = { relayPerSecond: number; barePerSecond: number; landed: number }

/**
 * (c) Relay: meta-transactions landed per second. The api role left the (a) requests queued; a
 * worker process's relay (3 keys) is started against the same Redis and Anvil and timed until
 * `count` requests are confirmed, counted from its own outcome metric. The baseline is a bare viem
 * loop sending `count` pre-signed `execute` transactions of the same kind from one key to the same
 * Anvil, timed until the last receipt.
 */
export async function measureRelay(target: GatewayUnderTest, count: number): Promise<RelayBenchResult> {
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
  try {
    const started = performance.now()
    landed = await waitForConfirmed(worker.url, count)
    relayPerSecond = landed / ((performance.now() - started) / 1000)
  } finally {
    await worker.stop()
  }
  return { relayPerSecond, barePerSecond: await bareLoop(target, count), landed }
}

async function waitForConfirmed(workerUrl: string, count: number): Promise<number> {
  const deadline = Date.now() + 600_000
  while (Date.now() < deadline) {
    const text = await (await fetch(`${workerUrl}/metrics`)).text()
    const match = /intentgate_relay_outcomes_total\{chain="31337",status="confirmed"\} (\d+)/.exec(text)
    const confirmed = Number(match?.[1] ?? 0)
    if (confirmed >= count) return confirmed
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the relay did not confirm ${count} requests within 10 minutes`)
}

async function bareLoop(target: GatewayUnderTest, count: number): Promise<number> {
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
  let last: Hex | undefined
  for (const serializedTransaction of raws) last = await client.sendRawTransaction({ serializedTransaction })
  if (last) await client.waitForTransactionReceipt({ hash: last, pollingInterval: 50 })
  return count / ((performance.now() - started) / 1000)
}
