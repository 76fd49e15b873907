import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPublicClient, encodeFunctionData, http, type PublicClient, zeroAddress } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type ChainAddresses, loadChainAddresses } from '../../../src/chain/addresses.js'
import { intentForwarderAbi } from '../../../src/chain/artifacts/IntentForwarder.js'
import { Secret } from '../../../src/config/secret.js'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import { classifyRpcError, type RpcErrorClass } from '../../../src/errors/classifyRpcError.js'
import { buildGapFillTransaction } from '../../../src/relay/gapFill.js'
import { createLocalKeySigner, type Signer } from '../../../src/relay/signer.js'
import { fixtureAddressesPath, fixtureStatePath } from '../../support/paths.js'
import { relayerSigner } from './relayerSigner.js'

// Blocks are mined only on request, so sent transactions wait in the pool where duplicates and
// replacements meet them.
let anvil: AnvilInstance
let client: PublicClient
let addresses: ChainAddresses
let relayer: Signer
let chainId: number

beforeAll(async () => {
  ;[anvil, addresses] = await Promise.all([
    startAnvil({ stateFile: fixtureStatePath, extraArgs: ['--no-mining'] }),
    loadChainAddresses(fixtureAddressesPath),
  ])
  client = createPublicClient({ transport: http(anvil.url) })
  chainId = await client.getChainId()
  relayer = relayerSigner(6)
})
afterAll(() => anvil?.stop())

const fees = { maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }

async function send(signer: Signer, nonce: number, overrides: { value?: bigint; fees?: typeof fees } = {}) {
  const transaction = {
    ...buildGapFillTransaction({ chainId, address: signer.address, nonce, fees: overrides.fees ?? fees }),
    value: overrides.value ?? 0n,
  }
  return client.sendRawTransaction({ serializedTransaction: await signer.signTransaction(transaction) })
}

async function failure(promise: Promise<unknown>): Promise<RpcErrorClass> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (error === undefined) throw new Error('expected the node to refuse')
  return classifyRpcError(error, { abi: intentForwarderAbi })
}

async function mine(): Promise<void> {
  await client.request({ method: 'evm_mine' as 'eth_chainId' })
}

describe('classifyRpcError against Anvil', () => {
  test('duplicate, underpriced replacement, too-low nonce', async () => {
    const nonce = await client.getTransactionCount({ address: relayer.address, blockTag: 'pending' })
    await send(relayer, nonce)
    expect(await failure(send(relayer, nonce))).toStrictEqual({
      kind: 'already-known',
      detail: 'transaction already imported',
    })
    expect(await failure(send(relayer, nonce, { value: 1n }))).toStrictEqual({
      kind: 'replacement-underpriced',
      detail: 'replacement transaction underpriced',
    })
    await mine()
    expect(await failure(send(relayer, nonce, { value: 2n }))).toStrictEqual({
      kind: 'nonce-too-low',
      detail: 'nonce too low',
    })
  })

  test('insufficient funds and a fee cap below the base fee', async () => {
    const pauper = createLocalKeySigner(new Secret(generatePrivateKey()))
    expect(await failure(send(pauper, 0))).toMatchObject({ kind: 'insufficient-funds' })
    const nonce = await client.getTransactionCount({ address: relayer.address, blockTag: 'pending' })
    expect(
      await failure(send(relayer, nonce, { fees: { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n } })),
    ).toStrictEqual({
      kind: 'fee-cap-too-low',
      detail: 'max fee per gas less than block base fee',
    })
  })

  test('a reverted call carries the forwarder error, decoded', async () => {
    const user = privateKeyToAccount(generatePrivateKey())
    const request = {
      from: user.address,
      to: addresses.targets.communityPoll,
      value: 0n,
      gas: 100_000n,
      deadline: Math.floor(Date.now() / 1000) + 600,
      data: '0x' as const,
      signature: `0x${'11'.repeat(65)}` as const,
    }
    const data = encodeFunctionData({ abi: intentForwarderAbi, functionName: 'execute', args: [request] })
    const result = await failure(client.call({ account: relayer.address, to: addresses.forwarder, data }))
    expect(result).toMatchObject({ kind: 'execution-reverted' })
    if (result.kind !== 'execution-reverted') return
    // An unrecoverable signature recovers to no one, so the forwarder names the zero address.
    expect(result.data).toMatch(/^0x[0-9a-f]{8}/)
    expect(result.decoded).toStrictEqual({
      errorName: 'ERC2771ForwarderInvalidSigner',
      args: [zeroAddress, user.address],
    })
  })

  test('a node that never answers is a timeout', async () => {
    const silent: Server = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = silent.address() as AddressInfo
      const stalled = createPublicClient({
        transport: http(`http://127.0.0.1:${port}`, { timeout: 300, retryCount: 0 }),
      })
      expect(await failure(stalled.getChainId())).toMatchObject({ kind: 'timeout' })
    } finally {
      silent.closeAllConnections()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  test('a stopped node is connection-refused', async () => {
    const doomed = await startAnvil()
    const url = doomed.url
    await doomed.stop()
    const gone = createPublicClient({ transport: http(url, { retryCount: 0 }) })
    expect(await failure(gone.getChainId())).toMatchObject({ kind: 'connection-refused' })
    const signed = await relayer.signTransaction(
      buildGapFillTransaction({ chainId, address: relayer.address, nonce: 0, fees }),
    )
    expect(await failure(gone.sendRawTransaction({ serializedTransaction: signed }))).toMatchObject({
      kind: 'connection-refused',
    })
  })
})
