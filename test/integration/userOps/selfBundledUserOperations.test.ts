import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, encodeFunctionData, type Hex, parseEventLogs } from 'viem'
import { getUserOperationHash, toPackedUserOperation, type UserOperation } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fixtureAccounts } from '../../../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../../../src/chain/artifacts/DemoToken.js'
import { entryPointAbi } from '../../../src/chain/artifacts/EntryPoint.js'
import { startRedisServer } from '../../../src/devtools/redisServer.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
import { fundedRelayerKeys, relayEnv } from '../../support/relayHarness.js'
import { handleOps } from '../contracts/userOperationHarness.js'
import {
  expectAttestedSettlement,
  rpc,
  rpcErrorOf,
  smartAccountClient,
  sponsoredInstance,
  startUserOpEnvironment,
  type UserOpEnvironment,
  waitForSettlement,
} from './userOpEnvironment.js'

let environment: UserOpEnvironment
const spender = '0x000000000000000000000000000000000000bEEF'

beforeAll(async () => {
  environment = await startUserOpEnvironment({}, { bundler: 'self' })
}, 120_000)
afterAll(() => environment?.stop())

const voteCall = (option: bigint) => ({
  to: environment.chain.addresses.targets.communityPoll,
  data: encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] }),
})
const approveCall = (amount: bigint) => ({
  to: environment.chain.addresses.targets.demoToken,
  data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [spender, amount] }),
})

const hashOf = (userOperation: UserOperation<'0.7'>) =>
  getUserOperationHash({
    chainId: environment.chain.addresses.chainId,
    entryPointAddress: environment.chain.addresses.entryPoint,
    entryPointVersion: '0.7',
    userOperation,
  })

/** UserOperationEvents of one userOpHash on the whole chain. */
async function userOperationEvents(userOpHash: Hex) {
  return environment.chain.publicClient.getContractEvents({
    address: environment.chain.addresses.entryPoint,
    abi: entryPointAbi,
    eventName: 'UserOperationEvent',
    args: { userOpHash },
    fromBlock: 0n,
  })
}

