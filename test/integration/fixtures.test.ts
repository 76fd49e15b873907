import { createPublicClient, getContractAddress, http } from 'viem'
import { foundry } from 'viem/chains'
import { describe, expect, inject, it } from 'vitest'
import {
  DETERMINISTIC_DEPLOYER,
  ENTRY_POINT_V07,
  ENTRY_POINT_V07_SALT,
  loadChainAddresses,
  SIMPLE_ACCOUNT_FACTORY_V07,
} from '../../src/chain/addresses.js'
import { fixtureAccounts } from '../../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../../src/chain/artifacts/CommunityPoll.js'
import { demoBadgeAbi } from '../../src/chain/artifacts/DemoBadge.js'
import { demoTokenAbi } from '../../src/chain/artifacts/DemoToken.js'
import { entryPointAbi, entryPointBytecode } from '../../src/chain/artifacts/EntryPoint.js'
import { intentForwarderAbi } from '../../src/chain/artifacts/IntentForwarder.js'
import { intentPaymasterAbi } from '../../src/chain/artifacts/IntentPaymaster.js'
import { simpleAccountAbi } from '../../src/chain/artifacts/SimpleAccount.js'
import { simpleAccountFactoryAbi } from '../../src/chain/artifacts/SimpleAccountFactory.js'
import { fixtureAddressesPath } from '../support/paths.js'

/**
 * The last block in anvil-fixtures/state.json. Other test files share this Anvil and may spend the paymaster's
 * deposit, so balances are read as of the fixture, which Anvil keeps queryable.
 */
const fixtureBlock = 9n

const client = createPublicClient({ chain: foundry, transport: http(inject('anvilUrl')) })
const addresses = await loadChainAddresses(fixtureAddressesPath)

describe('anvil-fixtures', () => {
  it('lists the deployed contracts at stable addresses', () => {
    expect(addresses).toStrictEqual({
      fixtureVersion: 1,
      chainId: 31337,
      entryPoint: '0x0000000071727De22E5E9d8BAf0edAc6f37da032',
      simpleAccountFactory: '0x91E60e0613810449d098b0b5Ec8b51A0FE8c8985',
      forwarder: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
      paymaster: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
      paymasterSigner: fixtureAccounts.paymasterSigner.address,
      paymasterOwner: fixtureAccounts.deployer.address,
      targets: {
        communityPoll: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
        demoToken: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
        demoBadge: '0x0165878A594ca255338adfa4d48449f69242Eb8F',
      },
    })
  })

  it('serves the chain id in addresses.json', async () => {
    expect(await client.getChainId()).toBe(addresses.chainId)
  })

  it('has code at every listed address', async () => {
    const contracts = [
      addresses.entryPoint,
      addresses.simpleAccountFactory,
      addresses.forwarder,
      addresses.paymaster,
      ...Object.values(addresses.targets),
    ]
    const codeSizes = await Promise.all(
      contracts.map(async (address) => ((await client.getCode({ address })) ?? '0x').length),
    )
    expect(codeSizes.filter((length) => length <= 2)).toStrictEqual([])
  })

  it('has the npm EntryPoint v0.7 at its canonical CREATE2 address', async () => {
    expect(
      getContractAddress({
        opcode: 'CREATE2',
        from: DETERMINISTIC_DEPLOYER,
        salt: ENTRY_POINT_V07_SALT,
        bytecode: entryPointBytecode,
      }),
    ).toBe(ENTRY_POINT_V07)
    expect(addresses.entryPoint).toBe(ENTRY_POINT_V07)
    // Only a real EntryPoint answers this: the nonce of an unknown sender with key 7 is 7 << 64.
    const nonce = await client.readContract({
      address: ENTRY_POINT_V07,
      abi: entryPointAbi,
      functionName: 'getNonce',
      args: [fixtureAccounts.deployer.address, 7n],
    })
    expect(nonce).toBe(7n << 64n)
  })

  it('has SimpleAccountFactory v0.7 at its canonical address, bound to the EntryPoint', async () => {
    expect(addresses.simpleAccountFactory).toBe(SIMPLE_ACCOUNT_FACTORY_V07)
    const implementation = await client.readContract({
      address: SIMPLE_ACCOUNT_FACTORY_V07,
      abi: simpleAccountFactoryAbi,
      functionName: 'accountImplementation',
    })
    const implementationEntryPoint = await client.readContract({
      address: implementation,
      abi: simpleAccountAbi,
      functionName: 'entryPoint',
    })
    expect(implementationEntryPoint).toBe(ENTRY_POINT_V07)
  })

  it('has the paymaster deposited and staked in the EntryPoint', async () => {
    const depositInfo = await client.readContract({
      address: addresses.entryPoint,
      abi: entryPointAbi,
      functionName: 'getDepositInfo',
      args: [addresses.paymaster],
      blockNumber: fixtureBlock,
    })
    expect(depositInfo).toStrictEqual({
      deposit: 100n * 10n ** 18n,
      staked: true,
      stake: 10n ** 18n,
      unstakeDelaySec: 86_400,
      withdrawTime: 0,
    })
  })

  it('has the paymaster signed by the dev signer, owned by the deployer, in its EIP-712 domain', async () => {
    const read = <const functionName extends 'signer' | 'owner' | 'entryPoint' | 'eip712Domain'>(
      functionName: functionName,
    ) =>
      client.readContract({
        address: addresses.paymaster,
        abi: intentPaymasterAbi,
        functionName,
        blockNumber: fixtureBlock,
      })
    expect(await read('signer')).toBe(addresses.paymasterSigner)
    expect(await read('owner')).toBe(addresses.paymasterOwner)
    expect(await read('entryPoint')).toBe(ENTRY_POINT_V07)
    expect(await read('eip712Domain')).toStrictEqual([
      '0x0f',
      'IntentPaymaster',
      '1',
      31337n,
      addresses.paymaster,
      `0x${'00'.repeat(32)}`,
      [],
    ])
  })

  it('has the forwarder under its fixed EIP-712 name, trusted by every demo target', async () => {
    const domain = await client.readContract({
      address: addresses.forwarder,
      abi: intentForwarderAbi,
      functionName: 'eip712Domain',
    })
    expect(domain.slice(1, 5)).toStrictEqual(['IntentGateForwarder', '1', 31337n, addresses.forwarder])

    const { communityPoll, demoToken, demoBadge } = addresses.targets
    const trusted = await Promise.all([
      client.readContract({
        address: communityPoll,
        abi: communityPollAbi,
        functionName: 'trustedForwarder',
      }),
      client.readContract({ address: demoToken, abi: demoTokenAbi, functionName: 'trustedForwarder' }),
      client.readContract({ address: demoBadge, abi: demoBadgeAbi, functionName: 'trustedForwarder' }),
    ])
    expect(trusted).toStrictEqual([addresses.forwarder, addresses.forwarder, addresses.forwarder])
    expect(
      await client.readContract({
        address: communityPoll,
        abi: communityPollAbi,
        functionName: 'optionCount',
      }),
    ).toBe(4n)
  })
})
