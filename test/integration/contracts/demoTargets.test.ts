import { type Address, encodeFunctionData, getAddress, type Hex, parseEther, parseEventLogs } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anvilDevAccounts } from '../../../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { demoBadgeAbi } from '../../../src/chain/artifacts/DemoBadge.js'
import { demoTokenAbi } from '../../../src/chain/artifacts/DemoToken.js'
import { intentForwarderAbi } from '../../../src/chain/artifacts/IntentForwarder.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { type FixtureChain, revertOf, startFixtureChain } from './userOperationHarness.js'

/** The app user signs ForwardRequests; the bundler account of the harness relays them and pays gas. */
const user = privateKeyToAccount(anvilDevAccounts[3].privateKey)
const alice: Address = getAddress('0x00000000000000000000000000000000000a11ce')
const bob: Address = getAddress('0x0000000000000000000000000000000000000b0b')

let chain: FixtureChain
let now: number

beforeAll(async () => {
  chain = await startFixtureChain()
  now = Number((await chain.publicClient.getBlock()).timestamp)
})
afterAll(async () => {
  await chain?.anvil.stop()
})

/** Signs an ERC-2771 ForwardRequest from `user` and relays it through IntentForwarder.execute. */
async function relay(to: Address, data: Hex, value = 0n) {
  const forwarder = chain.addresses.forwarder
  const body = await signForwardRequest({
    account: user,
    rpcUrl: chain.anvil.url,
    forwarder,
    to,
    data,
    value,
    gas: 300_000n,
    deadline: now + 3_600,
  })
  const fields = {
    from: body.from,
    to: body.to,
    value: BigInt(body.value),
    gas: BigInt(body.gas),
    deadline: body.deadline,
    data: body.data,
    signature: body.signature,
  }
  const hash = await chain.bundler.writeContract({
    address: forwarder,
    abi: intentForwarderAbi,
    functionName: 'execute',
    args: [fields],
    value,
  })
  const receipt = await chain.bundler.waitForTransactionReceipt({ hash })
  expect(receipt.status).toBe('success')
  return receipt
}

describe('demo targets behind IntentForwarder', () => {
  it('CommunityPoll counts a forwarded vote for the signer and refuses a second one', async () => {
    const { communityPoll } = chain.addresses.targets
    const receipt = await relay(
      communityPoll,
      encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [3n] }),
    )
    expect(
      parseEventLogs({ abi: communityPollAbi, eventName: 'Voted', logs: receipt.logs })[0]?.args,
    ).toStrictEqual({
      voter: user.address,
      option: 3n,
    })

    const again = chain.bundler.simulateContract({
      account: user,
      address: communityPoll,
      abi: communityPollAbi,
      functionName: 'vote',
      args: [0n],
    })
    expect(revertOf(await again.catch((error: unknown) => error))).toStrictEqual({
      errorName: 'AlreadyVoted',
      args: [user.address],
    })
  })

  it('CommunityPoll takes a forwarded donation with its value and credits the signer', async () => {
    const { communityPoll } = chain.addresses.targets
    const receipt = await relay(
      communityPoll,
      encodeFunctionData({ abi: communityPollAbi, functionName: 'donate' }),
      parseEther('0.25'),
    )
    expect(
      parseEventLogs({ abi: communityPollAbi, eventName: 'Donated', logs: receipt.logs })[0]?.args,
    ).toStrictEqual({ donor: user.address, amount: parseEther('0.25') })
    expect(await chain.publicClient.getBalance({ address: communityPoll })).toBe(parseEther('0.25'))
  })

  it('DemoToken multicall through the forwarder moves the signer’s tokens, not the forwarder’s', async () => {
    const { demoToken } = chain.addresses.targets
    const mint = await chain.bundler.writeContract({
      address: demoToken,
      abi: demoTokenAbi,
      functionName: 'mint',
      args: [user.address, parseEther('10')],
    })
    await chain.bundler.waitForTransactionReceipt({ hash: mint })
    await relay(
      demoToken,
      encodeFunctionData({
        abi: demoTokenAbi,
        functionName: 'multicall',
        args: [
          [
            encodeFunctionData({
              abi: demoTokenAbi,
              functionName: 'transfer',
              args: [alice, parseEther('1')],
            }),
            encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [bob, parseEther('2')] }),
          ],
        ],
      }),
    )
    const balances = await Promise.all(
      [user.address, alice, bob].map((account) =>
        chain.publicClient.readContract({
          address: demoToken,
          abi: demoTokenAbi,
          functionName: 'balanceOf',
          args: [account],
        }),
      ),
    )
    expect(balances).toStrictEqual([parseEther('7'), parseEther('1'), parseEther('2')])
  })

  it('DemoToken caps each faucet mint', async () => {
    const attempt = chain.bundler.simulateContract({
      address: chain.addresses.targets.demoToken,
      abi: demoTokenAbi,
      functionName: 'mint',
      args: [alice, parseEther('1000') + 1n],
    })
    expect(revertOf(await attempt.catch((error: unknown) => error))).toStrictEqual({
      errorName: 'MintCapExceeded',
      args: [parseEther('1000') + 1n, parseEther('1000')],
    })
  })

  it('DemoBadge mints sequential token ids to whoever the forwarded request names', async () => {
    const { demoBadge } = chain.addresses.targets
    const receipt = await relay(
      demoBadge,
      encodeFunctionData({ abi: demoBadgeAbi, functionName: 'mint', args: [alice] }),
    )
    expect(
      parseEventLogs({ abi: demoBadgeAbi, eventName: 'Transfer', logs: receipt.logs })[0]?.args,
    ).toStrictEqual({
      from: '0x0000000000000000000000000000000000000000',
      to: alice,
      tokenId: 1n,
    })
  })
})