describe('self-bundled user operations (no BUNDLER_URL, no Alto)', () => {
  test('the first vote of a new account (initCode) is estimated, bundled by the relayer, deployed, settled and attested', async () => {
    const { chain, relayers } = environment
    const [relayer] = relayers
    if (!relayer) throw new Error('the environment funds one relayer key')
    const { token } = await sponsoredInstance(environment, [
      { id: 'instance-gas', scope: 'instance', metric: 'gasWei', window: '1d', max: '10000000000000000000' },
    ])
    const client = await smartAccountClient(environment, { token })
    expect(await chain.publicClient.getCode({ address: client.account.address })).toBeUndefined()
    const balanceBefore = await chain.publicClient.getBalance({ address: relayer })

    // Estimated by the gateway against the EntryPoint on chain (EntryPointSimulations as an override).
    const prepared = await client.prepareUserOperation({ calls: [voteCall(1n)] })
    expect(prepared.verificationGasLimit).toBeGreaterThan(100_000n)
    expect(prepared.callGasLimit).toBeGreaterThan(21_000n)
    const signed = { ...prepared, signature: await client.account.signUserOperation(prepared) }
    const userOpHash = await client.sendUserOperation(signed)
    const { receipt, success, actualGasCost, actualGasUsed, logs } = await client.waitForUserOperationReceipt(
      {
        hash: userOpHash,
      },
    )
    expect(success).toBe(true)
    expect(await chain.publicClient.getCode({ address: client.account.address })).toMatch(/^0x.+/)

    // The relayer sent the bundle, was its beneficiary, and did not pay for the op out of pocket:
    // the op was charged at least the gas of the whole bundle transaction.
    expect(receipt.from.toLowerCase()).toBe(relayer.toLowerCase())
    expect(actualGasUsed).toBeGreaterThanOrEqual(receipt.gasUsed)
    const transaction = await chain.publicClient.getTransaction({ hash: receipt.transactionHash })
    expect(transaction.to?.toLowerCase()).toBe(chain.addresses.entryPoint.toLowerCase())
    expect(await chain.publicClient.getBalance({ address: relayer })).toBeGreaterThanOrEqual(balanceBefore)
    // The receipt's logs are the op's own: the vote, not the EntryPoint's bookkeeping.
    expect(parseEventLogs({ abi: communityPollAbi, logs }).map((log) => log.eventName)).toContain('Voted')

    // eth_getUserOperationByHash, read back from the bundle on chain.
    const found = await client.getUserOperation({ hash: userOpHash })
    expect(found).toMatchObject({
      transactionHash: receipt.transactionHash,
      blockNumber: receipt.blockNumber,
      userOperation: { sender: client.account.address, callData: signed.callData, nonce: signed.nonce },
    })

    // On chain, the paymaster names the decision; the log holds exactly the attestation it names.
    const settled = await expectAttestedSettlement(environment, { token, userOpHash, receipt, actualGasCost })
    expect(settled).toMatchObject({ userOperation: { bundle: { txHash: receipt.transactionHash } } })
    expect(settled).not.toHaveProperty('bundleJob')

    // Sent again once settled: refused, and never bundled twice.
    const again = await client.sendUserOperation(signed).catch((error: unknown) => error)
    expect(rpcErrorOf(again).data?.code).toBe('REQUEST_REPLAYED')
    expect(await userOperationEvents(userOpHash)).toHaveLength(1)
  })

  test('a per-sender daily count limit holds across a stream of self-bundled ops from one account', async () => {
    const { token } = await sponsoredInstance(environment, [
      { scope: 'sender', metric: 'count', window: '1d', max: '3' },
    ])
    const client = await smartAccountClient(environment, { token })
    for (const amount of [1n, 2n, 3n]) {
      const hash = await client.sendUserOperation({ calls: [approveCall(amount)] })
      expect((await client.waitForUserOperationReceipt({ hash })).success).toBe(true)
    }
    const refused = await client
      .sendUserOperation({ calls: [approveCall(4n)] })
      .catch((error: unknown) => error)
    const { code, data } = rpcErrorOf(refused)
    expect({ code, dataCode: data?.code }).toStrictEqual({ code: -33429, dataCode: 'LIMIT_EXCEEDED' })
    expect(data?.attestation).toBeDefined()
  })

  test('an op the EntryPoint would reject is refused before anything is sent, and the good one is bundled once', async () => {
    const { chain, gateway, relayers } = environment
    const [relayer] = relayers
    if (!relayer) throw new Error('the environment funds one relayer key')
    const { token } = await sponsoredInstance(environment, [])
    const client = await smartAccountClient(environment, { token })
    const prepared = await client.prepareUserOperation({ calls: [voteCall(2n)] })
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: relayer })

    // Sponsored, but signed by a key that does not own the account: handleOps would revert with AA24.
    const stranger = privateKeyToAccount(generatePrivateKey())
    const forged = {
      ...prepared,
      signature: await stranger.signMessage({ message: { raw: hashOf(prepared) } }),
    }
    const refused = await client.sendUserOperation(forged).catch((error: unknown) => error)
    const { code, data } = rpcErrorOf(refused)
    expect({ code, dataCode: data?.code }).toStrictEqual({
      code: -32507,
      dataCode: 'USER_OPERATION_REJECTED',
    })
    expect((refused as Error).message).toMatch(/AA24 signature error/)
    expect(await chain.publicClient.getTransactionCount({ address: relayer })).toBe(nonceBefore)

    // Too little preVerificationGas to pay the relayer back: changed fields break the sponsorship first.
    const short = await rpc(gateway, 'eth_sendUserOperation', [
      { ...rpcOf(prepared), preVerificationGas: '0x5208' },
      chain.addresses.entryPoint,
    ])
    expect(short.error?.data?.code).toBe('SPONSORSHIP_INVALID')

    // An op whose call reverts is refused at estimation already, with the revert decoded.
    const reverting = await client
      .prepareUserOperation({ calls: [voteCall(9n)] })
      .catch((error: unknown) => error)
    expect(rpcErrorOf(reverting)).toMatchObject({ code: -32521, data: { code: 'USER_OPERATION_REJECTED' } })
    expect((reverting as Error).message).toMatch(/InvalidOption\(9\)/)

    // The properly signed op is bundled; sent twice at once and once more, it answers the same hash
    // every time and is bundled once.
    const signed = { ...prepared, signature: await client.account.signUserOperation(prepared) }
    const [userOpHash, atOnce] = await Promise.all([
      client.sendUserOperation(signed),
      client.sendUserOperation(signed),
    ])
    expect(atOnce).toBe(userOpHash)
    expect(await client.sendUserOperation(signed)).toBe(userOpHash)
    expect((await client.waitForUserOperationReceipt({ hash: userOpHash })).success).toBe(true)
    await waitForSettlement(gateway, token, userOpHash)
    expect(await userOperationEvents(userOpHash)).toHaveLength(1)
    expect(await chain.publicClient.getTransactionCount({ address: relayer })).toBe(nonceBefore + 1)

    // Unknown hashes are nobody's business here.
    const unknown = `0x${'ab'.repeat(32)}`
    expect((await rpc(gateway, 'eth_getUserOperationReceipt', [unknown])).result).toBeNull()
    expect((await rpc(gateway, 'eth_getUserOperationByHash', [unknown])).result).toBeNull()
  })

  test('an op another bundler included while its job waited is not bundled again: the worker refuses it', async () => {
    const { chain } = environment
    // A deployment of its own (Redis prefix and relayer key), whose API accepts the op before any
    // worker runs, and where nothing settles until the test says so.
    const harness = createGatewayHarness()
    const relayer = await fundedRelayerKeys(chain.anvil.url, 1)
    const env = {
      CHAIN_RPC_URLS: `${chain.addresses.chainId}=${chain.anvil.url}`,
      PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
      USER_OP_SWEEP_INTERVAL_MS: '3600000',
      ...relayEnv(relayer.keys),
    }
    const api = await harness.start(env, { role: 'api' })
    try {
      const isolated = { ...environment, harness, gateway: api }
      const { token } = await sponsoredInstance(isolated, [])
      const client = await smartAccountClient(isolated, { token })
      const prepared = await client.prepareUserOperation({ calls: [voteCall(3n)] })
      const signed = { ...prepared, signature: await client.account.signUserOperation(prepared) }
      const userOpHash = await client.sendUserOperation(signed)
      const id = await api.services.findRequestByUserOpHash(userOpHash)
      expect(await jobExists(harness.keyPrefix, id ?? '')).toBe(true)

      // Front-run: the same op lands through another bundler's handleOps, then a worker starts.
      await handleOps(chain, toPackedUserOperation(signed))
      await harness.start(env, { role: 'worker' })
      // The job ran and ended without a transaction: the simulation found the account nonce used.
      await expect.poll(() => jobExists(harness.keyPrefix, id ?? ''), { timeout: 15_000 }).toBe(false)
      const [address] = relayer.addresses
      expect(await chain.publicClient.getTransactionCount({ address: address as Address })).toBe(0)

      // Settled from the other bundler's UserOperationEvent, paid once.
      const settler = await harness.start({ ...env, USER_OP_SWEEP_INTERVAL_MS: '200' }, { role: 'api' })
      const settled = await waitForSettlement(settler, token, userOpHash)
      expect(settled.status).toBe('confirmed')
      expect(settled.userOperation).not.toHaveProperty('bundle')
      expect(await userOperationEvents(userOpHash)).toHaveLength(1)
    } finally {
      await harness.stopAll()
    }
  })

  test('with Redis paused, eth_sendUserOperation fails closed with -33503 and queues nothing; once back, the op lands once', async () => {
    const { chain } = environment
    const redisServer = await startRedisServer({
      persistDir: mkdtempSync(join(tmpdir(), 'intentgate-uo-redis-')),
    })
    const harness = createGatewayHarness()
    const relayer = await fundedRelayerKeys(chain.anvil.url, 1)
    try {
      const gateway = await harness.start({
        REDIS_URL: redisServer.url,
        REDIS_COMMAND_TIMEOUT_MS: '1000',
        CHAIN_RPC_URLS: `${chain.addresses.chainId}=${chain.anvil.url}`,
        PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
        USER_OP_SWEEP_INTERVAL_MS: '200',
        ...relayEnv(relayer.keys),
      })
      const isolated = { ...environment, harness, gateway }
      const { token } = await sponsoredInstance(isolated, [])
      const client = await smartAccountClient(isolated, { token })
      const prepared = await client.prepareUserOperation({ calls: [approveCall(5n)] })
      const signed = { ...prepared, signature: await client.account.signUserOperation(prepared) }

      redisServer.process.child.kill('SIGSTOP')
      let paused: unknown
      try {
        paused = await client.sendUserOperation(signed).catch((error: unknown) => error)
      } finally {
        redisServer.process.child.kill('SIGCONT')
      }
      expect(rpcErrorOf(paused)).toMatchObject({ code: -33503, data: { code: 'DEPENDENCY_UNAVAILABLE' } })
      const [address] = relayer.addresses
      expect(await chain.publicClient.getTransactionCount({ address: address as Address })).toBe(0)

      const userOpHash = await client.sendUserOperation(signed)
      expect((await client.waitForUserOperationReceipt({ hash: userOpHash })).success).toBe(true)
      expect(await userOperationEvents(userOpHash)).toHaveLength(1)
    } finally {
      await harness.stopAll()
      if (redisServer.process.child.signalCode === null) redisServer.process.child.kill('SIGCONT')
      await redisServer.stop()
    }
  })
})

/** Whether the relay job of a request is in BullMQ: done jobs are removed. */
async function jobExists(prefix: string, id: string): Promise<boolean> {
  const { redis } = await openRedis()
  try {
    return (await redis.exists(`${prefix}bull:relay-${environment.chain.addresses.chainId}:${id}`)) === 1
  } finally {
    redis.disconnect()
  }
}

function rpcOf(userOp: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(userOp)
      .filter(([key, value]) => value !== undefined && key !== 'account' && key !== 'chainId')
      .map(([key, value]) => [key, typeof value === 'bigint' ? `0x${value.toString(16)}` : value]),
  )
}
