import { createPublicClient, createWalletClient, encodeFunctionData, http, keccak256, parseEther } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { ANVIL_DEV_MNEMONIC, fixtureAccounts } from '../../../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { createChainClients } from '../../../src/chain/createChainClients.js'
import { Secret } from '../../../src/config/secret.js'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import type { ReadinessReport } from '../../../src/health/readiness.js'
import type { RunningGateway } from '../../../src/main.js'
import { type FaultProxy, startFaultProxy } from '../../support/faultProxy.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureStatePath } from '../../support/paths.js'
import { demoInstance, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'
import { rpc } from '../userOps/userOpEnvironment.js'

/**
 * Chain faults against a real Anvil: the chain behind an RPC URL replaced by one with another
 * genesis (detected, halting sponsorship and meta-transactions with CHAIN_IDENTITY_CHANGED until
 * the chain matches again or an operator accepts it), and an RPC that times out, answers 500 or
 * resets connections (reads retried with bounded backoff, transactions sent once), through a
 * fault-injecting proxy in front of Anvil.
 */
const harness = createGatewayHarness()
let anvil: AnvilInstance
let proxy: FaultProxy | undefined
const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })

beforeAll(async () => {
  anvil = await startAnvil({ stateFile: fixtureStatePath })
})
afterEach(async () => {
  await harness.stopAll()
  await proxy?.stop()
  proxy = undefined
})
afterAll(() => anvil?.stop())

/** Stops this test's Anvil and starts another on the same port: from the fixture, or a fresh chain. */
async function restartAnvil(from: 'fixture' | 'fresh') {
  const port = anvil.port
  await anvil.stop()
  anvil = await startAnvil({ port, ...(from === 'fixture' ? { stateFile: fixtureStatePath } : {}) })
}

async function readyz(gateway: RunningGateway) {
  const response = await fetch(`${gateway.url}/readyz`)
  return { status: response.status, body: (await response.json()) as ReadinessReport }
}

async function genesisCheck(gateway: RunningGateway) {
  return (await readyz(gateway)).body.checks.find((check) => check.name === 'chain:31337:genesis')
}

/** Polls until `probe` holds, for at most 10 s (the identity check runs every 100 ms here). */
async function eventually(probe: () => Promise<boolean>) {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await probe()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('condition not reached within 10 s')
}

const metric = async (gateway: RunningGateway, line: RegExp) =>
  line.exec(await (await fetch(`${gateway.url}/metrics`)).text())?.[1]

async function submitVote(gateway: RunningGateway, token: string, rpcUrl: string) {
  return sendVote(gateway, token, await signVote(rpcUrl))
}

async function signVote(rpcUrl: string) {
  const addresses = await fixtureAddresses()
  return signForwardRequest({
    account: freshUser(),
    rpcUrl,
    forwarder: addresses.forwarder,
    to: addresses.targets.communityPoll,
    data: vote,
    nonce: 0n,
  })
}

function sendVote(gateway: RunningGateway, token: string, signed: Awaited<ReturnType<typeof signVote>>) {
  return callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer: token, body: signed })
}

