import {
  type Address,
  BaseError,
  decodeErrorResult,
  encodeFunctionData,
  type Hex,
  hexToBytes,
  type PublicClient,
  size,
} from 'viem'
import { toPackedUserOperation } from 'viem/account-abstraction'
import { entryPointAbi } from '../chain/artifacts/EntryPoint.js'
import { simpleAccountAbi } from '../chain/artifacts/SimpleAccount.js'
import { nodeMessage } from '../chain/servedChain.js'
import { classifyError, UpstreamRpcError } from '../errors/index.js'
import { type UserOperationV07, userOperationGasLimit } from '../intents/userOperation.js'

/**
 * Gas of a one-op bundle that the EntryPoint does not charge to the op: decoding the bundle, the
 * loop around the op, the deposit refund and the UserOperationEvent after the op's gas is
 * measured, and the transfer to the beneficiary. The op pays it through its preVerificationGas.
 */
export const BUNDLE_OVERHEAD_GAS = 25_000n
/** Intrinsic gas of any transaction. */
export const TRANSACTION_BASE_GAS = 21_000n
const MAX_UINT128 = 2n ** 128n - 1n

/** `handleOps([userOp], beneficiary)` of EntryPoint v0.7: a bundle of one op. */
export function encodeHandleOps(userOp: UserOperationV07, beneficiary: Address): Hex {
  return encodeFunctionData({
    abi: entryPointAbi,
    functionName: 'handleOps',
    args: [[toPackedUserOperation(userOp)], beneficiary],
  })
}

/**
 * The gas limit of the bundle transaction: everything the op may be charged for (its prefund
 * covers exactly that), plus the bundle's own overhead. The transaction pays only what it uses.
 */
export function handleOpsGasLimit(userOp: UserOperationV07): bigint {
  return userOperationGasLimit(userOp) + BUNDLE_OVERHEAD_GAS
}

/**
 * The preVerificationGas a one-op bundle needs so the relayer is paid back what the EntryPoint
 * does not measure: the transaction's intrinsic gas, its calldata, and {@link BUNDLE_OVERHEAD_GAS}.
 * Pure and independent of the op's gas values and signature bytes: those are counted as if every
 * byte were non-zero, so the figure an estimate gives still holds for the signed op.
 */
export function requiredPreVerificationGas(userOp: UserOperationV07): bigint {
  const worstCase: UserOperationV07 = {
    ...userOp,
    callGasLimit: MAX_UINT128,
    verificationGasLimit: MAX_UINT128,
    preVerificationGas: 2n ** 256n - 1n,
    maxFeePerGas: MAX_UINT128,
    maxPriorityFeePerGas: MAX_UINT128,
    ...(userOp.paymaster
      ? { paymasterVerificationGasLimit: MAX_UINT128, paymasterPostOpGasLimit: MAX_UINT128 }
      : {}),
    signature: `0x${'ff'.repeat(Math.max(size(userOp.signature), 65))}`,
  }
  const calldata = hexToBytes(encodeHandleOps(worstCase, `0x${'ff'.repeat(20)}`))
  const calldataGas = calldata.reduce((sum, byte) => sum + (byte === 0 ? 4n : 16n), 0n)
  return TRANSACTION_BASE_GAS + calldataGas + BUNDLE_OVERHEAD_GAS
}

/**
 * eth_estimateGas of the bundle exactly as the relayer would send it, capped at
 * {@link handleOpsGasLimit}: the check before anything is paid. Returns the gas it needs. A
 * bundle that would revert (an AA error of the EntryPoint, say a used nonce or a bad signature)
 * is USER_OPERATION_REJECTED with the EntryPoint's reason; a node that cannot be reached is
 * thrown as it is (a 503), never taken for a refusal.
 */
export async function simulateHandleOps(
  client: Pick<PublicClient, 'estimateGas'>,
  parameters: { entryPoint: Address; userOp: UserOperationV07; beneficiary: Address },
): Promise<bigint> {
  const { entryPoint, userOp, beneficiary } = parameters
  try {
    return await client.estimateGas({
      account: beneficiary,
      to: entryPoint,
      data: encodeHandleOps(userOp, beneficiary),
      gas: handleOpsGasLimit(userOp),
    })
  } catch (error) {
    throw entryPointRejection(error)
  }
}

/**
 * What an EntryPoint revert means to a bundler client: USER_OPERATION_REJECTED with the ERC-7769
 * code of its AA reason. Dependency failures pass through unchanged.
 */
export function entryPointRejection(error: unknown): Error {
  const classified = classifyError(error)
  if (classified.code === 'DEPENDENCY_UNAVAILABLE') return classified
  const data = revertDataOf(error)
  const reason = data ? entryPointReasonOf(data) : `the bundle would fail: ${nodeMessage(error)}`
  return new UpstreamRpcError(
    rpcCodeOfReason(reason),
    'USER_OPERATION_REJECTED',
    'EntryPoint rejected the user operation',
    {
      details: reason.slice(0, 500),
      cause: error,
    },
  )
}

/** The ERC-7769 error code of an EntryPoint reason (`AA24 signature error` is -32507, say). */
export function rpcCodeOfReason(reason: string): number {
  if (/^AA(24|34)\b/.test(reason)) return -32507
  if (/^AA(22|32)\b/.test(reason)) return -32503
  if (/^AA3/.test(reason)) return -32501
  return -32500
}

/** The EntryPoint's error decoded: `AA25 invalid account nonce`, or the revert of the account inside it. */
export function entryPointReasonOf(data: Hex): string {
  try {
    const decoded = decodeErrorResult({ abi: entryPointAbi, data })
    if (decoded.errorName === 'FailedOp') return decoded.args[1]
    if (decoded.errorName === 'FailedOpWithRevert')
      return `${decoded.args[1]}: ${innerReasonOf(decoded.args[2])}`
    return describeError(decoded)
  } catch {
    return `reverted with ${data.slice(0, 74)}`
  }
}

function innerReasonOf(data: Hex): string {
  if (data === '0x') return 'reverted without a reason'
  try {
    return describeError(decodeErrorResult({ abi: simpleAccountAbi, data }))
  } catch {
    return `reverted with ${data.slice(0, 74)}`
  }
}

/** `Name(arg, …)`; for a plain `Error(string)`, the string itself. */
function describeError(decoded: { errorName: string; args?: readonly unknown[] | undefined }): string {
  const args = decoded.args ?? []
  if (decoded.errorName === 'Error' && typeof args[0] === 'string') return args[0]
  return args.length > 0 ? `${decoded.errorName}(${args.map(String).join(', ')})` : decoded.errorName
}

/** viem keeps a revert's data on the innermost error that has it. */
export function revertDataOf(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined
  const found = error.walk((cause) => {
    const data = (cause as { data?: unknown }).data
    return typeof data === 'string' && data.startsWith('0x') && data.length > 2
  }) as { data: Hex } | null
  return found?.data
}
