import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  publicActions,
} from 'viem'
import {
  getUserOperationHash,
  type PackedUserOperation,
  toPackedUserOperation,
  type UserOperation,
} from 'viem/account-abstraction'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { type ChainAddresses, loadChainAddresses } from '../../../src/chain/addresses.js'
import { anvilDevAccounts, fixtureAccounts } from '../../../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { entryPointAbi } from '../../../src/chain/artifacts/EntryPoint.js'
import { simpleAccountAbi } from '../../../src/chain/artifacts/SimpleAccount.js'
import { simpleAccountFactoryAbi } from '../../../src/chain/artifacts/SimpleAccountFactory.js'
import { type AnvilInstance, startAnvil } from '../../../src/devtools/anvil.js'
import { fixtureAddressesPath, fixtureStatePath } from '../../support/paths.js'

/** Anvil account #2 plays the bundler: it is not used by the fixture, so its nonce is free. */
const bundlerKey = anvilDevAccounts[2].privateKey
/** Anvil account #3 owns the SimpleAccounts the tests create. */
export const accountOwner = privateKeyToAccount(anvilDevAccounts[3].privateKey)
export const beneficiary: Address = '0x000000000000000000000000000000000000bEEF'

export type FixtureChain = Awaited<ReturnType<typeof startFixtureChain>>

/**
 * A private Anvil loaded from the fixture, for tests that change chain state (signer rotation, account
 * deployment) and so must not share the global one. With `chainId`, the same state runs under
 * another chain id: every contract at the same address, as on a second network.
 */
export async function startFixtureChain(options: { chainId?: number } = {}) {
  const anvil: AnvilInstance = await startAnvil({
    stateFile: fixtureStatePath,
    ...(options.chainId === undefined ? {} : { chainId: options.chainId }),
  })
  const fixture: ChainAddresses = await loadChainAddresses(fixtureAddressesPath)
  const addresses: ChainAddresses = { ...fixture, chainId: options.chainId ?? fixture.chainId }
  const chain = { ...foundry, id: addresses.chainId }
  const transport = http(anvil.url)
  const publicClient = createPublicClient({ chain, transport })
  const testClient = createTestClient({ mode: 'anvil', chain, transport })
  const bundler = createWalletClient({
    account: privateKeyToAccount(bundlerKey),
    chain,
    transport,
  }).extend(publicActions)
  const owner = createWalletClient({
    account: privateKeyToAccount(fixtureAccounts.deployer.privateKey),
    chain,
    transport,
  }).extend(publicActions)
  // Until a block is mined, `latest` carries the fixture's 2025 timestamp rather than the wall clock.
  await testClient.mine({ blocks: 1 })
  return { anvil, addresses, publicClient, testClient, bundler, owner }
}

export type UnsignedUserOperation = UserOperation<'0.7'> & {
  paymasterVerificationGasLimit: bigint
  paymasterPostOpGasLimit: bigint
}

/**
 * A v0.7 user operation from a SimpleAccount owned by {@link accountOwner} that votes in the CommunityPoll.
 * With `deploy`, it carries initCode for a counterfactual account at `salt`.
 */
export async function buildVoteOperation(
  harness: FixtureChain,
  parameters: { salt: bigint; option: bigint; nonce?: bigint; deploy?: boolean },
): Promise<UnsignedUserOperation> {
  const { addresses, publicClient } = harness
  const { salt, option, nonce = 0n, deploy = true } = parameters
  const sender = await publicClient.readContract({
    address: addresses.simpleAccountFactory,
    abi: simpleAccountFactoryAbi,
    functionName: 'getAddress',
    args: [accountOwner.address, salt],
  })
  const block = await publicClient.getBlock()
  const maxPriorityFeePerGas = 1_000_000_000n
  return {
    sender,
    nonce,
    ...(deploy
      ? {
          factory: addresses.simpleAccountFactory,
          factoryData: encodeFunctionData({
            abi: simpleAccountFactoryAbi,
            functionName: 'createAccount',
            args: [accountOwner.address, salt],
          }),
        }
      : {}),
    callData: encodeFunctionData({
      abi: simpleAccountAbi,
      functionName: 'execute',
      args: [
        addresses.targets.communityPoll,
        0n,
        encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] }),
      ],
    }),
    callGasLimit: 120_000n,
    verificationGasLimit: 400_000n,
    preVerificationGas: 60_000n,
    maxPriorityFeePerGas,
    maxFeePerGas: (block.baseFeePerGas ?? 0n) * 2n + maxPriorityFeePerGas,
    paymaster: addresses.paymaster,
    paymasterVerificationGasLimit: 80_000n,
    paymasterPostOpGasLimit: 40_000n,
    paymasterData: '0x',
    signature: '0x',
  }
}

/** The account owner's signature over the EntryPoint's userOpHash, which covers paymasterAndData. */
export async function signAsAccount(
  harness: FixtureChain,
  operation: UnsignedUserOperation,
): Promise<{ operation: UnsignedUserOperation; packed: PackedUserOperation; userOpHash: Hex }> {
  const userOpHash = userOperationHash(harness, operation)
  const signature = await accountOwner.signMessage({ message: { raw: userOpHash } })
  const signed = { ...operation, signature }
  return { operation: signed, packed: toPackedUserOperation(signed), userOpHash }
}

export function userOperationHash(harness: FixtureChain, operation: UnsignedUserOperation): Hex {
  return getUserOperationHash({
    chainId: harness.addresses.chainId,
    entryPointAddress: harness.addresses.entryPoint,
    entryPointVersion: '0.7',
    userOperation: { ...operation, signature: '0x' },
  })
}

/** The custom error (name and arguments) `EntryPoint.handleOps` reverts with, or undefined if it succeeds. */
export async function handleOpsRevert(harness: FixtureChain, packed: PackedUserOperation) {
  try {
    await harness.bundler.simulateContract({
      address: harness.addresses.entryPoint,
      abi: entryPointAbi,
      functionName: 'handleOps',
      args: [[packed], beneficiary],
    })
    return undefined
  } catch (error) {
    return revertOf(error)
  }
}

/** Submits `handleOps` from the bundler account and returns the successful receipt. */
export async function handleOps(harness: FixtureChain, packed: PackedUserOperation) {
  const hash = await harness.bundler.writeContract({
    address: harness.addresses.entryPoint,
    abi: entryPointAbi,
    functionName: 'handleOps',
    args: [[packed], beneficiary],
  })
  const receipt = await harness.bundler.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`handleOps reverted in ${hash}`)
  return receipt
}

/** Decodes a contract revert thrown by viem into `{ errorName, args }`; rethrows anything else. */
export function revertOf(error: unknown): { errorName: string; args: readonly unknown[] | undefined } {
  const reverted =
    error instanceof BaseError
      ? error.walk((cause) => cause instanceof ContractFunctionRevertedError)
      : undefined
  if (!(reverted instanceof ContractFunctionRevertedError) || !reverted.data) throw error
  return { errorName: reverted.data.errorName, args: reverted.data.args }
}