describe('a chain replaced under its RPC URL', () => {
  test('is detected: meta-transactions and sponsorship halt with CHAIN_IDENTITY_CHANGED until the chain matches again or an operator accepts it', async () => {
    const gateway = await harness.start({
      CHAIN_RPC_URLS: `31337=${anvil.url}`,
      CHAIN_IDENTITY_CHECK_MS: '100',
      PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
    })
    const { token } = await demoInstance(harness, gateway)
    expect((await submitVote(gateway, token, anvil.url)).status).toBe(202)
    expect(await genesisCheck(gateway)).toMatchObject({ ok: true })

    await restartAnvil('fresh')
    await eventually(async () => (await genesisCheck(gateway))?.ok === false)
    const ready = await readyz(gateway)
    expect(ready.status).toBe(503)
    expect(await genesisCheck(gateway)).toMatchObject({
      error: expect.stringContaining('CHAIN_IDENTITY_CHANGED'),
    })
    expect(await metric(gateway, /intentgate_chain_identity_changed\{chain="31337"\} (\d+)/)).toBe('1')
    const refused = await submitVote(gateway, token, anvil.url)
    expect({ status: refused.status, code: refused.body.error?.code }).toStrictEqual({
      status: 503,
      code: 'CHAIN_IDENTITY_CHANGED',
    })
    const addresses = await fixtureAddresses()
    const op = {
      sender: freshUser().address,
      nonce: '0x0',
      callData: '0x',
      callGasLimit: '0x1',
      verificationGasLimit: '0x1',
      preVerificationGas: '0x1',
      maxFeePerGas: '0x1',
      maxPriorityFeePerGas: '0x1',
    }
    const sponsored = await rpc(gateway, 'pm_getPaymasterData', [op, addresses.entryPoint, '0x7a69'], {
      token,
    })
    expect(sponsored.error).toMatchObject({ code: -33503, data: { code: 'CHAIN_IDENTITY_CHANGED' } })

    // The fixture chain back under the URL: the gateway resumes by itself.
    await restartAnvil('fixture')
    await eventually(async () => (await genesisCheck(gateway))?.ok === true)
    expect((await readyz(gateway)).status).toBe(200)
    expect(await metric(gateway, /intentgate_chain_identity_changed\{chain="31337"\} (\d+)/)).toBe('0')
    expect((await submitVote(gateway, token, anvil.url)).status).toBe(202)

    // Replaced again, and this time an operator accepts the new chain.
    await restartAnvil('fresh')
    await eventually(async () => (await genesisCheck(gateway))?.ok === false)
    const accepted = await callJson(gateway.url, 'POST', '/v1/admin/chains/31337/genesis', {
      bearer: harness.keys.admin.operator,
    })
    expect(accepted.status).toBe(200)
    const genesis = await createPublicClient({ transport: http(anvil.url) }).getBlock({ blockNumber: 0n })
    expect(accepted.body).toStrictEqual({ chainId: 31337, genesis: genesis.hash })
    expect(await genesisCheck(gateway)).toMatchObject({ ok: true })
    const notOperator = await callJson(gateway.url, 'POST', '/v1/admin/chains/31337/genesis', {
      bearer: harness.keys.admin.auditor,
    })
    expect(notOperator.status).toBe(403)
    const unknownChain = await callJson(gateway.url, 'POST', '/v1/admin/chains/5/genesis', {
      bearer: harness.keys.admin.operator,
    })
    expect(unknownChain.body.error?.code).toBe('CHAIN_NOT_SERVED')
    // Back to the fixture for the tests after this one: that is a replacement again, accepted.
    await restartAnvil('fixture')
    await callJson(gateway.url, 'POST', '/v1/admin/chains/31337/genesis', {
      bearer: harness.keys.admin.operator,
    })
  }, 60_000)
})

