import { UserOperation } from 'ox/erc4337'
import {
  type Address,
  decodeEventLog,
  decodeFunctionData,
  getAbiItem,
  type Hex,
  numberToHex,
  type PublicClient,
  type RpcLog,
  type RpcTransactionReceipt,
  toEventSelector,
} from 'viem'
import { entryPointAbi } from '../chain/artifacts/EntryPoint.js'

/** Where an op's UserOperationEvent is looked for: the EntryPoint, from the block it was sponsored at. */
/** Where to look for one op: its EntryPoint on a chain (whose id the op's hash binds), from a block on. */
export type UserOperationLookup = { chainId: number; entryPoint: Address; userOpHash: Hex; fromBlock: bigint }

const userOperationEventTopic = toEventSelector(
  getAbiItem({ abi: entryPointAbi, name: 'UserOperationEvent' }),
)
const beforeExecutionTopic = toEventSelector(getAbiItem({ abi: entryPointAbi, name: 'BeforeExecution' }))
const revertReasonTopic = toEventSelector(
  getAbiItem({ abi: entryPointAbi, name: 'UserOperationRevertReason' }),
)

/**
 * eth_getUserOperationReceipt, from the chain itself: the op's UserOperationEvent, whichever
 * bundler included it, and the receipt of its transaction, in the JSON-RPC form bundlers answer
 * (ERC-7769). `logs` are the logs of this op alone; `reason` is the revert data of its call, if it
 * reverted. Null while the op is not on chain.
 */
export async function userOperationReceipt(client: PublicClient, lookup: UserOperationLookup) {
  const event = await findUserOperationEvent(client, lookup)
  if (!event) return null
  const receipt = (await client.request({
    method: 'eth_getTransactionReceipt',
    params: [event.transactionHash],
  })) as RpcTransactionReceipt | null
  if (!receipt) return null
  const logs = logsOfOperation(receipt.logs, lookup)
  const revert = logs.find(
    (log) =>
      log.topics[0] === revertReasonTopic && log.topics[1]?.toLowerCase() === lookup.userOpHash.toLowerCase(),
  )
  const { args } = event
  return {
    userOpHash: args.userOpHash,
    entryPoint: lookup.entryPoint,
    sender: args.sender,
    nonce: numberToHex(args.nonce),
    paymaster: args.paymaster,
    actualGasCost: numberToHex(args.actualGasCost),
    actualGasUsed: numberToHex(args.actualGasUsed),
    success: args.success,
    reason: revert ? revertReasonOf(revert) : '0x',
    logs,
    receipt,
  }
}

/**
 * eth_getUserOperationByHash, from the chain itself: the op as its transaction carried it to
 * `handleOps`, with the transaction and block. Null while the op is not on chain, or when the
 * transaction did not call `handleOps` directly (so the op cannot be read back from it).
 */
export async function userOperationByHash(client: PublicClient, lookup: UserOperationLookup) {
  const event = await findUserOperationEvent(client, lookup)
  if (!event) return null
  const transaction = await client.getTransaction({ hash: event.transactionHash })
  let ops: readonly UserOperation.Packed[]
  try {
    const call = decodeFunctionData({ abi: entryPointAbi, data: transaction.input })
    if (call.functionName !== 'handleOps') return null
    ops = call.args[0]
  } catch {
    return null
  }
  for (const packed of ops) {
    const userOperation = UserOperation.fromPacked(packed)
    const hash = UserOperation.hash(userOperation, {
      chainId: lookup.chainId,
      entryPointAddress: lookup.entryPoint,
      entryPointVersion: '0.7',
    })
    if (hash.toLowerCase() !== lookup.userOpHash.toLowerCase()) continue
    return {
      userOperation: UserOperation.toRpc(userOperation),
      entryPoint: lookup.entryPoint,
      transactionHash: event.transactionHash,
      blockHash: event.blockHash,
      blockNumber: numberToHex(event.blockNumber),
    }
  }
  return null
}

async function findUserOperationEvent(client: PublicClient, lookup: UserOperationLookup) {
  const [event] = await client.getContractEvents({
    address: lookup.entryPoint,
    abi: entryPointAbi,
    eventName: 'UserOperationEvent',
    args: { userOpHash: lookup.userOpHash },
    fromBlock: lookup.fromBlock,
    toBlock: 'latest',
    strict: true,
  })
  if (!event?.transactionHash || !event.blockHash || event.blockNumber === null) return undefined
  return {
    args: event.args,
    transactionHash: event.transactionHash,
    blockHash: event.blockHash,
    blockNumber: event.blockNumber,
  }
}

/**
 * The logs one op produced within its bundle: those after the EntryPoint's previous boundary
 * (BeforeExecution, or the UserOperationEvent of the op before it) up to its own event.
 */
function logsOfOperation(logs: readonly RpcLog[], lookup: UserOperationLookup): RpcLog[] {
  const fromEntryPoint = (log: RpcLog) => log.address.toLowerCase() === lookup.entryPoint.toLowerCase()
  const end = logs.findIndex(
    (log) =>
      fromEntryPoint(log) &&
      log.topics[0] === userOperationEventTopic &&
      log.topics[1]?.toLowerCase() === lookup.userOpHash.toLowerCase(),
  )
  if (end < 0) return []
  let start = end
  while (start > 0) {
    const previous = logs[start - 1]
    if (
      previous &&
      fromEntryPoint(previous) &&
      (previous.topics[0] === userOperationEventTopic || previous.topics[0] === beforeExecutionTopic)
    )
      break
    start--
  }
  return logs.slice(start, end)
}

/** The revertReason bytes of a UserOperationRevertReason log. */
function revertReasonOf(log: RpcLog): Hex {
  const { args } = decodeEventLog({
    abi: entryPointAbi,
    eventName: 'UserOperationRevertReason',
    data: log.data,
    topics: log.topics as [Hex, ...Hex[]],
  })
  return args.revertReason
}
