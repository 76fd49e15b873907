import { type Address, BaseError, decodeErrorResult, type Hex, type PublicClient } from 'viem'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import { entryPointAbi } from '../chain/artifacts/EntryPoint.js'
import { intentPaymasterAbi } from '../chain/artifacts/IntentPaymaster.js'
import { simpleAccountAbi } from '../chain/artifacts/SimpleAccount.js'
import { nodeMessage, type SimulationResult } from '../chain/servedChain.js'
import { classifyError } from '../errors/index.js'
import type { UserOperationV07 } from '../intents/userOperation.js'

// Errors of the account and the demo targets, so a revert reads as a name, not hex.
const knownAbi = [...simpleAccountAbi, ...communityPollAbi, ...demoTokenAbi]

/** A simulation's answer; `callGasUsed` is the gas of the account's call, as a transaction, when the node measured it. */
export type UserOperationSimulation = { ok: true; callGasUsed?: bigint } | { ok: false; reason: string }

/**
 * Simulates what a user operation makes its account do, before anything is paid for: the
 * account's callData called by the EntryPoint, after the factory call when the op deploys the
 * account, in one simulated block (eth_simulateV1) so the deployment is seen by the call; on a
 * node without eth_simulateV1, an eth_call for an account that already exists. Account
 * validation and gas are left to the bundler's own simulation. A node that cannot be reached is
 * thrown (a 503), never reported as a revert.
 */
export async function simulateUserOperation(
  client: PublicClient,
  parameters: { userOp: UserOperationV07; entryPoint: Address },
): Promise<UserOperationSimulation> {
  const { userOp, entryPoint } = parameters
  const deploy =
    userOp.factory && userOp.factoryData
      ? [{ account: entryPoint, to: userOp.factory, data: userOp.factoryData }]
      : []
  try {
    const [block] = await client.simulateBlocks({
      blocks: [
        {
          calls: [...deploy, { account: entryPoint, to: userOp.sender, data: userOp.callData }],
        },
      ],
    })
    const failed = block?.calls.find((call) => call.status === 'failure')
    if (!block || block.calls.length !== deploy.length + 1)
      return { ok: false, reason: 'no simulation result' }
    if (!failed) return { ok: true, callGasUsed: block.calls[deploy.length]?.gasUsed ?? 0n }
    const isDeploy = failed === block.calls[0] && deploy.length > 0
    return { ok: false, reason: `${isDeploy ? 'account deployment' : 'call'} reverted: ${reasonOf(failed)}` }
  } catch (error) {
    if (classifyError(error).code === 'DEPENDENCY_UNAVAILABLE') throw error
    // A node without eth_simulateV1 can still run the call of an account that exists.
    if (deploy.length > 0) {
      return { ok: false, reason: `cannot simulate the account's deployment: ${nodeMessage(error)}` }
    }
    return simulateWithCall(client, { userOp, entryPoint })
  }
}

async function simulateWithCall(
  client: PublicClient,
  parameters: { userOp: UserOperationV07; entryPoint: Address },
): Promise<SimulationResult> {
  const { userOp, entryPoint } = parameters
  try {
    await client.call({ account: entryPoint, to: userOp.sender, data: userOp.callData })
    return { ok: true }
  } catch (error) {
    if (classifyError(error).code === 'DEPENDENCY_UNAVAILABLE') throw error
    // viem keeps the revert data on the innermost error that has it.
    const reverted =
      error instanceof BaseError
        ? (error.walk((cause) => typeof (cause as { data?: unknown }).data === 'string') as {
            data: Hex
          } | null)
        : null
    return { ok: false, reason: `call reverted: ${reverted ? reasonOf(reverted) : nodeMessage(error)}` }
  }
}

/** A settled user operation, from the EntryPoint's UserOperationEvent. */
export type UserOperationSettlement = {
  userOpHash: Hex
  txHash: Hex
  blockNumber: bigint
  success: boolean
  actualGasCost: bigint
  actualGasUsed: bigint
}

/** The UserOperationEvents of the given ops from `fromBlock` to `toBlock`, by userOpHash (lowercase). */
export async function findUserOperationEvents(
  client: PublicClient,
  parameters: { entryPoint: Address; userOpHashes: readonly Hex[]; fromBlock: bigint; toBlock: bigint },
): Promise<Map<string, UserOperationSettlement>> {
  const { entryPoint, userOpHashes, fromBlock, toBlock } = parameters
  const found = new Map<string, UserOperationSettlement>()
  if (userOpHashes.length === 0 || toBlock < fromBlock) return found
  const logs = await client.getContractEvents({
    address: entryPoint,
    abi: entryPointAbi,
    eventName: 'UserOperationEvent',
    args: { userOpHash: [...userOpHashes] },
    fromBlock,
    toBlock,
    strict: true,
  })
  for (const log of logs) {
    const { userOpHash, success, actualGasCost, actualGasUsed } = log.args
    if (!log.transactionHash || log.blockNumber === null) continue
    found.set(userOpHash.toLowerCase(), {
      userOpHash,
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      success,
      actualGasCost,
      actualGasUsed,
    })
  }
  return found
}

/**
 * The userOpHash under which each decision's op was paid, from the IntentPaymaster's
 * UserOperationSponsored events, by decision digest (lowercase). The same signature can reach the
 * chain in another encoding (ERC-2098 compact, say), which changes the userOpHash but not the
 * decision it carries, so this finds ops a userOpHash lookup alone would miss.
 */
export async function findSponsoredUserOperations(
  client: PublicClient,
  parameters: { paymaster: Address; decisionDigests: readonly Hex[]; fromBlock: bigint; toBlock: bigint },
): Promise<Map<string, Hex>> {
  const { paymaster, decisionDigests, fromBlock, toBlock } = parameters
  const found = new Map<string, Hex>()
  if (decisionDigests.length === 0 || toBlock < fromBlock) return found
  const logs = await client.getContractEvents({
    address: paymaster,
    abi: intentPaymasterAbi,
    eventName: 'UserOperationSponsored',
    args: { decisionDigest: [...decisionDigests] },
    fromBlock,
    toBlock,
    strict: true,
  })
  for (const log of logs) found.set(log.args.decisionDigest.toLowerCase(), log.args.userOpHash)
  return found
}

function reasonOf(call: { data?: Hex }): string {
  const data = call.data
  if (!data || data === '0x') return 'reverted without a reason'
  try {
    const decoded = decodeErrorResult({ abi: knownAbi, data })
    return decoded.args?.length
      ? `${decoded.errorName}(${decoded.args.map(String).join(', ')})`
      : decoded.errorName
  } catch {
    return `reverted with ${data.slice(0, 74)}`
  }
}