describe('an RPC that times out, answers 500 or resets connections', () => {
  test('reads are retried with backoff: a meta-transaction whose every first read fails is still approved', async () => {
    proxy = await startFaultProxy(anvil.url)
    const faults = ['reset', 'http500', 'hang'] as const
    const gateway = await harness.start({
      CHAIN_RPC_URLS: `31337=${proxy.url}`,
      DEPENDENCY_TIMEOUT_MS: '400',
      CHAIN_RPC_ATTEMPTS: '4',
      CHAIN_RPC_RETRY_BASE_MS: '20',
      CHAIN_RPC_RETRY_MAX_MS: '100',
    })
    const { token } = await demoInstance(harness, gateway)
    const planned = proxy
    // The first two attempts of every read (or batch of reads) fail, in turn by reset, 500 and a
    // hang past the timeout.
    let failures = 0
    planned.setPlan((_method, seen) => (seen % 3 === 2 ? 'pass' : (faults[failures++ % 3] ?? 'reset')))
    const response = await submitVote(gateway, token, anvil.url)
    expect(response.status).toBe(202)
    const failed = planned.calls.filter((call) => call.fault !== 'pass')
    expect(failed.length).toBeGreaterThan(3)
    expect(new Set(failed.map((call) => call.fault))).toStrictEqual(new Set(faults))
    const retries = await (await fetch(`${gateway.url}/metrics`)).text()
    expect(retries).toMatch(/intentgate_chain_rpc_retries_total\{chain="31337",reason="timeout"\} [1-9]/)
    expect(retries).toMatch(/intentgate_chain_rpc_retries_total\{chain="31337",reason="http 500"\} [1-9]/)
    expect(retries).toMatch(/intentgate_chain_rpc_retries_total\{chain="31337",reason="ECONNRESET"\} [1-9]/)
  })

  test('retries are bounded: a node that keeps failing is a 503 after exactly CHAIN_RPC_ATTEMPTS tries of a read', async () => {
    proxy = await startFaultProxy(anvil.url)
    const gateway = await harness.start({
      CHAIN_RPC_URLS: `31337=${proxy.url}`,
      DEPENDENCY_TIMEOUT_MS: '300',
      CHAIN_RPC_ATTEMPTS: '3',
      CHAIN_RPC_RETRY_BASE_MS: '20',
      CHAIN_RPC_RETRY_MAX_MS: '50',
    })
    const { token } = await demoInstance(harness, gateway)
    const planned = proxy
    planned.setPlan(() => 'http500')
    const started = performance.now()
    const response = await submitVote(gateway, token, anvil.url)
    expect({ status: response.status, code: response.body.error?.code }).toStrictEqual({
      status: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
    })
    // Bounded by attempts × (timeout + cap), with room for a loaded machine: not a measurement of speed.
    expect(performance.now() - started).toBeLessThan(15_000)
    // Reads the failed request started side by side may still be retrying: let them end.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    const attempts = new Map<string, number>()
    for (const call of planned.calls.filter((entry) => entry.fault === 'http500')) {
      const key = `${call.method}#${String(call.id)}`
      attempts.set(key, (attempts.get(key) ?? 0) + 1)
    }
    expect(attempts.size).toBeGreaterThan(0)
    for (const [call, count] of attempts) expect(count, call).toBe(3)
  })

  test('reads of concurrent requests share JSON-RPC batches, each answered with its own result', async () => {
    proxy = await startFaultProxy(anvil.url)
    const gateway = await harness.start({ CHAIN_RPC_URLS: `31337=${proxy.url}` })
    const { token } = await demoInstance(harness, gateway)
    const signed = await Promise.all(Array.from({ length: 12 }, () => signVote(anvil.url)))
    const seenBefore = proxy.calls.length
    const answers = await Promise.all(signed.map((body) => sendVote(gateway, token, body)))
    expect(answers.map((answer) => answer.status)).toStrictEqual(Array(12).fill(202))
    const posts = proxy.calls.slice(seenBefore)
    expect(posts.some((post) => post.size > 1)).toBe(true)
    // Every vote read its sender's nonce and simulated: at least 24 calls, in fewer POSTs.
    expect(posts.reduce((sum, post) => sum + post.size, 0)).toBeGreaterThanOrEqual(24)
    expect(posts.length).toBeLessThan(24)
  })

  test('a transaction is sent once: a raw transaction whose answer was lost is not sent again by the transport', async () => {
    proxy = await startFaultProxy(anvil.url)
    const [chain] = createChainClients([{ chainId: 31337, rpcUrl: new Secret(proxy.url) }], {
      retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50, attemptTimeoutMs: 1_000 },
    })
    const sender = mnemonicToAccount(ANVIL_DEV_MNEMONIC, { addressIndex: 5 })
    const direct = createPublicClient({ chain: foundry, transport: http(anvil.url) })
    const wallet = createWalletClient({ account: sender, chain: foundry, transport: http(anvil.url) })
    const request = await wallet.prepareTransactionRequest({
      to: freshUser().address,
      value: parseEther('0.001'),
    })
    const signed = await wallet.signTransaction(request)
    proxy.setPlan((method) => (method === 'eth_sendRawTransaction' ? 'resetAfterForward' : 'pass'))
    await expect(
      chain?.client.request({ method: 'eth_sendRawTransaction', params: [signed] }),
    ).rejects.toThrow()
    expect(proxy.calls.filter((call) => call.method === 'eth_sendRawTransaction')).toHaveLength(1)
    // The node did take it: only the answer was lost, which the relay's saved attempts are for.
    const receipt = await direct.waitForTransactionReceipt({ hash: keccak256(signed) })
    expect(receipt.status).toBe('success')
    // A read through the same client after a reset is retried and answered.
    proxy.setPlan((method, seen) => (method === 'eth_blockNumber' && seen === 0 ? 'reset' : 'pass'))
    expect(await chain?.client.getBlockNumber({ cacheTime: 0 })).toBe(receipt.blockNumber)
  })
})
